/**
 * Two teams start `vertex-pipeline-run` at the same moment through the official
 * @google-cloud/workflows client, each with a compiled pipeline of many parallel 8-node training
 * jobs. The local Vertex AI gives every job's nodes an IP block in the reserved ranges and fails a
 * run the ranges cannot hold (the capacity table of its private-IP page), so both runs succeed only
 * if peeringRanges prepared room for both together: the second preparation counts the first run,
 * which it sees as a reservation (its PipelineJob does not exist yet) and later as a labelled job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import type { ExecutionsClient } from '@google-cloud/workflows';
import { startStack, type Stack } from '../../emulator/stack.js';
import { SAMPLE } from '../../emulator/topology.js';
import { computeClients, PROJECT } from '../helpers/compute.js';
import { vertexClients, PARENT } from '../helpers/vertex.js';
import { awaitExecution, executionsClient, workflowName } from '../helpers/workflows.js';
import { kfpPipeline } from '../helpers/pipelines.js';
import { rangesClients } from '../helpers/ranges.js';
import { jobsPerRange } from '../../shared/plan/capacity.js';

let stack: Stack;
let executions: ExecutionsClient;

const TEAMS = [
  { team: 'team-a', parallelJobs: 30 },
  { team: 'team-b', parallelJobs: 40 },
];

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutesSync', 'peeringRanges'],
    env: { NETREFLEX_LOG_LEVEL: 'warn' },
    emulator: { natInstances: ['nat-t1', 'nat-t2'], settings: { operationLatencyMs: 30, instanceStepMs: 20, pipelineStepMs: 20, pipelineRunMs: 2_500 } },
  });
  stack.emulator.workflows.timeScale = 0.001;
  executions = executionsClient(stack.emulator.port);
  const c = computeClients(stack.emulator.port);
  const policies = new compute.SecurityPoliciesClient({ apiEndpoint: '127.0.0.1', port: stack.emulator.port, protocol: 'http', authClient: new PassThroughClient() } as unknown as ConstructorParameters<typeof compute.SecurityPoliciesClient>[0]);
  await c.wait(await policies.addRule({ project: PROJECT, securityPolicy: SAMPLE.armor.policy, securityPolicyRuleResource: { priority: 1000, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/28'] } } } }));
  for (const t of TEAMS) {
    const spec = kfpPipeline(t.team, [{ name: 'train', parallel: t.parallelJobs, nodes: 8 }]);
    stack.emulator.storage.writeObject(SAMPLE.bucket.name, `pipelines/${t.team}.json`, Buffer.from(JSON.stringify(spec)), { contentType: 'application/json' }, {}, false);
  }
}, 60_000);

afterAll(async () => {
  await executions?.close();
  await stack?.stop();
});

describe('two teams at the same moment', () => {
  it('both runs succeed, on ranges that hold both', async () => {
    const vmsBefore = await rangesClients(stack.emulator.port, stack.emulator.url).natVms();
    const started = await Promise.all(TEAMS.map(async (t) => {
      const argument = { templateUri: `gs://${SAMPLE.bucket.name}/pipelines/${t.team}.json`, displayName: t.team, parallelJobs: t.parallelJobs, nodesPerJob: 8, pollSeconds: 1 };
      const [execution] = await executions.createExecution({ parent: workflowName('vertex-pipeline-run'), execution: { argument: JSON.stringify(argument) } });
      return execution.name!;
    }));
    const done = await Promise.all(started.map((name) => awaitExecution(executions, name, 60_000)));
    for (const e of done) expect(e.state, `${e.error?.context ?? ''} ${e.error?.payload ?? ''}`).toBe('SUCCEEDED');

    const summaries = done.map((e) => JSON.parse(e.result!) as { job: string; reservedIpRanges: string[]; capacity: { required: number; others: number; after: number } });
    // the second preparation counted the first run, and the ranges hold both
    const later = summaries.find((s) => s.capacity.others > 0)!;
    expect(later.capacity.required).toBe(70);
    expect(later.capacity.after).toBeGreaterThanOrEqual(70);
    const view = await rangesClients(stack.emulator.port, stack.emulator.url).view();
    const total = Object.entries(view.addresses).filter(([n]) => later.reservedIpRanges.includes(n)).reduce((sum, [, cidr]) => sum + jobsPerRange(Number(cidr.split('/')[1]), 8), 0);
    expect(total).toBeGreaterThanOrEqual(70);

    // the runs really overlapped, and every one of their 70 jobs got its IPs
    const v = vertexClients(stack.emulator.port);
    for (const s of summaries) {
      const [job] = await v.pipelines.getPipelineJob({ name: s.job });
      expect(job.state).toBe('PIPELINE_STATE_SUCCEEDED');
      expect(job.labels).toMatchObject({ 'netreflex-nodes-per-job': '8' });
    }
    const [customs] = await v.jobs.listCustomJobs({ parent: PARENT });
    expect(customs.filter((j) => j.state === 'JOB_STATE_SUCCEEDED')).toHaveLength(70);
    expect(customs.filter((j) => j.state === 'JOB_STATE_FAILED')).toEqual([]);
    const [a, b] = await Promise.all(summaries.map(async (s) => (await v.pipelines.getPipelineJob({ name: s.job }))[0]!));
    const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
    expect(ms(a!.startTime) < ms(b!.endTime) && ms(b!.startTime) < ms(a!.endTime)).toBe(true);
    expect(await rangesClients(stack.emulator.port, stack.emulator.url).natVms()).toEqual(vmsBefore);
  });
});
