/**
 * Two teams start `vertex-pipeline-run` at the same moment through the official
 * @google-cloud/workflows client, each with a compiled pipeline of many parallel 8-node training
 * jobs. The local Vertex AI gives every job's nodes an IP block in the reserved ranges and fails a
 * run the ranges cannot hold (the capacity table of its private-IP page), so both runs succeed only
 * if peeringRanges prepared room for both: Vertex puts a job's nodes in any of its reserved ranges,
 * so the second preparation, which sees the first run as a reservation (its PipelineJob does not
 * exist yet), leaves the first run's ranges to it and hands the second other ranges. Whichever run
 * starts its jobs first, neither can take the other's blocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionsClient } from '@google-cloud/workflows';
import { startStack, type Stack } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, waitFor } from '../helpers/compute.js';
import { networkOf, vertexClients, PARENT } from '../helpers/vertex.js';
import { awaitExecution, executionsClient, workflowName } from '../helpers/workflows.js';
import { kfpPipeline, toStruct } from '../helpers/pipelines.js';
import { rangesClients } from '../helpers/ranges.js';
import { jobsPerRange } from '../../shared/plan/capacity.js';
import { RUN_LABELS } from '../../shared/plan/ranges-demand.js';

let stack: Stack;
let executions: ExecutionsClient;

const TEAMS = [
  { team: 'team-a', parallelJobs: 30 },
  { team: 'team-b', parallelJobs: 40 },
];

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutesSync', 'peeringRanges', 'armorAllowlistVerify'],
    env: { NETREFLEX_LOG_LEVEL: 'warn' },
    emulator: {
      natInstances: ['nat-t1', 'nat-t2'],
      settings: { operationLatencyMs: 30, instanceStepMs: 20, pipelineStepMs: 20, pipelineRunMs: 2_500 },
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
  for (const t of TEAMS) {
    const spec = kfpPipeline(t.team, [{ name: 'train', parallel: t.parallelJobs, nodes: 8 }]);
    stack.emulator.storage.writeObject(
      SAMPLE.template.bucket,
      `templates/${t.team}.json`,
      Buffer.from(JSON.stringify(spec)),
      { contentType: 'application/json' },
      {},
      false,
    );
  }
}, 60_000);

afterAll(async () => {
  await executions?.close();
  await stack?.stop();
});

interface Prepared {
  status: number;
  body: { reservedIpRanges: string[]; capacity: { requested: number; after: number; leftToOthers: string[] } };
}
const prepare = async (body: Record<string, unknown>): Promise<Prepared> => {
  const res = await fetch(stack.functions.get('peeringRanges')!.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Prepared['body'] };
};
/** Σ jobs of ≤ 8 nodes the named ranges hold, as the view reads them. */
const holds = async (names: readonly string[]) => {
  const view = await rangesClients(stack.emulator.port, stack.emulator.url).view();
  return Object.entries(view.addresses)
    .filter(([n]) => names.includes(n))
    .reduce((sum, [, cidr]) => sum + jobsPerRange(Number(cidr.split('/')[1]), 8), 0);
};
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

