/**
 * The claim protocol of pipelineRequests where a function dies or an answer is lost midway —
 * the windows an end-to-end run cannot hit on purpose. Each PipelineRequestsService below is one
 * function instance with no memory of the others; the only shared state is the claim object in the
 * local Cloud Storage and the executions in the local Workflows, reached through the same
 * wrappers as in production, with faults injected by the emulator.
 */
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionsClient } from '@google-cloud/workflows';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { sampleEnv } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { loadPipelineRequestsConfig } from '../../shared/config/pipeline-requests.js';
import { Transport } from '../../shared/gcp/transport.js';
import { readJsonObject, writeJsonObject } from '../../shared/gcp/storage.js';
import { createLogger } from '../../shared/log.js';
import { PipelineRequestsService } from '../../functions/pipeline-requests/service.js';
import { claimObject, REQUEST_LABEL, requestKey, type ClaimRecord } from '../../functions/pipeline-requests/claims.js';
import { executionsClient, workflowName } from '../helpers/workflows.js';

const WORKFLOW = workflowName('vertex-pipeline-run');
const REPLIES = `projects/${SAMPLE.project}/topics/netreflex-pipeline-replies`;
const LEASE_MS = 60_000;

let emu: Emulator;
let executions: ExecutionsClient;
let transport: Transport;
let clock = Date.parse('2026-12-01T00:00:00Z');
let seq = 0;

const cfg = () =>
  loadPipelineRequestsConfig({
    ...sampleEnv(emu.url),
    NETREFLEX_REQUEST_LEASE_SECONDS: String(LEASE_MS / 1000),
    NETREFLEX_LOG_LEVEL: 'silent',
  });
/** A fresh function instance: its own service, transport and (empty) memory. */
const instance = () =>
  new PipelineRequestsService(cfg(), createLogger('silent'), {
    transport: new Transport({ emulatorHost: emu.url, retry: { attempts: 1 } }),
    now: () => clock,
  });

/** The CloudEvent Eventarc delivers for a Pub/Sub message (the same id on every redelivery). */
function delivery(body: unknown, messageId = String(9000 + ++seq)) {
  const data = Buffer.from(JSON.stringify(body)).toString('base64');
  return {
    id: messageId,
    specversion: '1.0',
    type: 'google.cloud.pubsub.topic.v1.messagePublished',
    source: `//pubsub.googleapis.com/projects/${SAMPLE.project}/topics/netreflex-pipeline-requests`,
    data: { message: { data, messageId, publishTime: new Date(clock).toISOString(), attributes: {} } },
  };
}

const request = (requestId: string) => ({
  requestId,
  templateUri: 'gs://netreflex-demo-netreflex-pipelines/templates/train.json',
});
const keyOf = (requestId: string) => requestKey('vertex-pipeline-run', requestId, 'unused');
const claimOf = async (requestId: string) =>
  (await readJsonObject<ClaimRecord>(transport, SAMPLE.requestBucket, claimObject(keyOf(requestId))))?.value;

async function executionsOf(requestId: string): Promise<string[]> {
  const [list] = await executions.listExecutions(
    { parent: WORKFLOW, filter: `labels.${REQUEST_LABEL}="${keyOf(requestId)}"` },
    { autoPaginate: false },
  );
  return list.map((e) => e.name!);
}

beforeAll(async () => {
  emu = await startSampleEmulator();
  emu.workflows.engine.deployWorkflow(
    WORKFLOW,
    'main:\n  params: [input]\n  steps:\n    - done:\n        return: ${input.templateUri}\n',
    {},
  );
  emu.storage.createBucket(SAMPLE.project, { name: SAMPLE.requestBucket, location: SAMPLE.region });
  emu.topics.ensure(REPLIES);
  executions = executionsClient(emu.port);
  transport = new Transport({ emulatorHost: emu.url, retry: { attempts: 1 } });
});
afterEach(() => emu.faults.clear());
afterAll(async () => {
  await executions?.close();
  await emu?.close();
});

