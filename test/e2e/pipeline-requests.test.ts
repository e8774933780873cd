/**
 * pipelineRequests end to end, exactly once: one request message → one workflow execution → one
 * pipeline job → one reply when the run ends, however the message is delivered — three copies at
 * once, to two function instances with one copy delayed, again after the function restarted — and
 * a bad request answered once however often it comes. Functions run under the Functions
 * Framework, the workflow on the local engine, and everything is read through the official clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionsClient } from '@google-cloud/workflows';
import { startStack, type Stack } from '../../local/stack.js';
import { spawnFunction } from '../../local/functions-host.js';
import { SAMPLE, SAMPLE_TEMPLATE_URI } from '../../local/topology.js';
import { PIPELINE_REPLY_TOPIC, PIPELINE_REQUEST_TOPIC } from '../../local/workflows.js';
import { computeClients, PROJECT, waitFor } from '../helpers/compute.js';
import { vertexClients } from '../helpers/vertex.js';
import { executionsClient, workflowName } from '../helpers/workflows.js';
import { Transport } from '../../shared/gcp/transport.js';
import { writeJsonObject } from '../../shared/gcp/storage.js';
import { claimObject, requestKey, type ClaimRecord } from '../../functions/pipeline-requests/claims.js';

const WORKFLOW = workflowName('vertex-pipeline-run');
const REQUESTS = `projects/${SAMPLE.project}/topics/${PIPELINE_REQUEST_TOPIC}`;
const REPLIES = `projects/${SAMPLE.project}/topics/${PIPELINE_REPLY_TOPIC}`;
const SUBSCRIPTION = 'pipelineRequests-0';

let stack: Stack;
let executions: ExecutionsClient;

interface Reply {
  status: 'succeeded' | 'failed' | 'rejected';
  requestId?: string;
  messageId?: string;
  execution?: string;
  step?: string;
  message?: string;
  summary?: { job: string; state: string };
  problems?: string[];
}

const request = (requestId: string, extra: Record<string, unknown> = {}) => ({
  requestId,
  templateUri: SAMPLE_TEMPLATE_URI,
  displayName: requestId,
  parallelJobs: 1,
  nodesPerJob: 8,
  ...extra,
});
const publish = (body: unknown) =>
  stack.emulator.topics.publish(REQUESTS, [{ data: typeof body === 'string' ? body : JSON.stringify(body) }])[0]!;
const repliesFor = (requestId: string) =>
  stack.emulator.topics
    .messages(REPLIES)
    .map((m) => JSON.parse(m.data.toString()) as Reply)
    .filter((r) => r.requestId === requestId);

/** Executions whose argument carries this requestId's request (what a paid run would be). */
async function executionsFor(requestId: string): Promise<string[]> {
  const [list] = await executions.listExecutions(
    { parent: WORKFLOW, view: 'FULL', pageSize: 100 },
    { autoPaginate: false },
  );
  return list
    .filter(
      (e) =>
        (JSON.parse(e.argument ?? 'null') as { netreflexRequest?: { requestId?: string } } | null)?.netreflexRequest
          ?.requestId === requestId,
    )
    .map((e) => e.name!);
}

async function jobsFor(requestId: string): Promise<string[]> {
  const [jobs] = await vertexClients(stack.emulator.port).pipelines.listPipelineJobs(
    { parent: `projects/${SAMPLE.project}/locations/${SAMPLE.region}` },
    { autoPaginate: false },
  );
  return jobs.filter((j) => j.displayName === requestId).map((j) => j.name!);
}

/** Waits for the run's one reply, then for every delivery still retrying, and answers all replies. */
async function settled(requestId: string): Promise<Reply[]> {
  await waitFor(`the reply to ${requestId}`, async () => repliesFor(requestId).length > 0, 40_000);
  await stack.emulator.events.idle();
  return repliesFor(requestId);
}

/** The exactly-once invariant: one execution, one pipeline job, one reply naming that execution. */
async function expectOnce(requestId: string, status: Reply['status'] = 'succeeded'): Promise<Reply> {
  const replies = await settled(requestId);
  const runs = await executionsFor(requestId);
  expect(runs, 'executions').toHaveLength(1);
  expect(replies, 'replies').toHaveLength(1);
  expect(replies[0]).toMatchObject({ status, requestId, execution: runs[0] });
  if (status === 'succeeded') expect(await jobsFor(requestId), 'pipeline jobs').toEqual([replies[0]!.summary!.job]);
  return replies[0]!;
}

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutesSync', 'pipelineRequests', 'peeringRanges', 'armorAllowlistVerify'],
    emulator: {
      natInstances: ['nat-p1', 'nat-p2'],
      settings: { operationLatencyMs: 20, instanceStepMs: 40, pipelineStepMs: 20, pipelineRunMs: 100 },
    },
  });
  stack.emulator.workflows.timeScale = 0.001;
  executions = executionsClient(stack.emulator.port);
  const c = computeClients(stack.emulator.port);
  const policies = computeClients(stack.emulator.port).securityPolicies;
  await c.wait(
    await policies.addRule({
      project: PROJECT,
      securityPolicy: SAMPLE.armor.policy,
      securityPolicyRuleResource: {
        priority: 1000,
        action: 'allow',
        match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/28'] } },
      },
    }),
  );
}, 60_000);

afterAll(async () => {
  await executions?.close();
  await stack?.stop();
});