describe('two teams at the same moment', () => {
  it("prepared one after the other, the later run starting its jobs first cannot take the earlier run's blocks", async () => {
    const a = await prepare({ parallelJobs: 30, nodesPerJob: 8, runId: 'order-a' });
    const b = await prepare({ parallelJobs: 40, nodesPerJob: 8, runId: 'order-b' });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.capacity.leftToOthers).toEqual(a.body.reservedIpRanges);
    expect(b.body.reservedIpRanges.filter((n) => a.body.reservedIpRanges.includes(n))).toEqual([]);
    expect(await holds(a.body.reservedIpRanges)).toBeGreaterThanOrEqual(30);
    expect(await holds(b.body.reservedIpRanges)).toBeGreaterThanOrEqual(40);

    // b's 40 jobs take their blocks first (Vertex fills a job's ranges as it likes), then a's 30 start
    const v = vertexClients(stack.emulator.port);
    const create = async (runId: string, team: string, jobs: number, ranges: string[]) =>
      (
        await v.pipelines.createPipelineJob({
          parent: PARENT,
          pipelineJob: {
            displayName: runId,
            pipelineSpec: toStruct(kfpPipeline(team, [{ name: 'train', parallel: jobs, nodes: 8 }])),
            network: networkOf('vpc-a'),
            reservedIpRanges: ranges,
            runtimeConfig: { gcsOutputDirectory: `gs://${SAMPLE.bucket.name}/runs` },
            labels: { [RUN_LABELS.run]: runId, [RUN_LABELS.parallelJobs]: String(jobs), [RUN_LABELS.nodesPerJob]: '8' },
          },
        })
      )[0];
    const jobB = await create('order-b', 'team-b', 40, b.body.reservedIpRanges);
    await waitFor(
      "b's 40 jobs holding their blocks",
      async () => {
        const [customs] = await v.jobs.listCustomJobs({ parent: PARENT });
        return (
          customs.filter(
            (j) =>
              j.labels?.['vertex-ai-pipelines-run-billing-id'] === jobB.name!.split('/').pop() &&
              ['JOB_STATE_QUEUED', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING'].includes(String(j.state)),
          ).length === 40 || undefined
        );
      },
      30_000,
      20,
    );
    const jobA = await create('order-a', 'team-a', 30, a.body.reservedIpRanges);
    const ended = (name: string) =>
      waitFor(
        `${name} to end`,
        async () => {
          const [job] = await v.pipelines.getPipelineJob({ name });
          return ['PIPELINE_STATE_SUCCEEDED', 'PIPELINE_STATE_FAILED', 'PIPELINE_STATE_CANCELLED'].includes(
            String(job.state),
          )
            ? job
            : undefined;
        },
        60_000,
        50,
      );
    const [doneA, doneB] = await Promise.all([ended(jobA.name!), ended(jobB.name!)]);
    expect([doneA.state, doneB.state]).toEqual(['PIPELINE_STATE_SUCCEEDED', 'PIPELINE_STATE_SUCCEEDED']);
    expect(ms(doneA.startTime) < ms(doneB.endTime)).toBe(true); // they overlapped
  });

  it('both runs succeed, on ranges that hold both', async () => {
    const v = vertexClients(stack.emulator.port);
    const [seen] = await v.jobs.listCustomJobs({ parent: PARENT });
    const earlier = new Set(seen.map((j) => j.name));
    const vmsBefore = await rangesClients(stack.emulator.port, stack.emulator.url).natVms();
    const started = await Promise.all(
      TEAMS.map(async (t) => {
        const argument = {
          templateUri: `gs://${SAMPLE.template.bucket}/templates/${t.team}.json`,
          displayName: t.team,
          parallelJobs: t.parallelJobs,
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
    const done = await Promise.all(started.map((name) => awaitExecution(executions, name, 60_000)));
    for (const e of done) expect(e.state, `${e.error?.context ?? ''} ${e.error?.payload ?? ''}`).toBe('SUCCEEDED');

    const summaries = done.map(
      (e) =>
        JSON.parse(e.result!) as {
          job: string;
          reservedIpRanges: string[];
          capacity: { requested: number; after: number; leftToOthers: string[] };
        },
    );
    // the second preparation left the first run's ranges to it: two disjoint sets, each holding its run
    const later = summaries.find((s) => s.capacity.leftToOthers.length > 0)!;
    const first = summaries.find((s) => s !== later)!;
    expect(later.capacity.leftToOthers).toEqual(expect.arrayContaining(first.reservedIpRanges));
    expect(later.reservedIpRanges.filter((n) => first.reservedIpRanges.includes(n))).toEqual([]);
    for (const s of summaries) expect(await holds(s.reservedIpRanges)).toBeGreaterThanOrEqual(s.capacity.requested);

    // the runs really overlapped, and every one of their 70 jobs got its IPs
    for (const s of summaries) {
      const [job] = await v.pipelines.getPipelineJob({ name: s.job });
      expect(job.state).toBe('PIPELINE_STATE_SUCCEEDED');
      expect(job.labels).toMatchObject({ 'netreflex-nodes-per-job': '8' });
    }
    const customs = (await v.jobs.listCustomJobs({ parent: PARENT }))[0].filter((j) => !earlier.has(j.name));
    expect(customs.filter((j) => j.state === 'JOB_STATE_SUCCEEDED')).toHaveLength(70);
    expect(customs.filter((j) => j.state === 'JOB_STATE_FAILED')).toEqual([]);
    const [a, b] = await Promise.all(
      summaries.map(async (s) => (await v.pipelines.getPipelineJob({ name: s.job }))[0]!),
    );
    expect(ms(a!.startTime) < ms(b!.endTime) && ms(b!.startTime) < ms(a!.endTime)).toBe(true);
    expect(await rangesClients(stack.emulator.port, stack.emulator.url).natVms()).toEqual(vmsBefore);
  });
});
