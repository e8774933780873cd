/**
 * Execution labels in the local Workflows, through the official ExecutionsClient: kept as given,
 * listed with `labels.KEY="VALUE"` (alone or ANDed with state clauses), refused the way the
 * Execution message documents when a key or value breaks the rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionsClient } from '@google-cloud/workflows';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { awaitExecution, executionsClient, workflowName } from '../helpers/workflows.js';

const WF = workflowName('labelled');
let emu: Emulator;
let client: ExecutionsClient;

beforeAll(async () => {
  emu = await startSampleEmulator();
  emu.workflows.engine.deployWorkflow(WF, 'main:\n  steps:\n    - done:\n        return: 1\n', {});
  client = executionsClient(emu.port);
});
afterAll(async () => {
  await client?.close();
  await emu?.close();
});

const names = async (filter: string) =>
  (await client.listExecutions({ parent: WF, filter }, { autoPaginate: false }))[0].map((e) => e.name).sort();

describe('Workflows execution labels', () => {
  it('keeps the labels and lists by label, alone or with a state clause', async () => {
    const [a] = await client.createExecution({
      parent: WF,
      execution: { labels: { team: 'ml', 'netreflex-request': 'abc123' } },
    });
    const [b] = await client.createExecution({ parent: WF, execution: { labels: { team: 'ml' } } });
    await awaitExecution(client, a.name!);
    await awaitExecution(client, b.name!);
    expect((await client.getExecution({ name: a.name! }))[0].labels).toEqual({
      team: 'ml',
      'netreflex-request': 'abc123',
    });
    expect(await names('labels.netreflex-request="abc123"')).toEqual([a.name]);
    expect(await names('labels.team="ml"')).toEqual([a.name, b.name].sort());
    expect(await names('labels.team="ml" AND state="SUCCEEDED"')).toEqual([a.name, b.name].sort());
    expect(await names('labels.team="ml" AND state="FAILED"')).toEqual([]);
    expect(await names('labels.team="ops"')).toEqual([]);
  });

  it.each([
    [{ Team: 'ml' }, /Invalid label key 'Team'/],
    [{ '1team': 'ml' }, /Invalid label key '1team'/],
    [{ team: 'ML' }, /Invalid value for label 'team'/],
    [{ team: 'x'.repeat(64) }, /Invalid value for label 'team'/],
  ])('refuses labels %j with 400', async (labels, message) => {
    const err = await client.createExecution({ parent: WF, execution: { labels } }).then(
      () => undefined,
      (e: { code?: number; message?: string }) => e,
    );
    expect(err?.code).toBe(400);
    expect(err?.message).toMatch(message);
  });

  it('accepts international lowercase letters, as the API documents', async () => {
    const [e] = await client.createExecution({ parent: WF, execution: { labels: { équipe: 'données' } } });
    expect(e.labels).toEqual({ équipe: 'données' });
  });

  it('refuses a filter it does not understand instead of listing everything', async () => {
    const err = await client.listExecutions({ parent: WF, filter: 'labels.team:"ml"' }, { autoPaginate: false }).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    expect(err?.code).toBe(400);
  });
});