describe('pipelineRequests claims', () => {
  it('five instances handling the same message at once start one execution; the others start nothing', async () => {
    const event = delivery(request('c-race'));
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => instance().handle(event)));
    expect(outcomes.filter((o) => o.kind === 'started')).toHaveLength(1);
    expect(outcomes.every((o) => o.kind === 'started' || o.kind === 'retry' || o.kind === 'duplicate')).toBe(true);
    expect(await executionsOf('c-race')).toHaveLength(1);
    // The ones told to retry find it started next time, and are acknowledged.
    const again = await instance().handle(event);
    expect(again).toMatchObject({ kind: 'duplicate', execution: (await executionsOf('c-race'))[0] });
  });

  it('the start fails (503): the claim is released and the redelivery starts it, once', async () => {
    const event = delivery(request('c-503'));
    emu.faults.failNext('workflowexecutions.projects.locations.workflows.executions.create', 50, 503);
    expect(await instance().handle(event)).toMatchObject({ kind: 'retry', retry: true });
    expect(await claimOf('c-503')).toMatchObject({ state: 'released' });
    expect(await executionsOf('c-503')).toEqual([]);
    emu.faults.clear();
    expect(await instance().handle(event)).toMatchObject({ kind: 'started' });
    expect(await executionsOf('c-503')).toHaveLength(1);
  });

  it('the start took effect but its answer was lost: the redelivery finds the execution by its label instead of starting another', async () => {
    const event = delivery(request('c-lost'));
    emu.faults.failNext('workflowexecutions.projects.locations.workflows.executions.create', 1, 'lost-response');
    expect(await instance().handle(event)).toMatchObject({ kind: 'retry' });
    const [execution] = await executionsOf('c-lost');
    expect(execution).toBeDefined();
    expect(await instance().handle(event)).toMatchObject({ kind: 'duplicate', execution });
    expect(await executionsOf('c-lost')).toEqual([execution]);
    expect(await claimOf('c-lost')).toMatchObject({ state: 'started', execution });
  });

  it('a holder that died after claiming: a redelivery waits (unacknowledged) for the lease, then takes over and starts it', async () => {
    const key = keyOf('c-died');
    await writeJsonObject(
      transport,
      SAMPLE.requestBucket,
      claimObject(key),
      { key, state: 'claimed', claimedAt: clock, requestId: 'c-died', messageId: 'x' } satisfies ClaimRecord,
      { ifGenerationMatch: '0' },
    );
    const event = delivery(request('c-died'));
    expect(await instance().handle(event)).toMatchObject({
      kind: 'retry',
      why: expect.stringMatching(/another delivery is starting it/),
    });
    clock += LEASE_MS - 1;
    expect(await instance().handle(event)).toMatchObject({ kind: 'retry' });
    clock += 1;
    expect(await instance().handle(event)).toMatchObject({ kind: 'started' });
    expect(await executionsOf('c-died')).toHaveLength(1);
  });

  it('a holder that died after starting but before recording: past the lease the execution is found, not started again', async () => {
    const key = keyOf('c-died-started');
    await writeJsonObject(
      transport,
      SAMPLE.requestBucket,
      claimObject(key),
      { key, state: 'claimed', claimedAt: clock, requestId: 'c-died-started', messageId: 'x' } satisfies ClaimRecord,
      { ifGenerationMatch: '0' },
    );
    const [started] = await executions.createExecution({
      parent: WORKFLOW,
      execution: { argument: JSON.stringify(request('c-died-started')), labels: { [REQUEST_LABEL]: key } },
    });
    clock += LEASE_MS;
    expect(await instance().handle(delivery(request('c-died-started')))).toMatchObject({
      kind: 'duplicate',
      execution: started.name,
    });
    expect(await executionsOf('c-died-started')).toEqual([started.name]);
  });

  it('a claim that cannot be read or written (Cloud Storage down) is never acknowledged and starts nothing', async () => {
    emu.faults.failNext('storage.objects.*', 50, 503);
    expect(await instance().handle(delivery(request('c-gcs-down')))).toMatchObject({ kind: 'retry', retry: true });
    emu.faults.clear();
    expect(await executionsOf('c-gcs-down')).toEqual([]);
  });

  it('a request without requestId is keyed on the message id: its redeliveries are one run, another message is another run', async () => {
    const body = { templateUri: 'gs://netreflex-demo-netreflex-pipelines/templates/train.json', displayName: 'no-id' };
    const first = delivery(body);
    expect(await instance().handle(first)).toMatchObject({ kind: 'started' });
    expect(await instance().handle(first)).toMatchObject({ kind: 'duplicate' });
    expect(await instance().handle(delivery(body))).toMatchObject({ kind: 'started' });
  });

  it('a request without requestId is logged as a WARNING saying a retried publish runs twice; one with it is not', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const logged = new PipelineRequestsService(cfg(), createLogger('info', sink), {
      transport: new Transport({ emulatorHost: emu.url, retry: { attempts: 1 } }),
      now: () => clock,
    });
    const anonymous = delivery(
      { templateUri: 'gs://netreflex-demo-netreflex-pipelines/templates/train.json' },
      'm-no-id-warn',
    );
    expect(await logged.handle(anonymous)).toMatchObject({ kind: 'started' });
    expect(await logged.handle(delivery(request('c-with-id')))).toMatchObject({ kind: 'started' });
    const warnings = lines.filter((l) => l.missingRequestId === true);
    expect(warnings).toEqual([
      expect.objectContaining({
        severity: 'WARNING',
        messageId: 'm-no-id-warn',
        message: expect.stringMatching(
          /has no requestId.*a retried publish \(a new message\) starts another run\. Set requestId/,
        ),
      }),
    ]);
  });
});
