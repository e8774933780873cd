/**
 * Two teams start `vertex-pipeline-run` at the same moment, through the official
 * @google-cloud/workflows client, on a pool that holds either run but not both (NETREFLEX_PSA_POOL
 * 10.98.0.0/18: the sample /21 and the free /19, /20 and /21 hold 12 jobs of ≤ 8 nodes; each run
 * has 8). The pool is short only because of the other run, so the second preparation answers 503
 * naming it (`waitingFor`), and the workflow waits for it instead of failing: once the first run's
 * PipelineJob has ended, the second fits in the same ranges, and both runs succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionsClient } from '@google-cloud/workflows';
import { startStack, type Stack } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT } from '../helpers/compute.js';
import { vertexClients } from '../helpers/vertex.js';
import { awaitExecution, executionsClient, workflowName } from '../helpers/workflows.js';
import { kfpPipeline } from '../helpers/pipelines.js';

let stack: Stack;
let executions: ExecutionsClient;

const JOBS = 8;

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutesSync', 'peeringRanges', 'armorAllowlistVerify'],
    env: { NETREFLEX_LOG_LEVEL: 'warn', NETREFLEX_PSA_POOL: '10.98.0.0/18' },
    emulator: {
      natInstances: ['nat-t1', 'nat-t2'],
      settings: { operationLatencyMs: 20, instanceStepMs: 20, pipelineStepMs: 20, pipelineRunMs: 1_500 },
    },
  });
  stack.emulator.workflows.timeScale = 0.001;
  executions = executionsClient(stack.emulator.port);
  const c = computeClients(stack.emulator.port);
  await c.wait(
    await c.securityPolicies.addRule({
      project: PROJECT,
      securityPolicy: SAMPLE.armor.policy,
      securityPolicyRuleResource: {
        priority: 1000,
        action: 'allow',
        match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/28'] } },
      },
    }),
  );
  stack.emulator.storage.writeObject(
    SAMPLE.template.bucket,
    'templates/tight.json',
    Buffer.from(JSON.stringify(kfpPipeline('tight', [{ name: 'train', parallel: JOBS, nodes: 8 }]))),
    { contentType: 'application/json' },
    {},
    false,
  );
}, 60_000);

afterAll(async () => {
  await executions?.close();
  await stack?.stop();
});

describe('a pool that holds one run at a time', () => {
  it('the second team waits for the first run (503 naming it) and then runs in the same ranges: both succeed', async () => {
    const started = await Promise.all(
      ['team-a', 'team-b'].map(async (team) => {
        const argument = {
          templateUri: `gs://${SAMPLE.template.bucket}/templates/tight.json`,
          displayName: team,
          parallelJobs: JOBS,
          nodesPerJob: 8,
          pollSeconds: 1,
        };
        const [execution] = await executions.createExecution({
          parent: workflowName('vertex-pipeline-run'),
          execution: { argument: JSON.stringify(argument) },
        });
        return execution.name!;
      }),
    );
    const done = await Promise.all(started.map((name) => awaitExecution(executions, name, 90_000)));
    for (const e of done) expect(e.state, `${e.error?.context ?? ''} ${e.error?.payload ?? ''}`).toBe('SUCCEEDED');

    // the preparation that found the other run answered 503 naming it, and the workflow waited
    const fn = stack.functions.get('peeringRanges')!;
    const busy = fn.output.filter((line) => line.includes('fit the pools with nothing else on the network'));
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.every((line) => /"code":503/.test(line))).toBe(true);

    // the pool cannot hold both at once, so the second ran after the first, in the same ranges
    const summaries = done.map((e) => JSON.parse(e.result!) as { job: string; reservedIpRanges: string[] });
    expect(summaries[1]!.reservedIpRanges.slice().sort()).toEqual(summaries[0]!.reservedIpRanges.slice().sort());
    const v = vertexClients(stack.emulator.port);
    const [a, b] = await Promise.all(
      summaries.map(async (s) => (await v.pipelines.getPipelineJob({ name: s.job }))[0]),
    );
    for (const job of [a!, b!]) expect(job.state).toBe('PIPELINE_STATE_SUCCEEDED');
  });
});
