/**
 * The Workflows Executions REST API of the local Google Cloud, through the official
 * `@google-cloud/workflows` ExecutionsClient (REST fallback): create, get, list with views and
 * pages, cancel, errors; plus deploying over the Workflows REST API and reading step entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionsClient } from '@google-cloud/workflows';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
type Json = any;
import { awaitExecution, executionsClient, PARENT, resultOf, workflowName } from '../helpers/workflows.js';

let emu: Emulator;
let client: ExecutionsClient;

const ECHO = `
main:
  params: [input]
  steps:
    - wait:
        call: sys.sleep
        args: {seconds: 5}
    - out:
        return:
          got: \${input}
          project: \${sys.get_env("GOOGLE_CLOUD_PROJECT_ID")}
          team: \${sys.get_env("TEAM")}
`;

const FAILING = `
main:
  steps:
    - prepare:
        assign:
          - x: 1
    - check_ranges:
        raise: {message: "check_ranges: no free range"}
`;

const SLOW = `
main:
  steps:
    - forever:
        call: sys.sleep
        args: {seconds: 3600}
`;

async function deploy(id: string, sourceContents: string, userEnvVars: Record<string, string> = {}) {
  const res = await fetch(`${emu.url}/v1/${PARENT}/workflows?workflowId=${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sourceContents, userEnvVars }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, Json> };
}

beforeAll(async () => {
  emu = await startSampleEmulator();
  emu.workflows.timeScale = 0.001;
  client = executionsClient(emu.port);
  expect((await deploy('echo', ECHO, { TEAM: 'ml' })).status).toBe(200);
  await deploy('failing', FAILING);
  await deploy('slow', SLOW);
});

afterAll(async () => {
  await client?.close();
  await emu?.close();
});

describe('Workflows API (deploy)', () => {
  it('answers a done Operation holding the Workflow, and gets and lists it', async () => {
    const again = await deploy('echo-2', ECHO);
    expect(again.body).toMatchObject({ done: true, response: { name: workflowName('echo-2'), state: 'ACTIVE' } });
    const got = await (await fetch(`${emu.url}/v1/${workflowName('echo-2')}`)).json();
    expect(got).toMatchObject({ name: workflowName('echo-2'), sourceContents: ECHO });
    const list = (await (await fetch(`${emu.url}/v1/${PARENT}/workflows?pageSize=2`)).json()) as {
      workflows: { name: string }[];
      nextPageToken?: string;
    };
    expect(list.workflows).toHaveLength(2);
    expect(list.nextPageToken).toBeTruthy();
  });

  it('rejects a duplicate (409) and an invalid source (400 listing the problem with its line)', async () => {
    expect((await deploy('echo', ECHO)).status).toBe(409);
    const bad = await deploy('bad', 'main:\n  steps:\n    - x:\n        bogus: 1\n');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/line 4/);
  });
});

describe('Workflows in the store', () => {
  it('keeps the workflow and its executions in the store: a listener sees the deploy and the run to SUCCEEDED', async () => {
    const seen: string[] = [];
    const stop = emu.store.onMutation((m) => {
      if (m.collection.startsWith('workflows/'))
        seen.push(
          `${m.action} ${m.collection} ${m.name} ${String(m.before?.state ?? '')}>${String(m.after?.state ?? '')}`,
        );
    });
    let name = '';
    try {
      expect((await deploy('stored', ECHO, { TEAM: 'ml' })).status).toBe(200);
      const [created] = await client.createExecution({
        parent: workflowName('stored'),
        execution: { argument: '{"n":1}' },
      });
      name = created.name!;
      expect(resultOf(await awaitExecution(client, name))).toMatchObject({ got: { n: 1 }, team: 'ml' });
    } finally {
      stop();
    }
    expect(seen).toEqual([
      `insert workflows/${PARENT}/workflows ${workflowName('stored')} >ACTIVE`,
      `insert workflows/${workflowName('stored')}/executions ${name} >ACTIVE`,
      `update workflows/${workflowName('stored')}/executions ${name} ACTIVE>SUCCEEDED`,
    ]);
    const [got] = await client.getExecution({ name });
    expect(emu.store.get(`workflows/${workflowName('stored')}/executions`, name)).toMatchObject({
      state: 'SUCCEEDED',
      result: got.result,
      argument: '{"n":1}',
      startTime: expect.any(String),
      endTime: expect.any(String),
    });
    expect(emu.store.get(`workflows/${PARENT}/workflows`, workflowName('stored'))).toMatchObject({
      sourceContents: ECHO,
      revisionId: expect.stringMatching(/^000001-/),
    });
  });
});

describe('Executions API through the official ExecutionsClient', () => {
  it('creates an execution with a JSON argument and gets its result', async () => {
    const [created] = await client.createExecution({
      parent: workflowName('echo'),
      execution: { argument: JSON.stringify({ displayName: 'nightly' }) },
    });
    expect(created.name).toMatch(new RegExp(`^${workflowName('echo')}/executions/`));
    expect(created.state).toBe('ACTIVE');
    const done = await awaitExecution(client, created.name!);
    expect(resultOf(done)).toEqual({ got: { displayName: 'nightly' }, project: 'netreflex-demo', team: 'ml' });
    expect(done.workflowRevisionId).toMatch(/^000001-/);
    expect(Number(done.duration?.seconds ?? 0) + (done.duration?.nanos ?? 0) / 1e9).toBeGreaterThanOrEqual(5);
  });

  it('reports a failure with the error payload, context naming the step, and a stack trace', async () => {
    const [created] = await client.createExecution({ parent: workflowName('failing'), execution: {} });
    const done = await awaitExecution(client, created.name!);
    expect(done.state).toBe('FAILED');
    expect(JSON.parse(done.error!.payload!)).toEqual({ message: 'check_ranges: no free range' });
    expect(done.error!.context).toMatch(/check_ranges/);
    expect(done.error!.stackTrace!.elements![0]).toMatchObject({ step: 'check_ranges', routine: 'main' });
  });

  it('lists executions newest first, BASIC by default and FULL on request, page by page', async () => {
    for (let i = 0; i < 3; i++)
      await awaitExecution(
        client,
        (await client.createExecution({ parent: workflowName('echo'), execution: { argument: `{"i":${i}}` } }))[0]
          .name!,
      );
    const [basic] = await client.listExecutions({ parent: workflowName('echo') }, { autoPaginate: false });
    expect(basic.length).toBeGreaterThanOrEqual(4);
    expect(basic[0]!.argument).toBe('');
    expect(basic[0]!.state).toBe('SUCCEEDED');
    const [full] = await client.listExecutions({ parent: workflowName('echo'), view: 'FULL' }, { autoPaginate: false });
    expect(JSON.parse(full[0]!.argument!)).toEqual({ i: 2 });
    const [page, next] = await client.listExecutions(
      { parent: workflowName('echo'), pageSize: 2 },
      { autoPaginate: false },
    );
    expect(page).toHaveLength(2);
    expect(next?.pageToken).toBeTruthy();
    const all = [];
    for await (const e of client.listExecutionsAsync({ parent: workflowName('echo'), pageSize: 1 })) all.push(e.name);
    expect(new Set(all).size).toBe(basic.length);
  });

  it('filters the list by state', async () => {
    const [failed] = await client.listExecutions(
      { parent: workflowName('failing'), filter: 'state="FAILED"' },
      { autoPaginate: false },
    );
    expect(failed.length).toBeGreaterThan(0);
    const [none] = await client.listExecutions(
      { parent: workflowName('failing'), filter: 'state="SUCCEEDED"' },
      { autoPaginate: false },
    );
    expect(none).toEqual([]);
  });

  it('cancels an active execution; cancelling it again is FAILED_PRECONDITION (REST errors surface with their HTTP code)', async () => {
    emu.workflows.timeScale = 1;
    const [created] = await client.createExecution({ parent: workflowName('slow'), execution: {} });
    const [cancelled] = await client.cancelExecution({ name: created.name! });
    expect(cancelled.state).toBe('CANCELLED');
    await expect(client.cancelExecution({ name: created.name! })).rejects.toMatchObject({
      code: 412,
      message: expect.stringMatching(/FAILED_PRECONDITION|not ACTIVE/),
    });
    emu.workflows.timeScale = 0.001;
  });

  it('deleting a workflow cancels and deletes its running executions, as workflows.delete does', async () => {
    emu.workflows.timeScale = 1;
    expect((await deploy('doomed', SLOW)).status).toBe(200);
    const [running] = await client.createExecution({ parent: workflowName('doomed'), execution: {} });
    const ended = emu.workflows.engine.awaitExecution(running.name!);
    const res = await fetch(`${emu.url}/v1/${workflowName('doomed')}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect((await ended).state).toBe('CANCELLED');
    await expect(client.getExecution({ name: running.name! })).rejects.toMatchObject({ code: 404 });
    emu.workflows.timeScale = 0.001;
  });

  it('answers NOT_FOUND for an unknown workflow or execution, and INVALID_ARGUMENT for a bad argument', async () => {
    await expect(client.createExecution({ parent: workflowName('nope'), execution: {} })).rejects.toMatchObject({
      code: 404,
    });
    await expect(client.getExecution({ name: `${workflowName('echo')}/executions/nope` })).rejects.toMatchObject({
      code: 404,
    });
    await expect(
      client.createExecution({ parent: workflowName('echo'), execution: { argument: '{not json' } }),
    ).rejects.toMatchObject({ code: 400 });
  });

  it('serves step entries so a failed run can be read step by step', async () => {
    const [created] = await client.createExecution({ parent: workflowName('failing'), execution: {} });
    await awaitExecution(client, created.name!);
    const res = (await (await fetch(`${emu.url}/v1/${created.name}/stepEntries`)).json()) as {
      stepEntries: Record<string, Json>[];
    };
    expect(res.stepEntries.map((s) => [s.step, s.state])).toEqual([
      ['prepare', 'STATE_SUCCEEDED'],
      ['check_ranges', 'STATE_FAILED'],
    ]);
    expect(res.stepEntries[1]).toMatchObject({
      name: `${created.name}/stepEntries/2`,
      entryId: '2',
      stepType: 'STEP_RAISE',
    });
    expect(JSON.parse(res.stepEntries[1]!.exception.payload)).toEqual({ message: 'check_ranges: no free range' });
  });
});