describe('one request message → one pipeline run → one reply', () => {
  it('a plain request: the reply comes when the run ends, with the job and the execution', async () => {
    publish(request('req-plain'));
    const reply = await expectOnce('req-plain');
    expect(reply.summary).toMatchObject({ state: 'PIPELINE_STATE_SUCCEEDED' });
    expect(reply.messageId).toMatch(/\d+/);
  });

  it('three copies delivered at once: one execution, one job, one reply', async () => {
    stack.emulator.events.injectFault({ kind: 'duplicate', subscription: SUBSCRIPTION, count: 1, times: 2 });
    publish(request('req-dup'));
    await expectOnce('req-dup');
    expect(
      stack.emulator.events.deliveries.filter((d) => d.subscription === SUBSCRIPTION).length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('delivered to two instances, one copy delayed: still one of each', async () => {
    const second = await spawnFunction({
      target: 'pipelineRequests',
      signatureType: 'cloudevent',
      port: 0,
      env: stack.env,
      identity: stack.identity('pipelineRequests'),
    });
    stack.emulator.events.subscribe({
      id: 'pipelineRequests-instance-2',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      filters: { source: `//pubsub.googleapis.com/${REQUESTS}` },
      url: second.url,
      attempts: 8,
    });
    stack.emulator.events.injectFault({ kind: 'delay', subscription: SUBSCRIPTION, count: 1, ms: 150 });
    stack.emulator.events.injectFault({
      kind: 'duplicate',
      subscription: 'pipelineRequests-instance-2',
      count: 1,
      times: 1,
    });
    try {
      publish(request('req-two'));
      await expectOnce('req-two');
    } finally {
      stack.emulator.events.unsubscribe('pipelineRequests-instance-2');
      await second.stop();
    }
  });

  it('redelivered after the function restarted (no memory left): nothing new starts, no second reply', async () => {
    const messageId = publish(request('req-restart'));
    await expectOnce('req-restart');
    const old = stack.functions.get('pipelineRequests')!;
    await old.stop();
    const fresh = await spawnFunction({
      target: 'pipelineRequests',
      signatureType: 'cloudevent',
      port: old.port,
      env: stack.env,
      identity: stack.identity('pipelineRequests'),
    });
    stack.functions.set('pipelineRequests', fresh);
    stack.emulator.events.redeliver(messageId, SUBSCRIPTION);
    await stack.emulator.events.idle();
    await expectOnce('req-restart');
    expect(fresh.output.join('\n')).toMatch(/req-restart already started; nothing started/);
  });

  it('a claim whose holder died long ago: the delivery looks for its execution by label, finds none, and starts it once', async () => {
    const key = requestKey('vertex-pipeline-run', 'req-orphan', 'unused');
    const owner = new Transport({ emulatorHost: stack.emulator.url });
    await writeJsonObject(
      owner,
      SAMPLE.requestBucket,
      claimObject(key),
      { key, state: 'claimed', claimedAt: 0, requestId: 'req-orphan', messageId: 'gone' } satisfies ClaimRecord,
      { ifGenerationMatch: '0' },
    );
    publish(request('req-orphan'));
    await expectOnce('req-orphan');
    const member = `serviceAccount:${stack.identity('pipelineRequests').email}`;
    expect(stack.emulator.iamChecks).toContainEqual(
      expect.objectContaining({ member, permission: 'workflows.executions.list', allowed: true }),
    );
  });

  it('a run that fails: one reply naming the step and why', async () => {
    stack.emulator.events.injectFault({ kind: 'duplicate', subscription: SUBSCRIPTION, count: 1, times: 2 });
    publish(request('req-fails', { parameterValues: { emulatorFail: 'trainer: out of memory' } }));
    const reply = await expectOnce('req-fails', 'failed');
    expect(reply.step).toBe('wait_job');
    expect(reply.message).toMatch(/ended PIPELINE_STATE_FAILED: trainer: out of memory/);
  });

  it('a failed run whose reply cannot be published: the workflow logs that, writing as its own account', async () => {
    const lost = () =>
      stack.emulator.workflows.logs.filter((l) =>
        JSON.stringify(l.payload).includes('the failure reply could not be published'),
      );
    const before = lost().length;
    await stack.emulator.faults.failNext('pubsub.projects.topics.publish', 1, 403);
    publish(request('req-unreplied', { parameterValues: { emulatorFail: 'trainer: out of memory' } }));
    await waitFor('the lost reply logged', async () => lost().length > before, 40_000);
    expect(repliesFor('req-unreplied')).toEqual([]);
    const member = `serviceAccount:${stack.iam.serviceAccounts['google_service_account.workflow']}`;
    expect(stack.emulator.iamChecks).toContainEqual(
      expect.objectContaining({
        member,
        methodId: 'logging.entries.write',
        permission: 'logging.logEntries.create',
        allowed: true,
      }),
    );
  });

  it('a bad request delivered three times: one rejection with every problem, no execution', async () => {
    stack.emulator.events.injectFault({ kind: 'duplicate', subscription: SUBSCRIPTION, count: 1, times: 2 });
    // a YAML template: Workflows parses JSON only, so the request schema refuses it as the workflow does
    publish({
      requestId: 'req-bad',
      templateUri: `gs://${SAMPLE.template.bucket}/templates/train.yaml`,
      nodesPerJob: 64,
    });
    const replies = await settled('req-bad');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.status).toBe('rejected');
    expect(replies[0]!.problems!.join('\n')).toMatch(
      /templateUri: must be a compiled pipeline JSON in Cloud Storage \(gs:\/\/BUCKET\/OBJECT\.json\)[\s\S]*nodesPerJob/,
    );
    expect(await executionsFor('req-bad')).toEqual([]);
  });

  it('the same requestId published twice (a team retrying by hand) is one run', async () => {
    publish(request('req-twice'));
    await settled('req-twice');
    publish(request('req-twice'));
    await stack.emulator.events.idle();
    await expectOnce('req-twice');
  });
});
