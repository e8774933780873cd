/**
 * Vertex AI runs a pipeline's components as CustomJobs whose nodes take IP blocks in the reserved
 * ranges; through the official @google-cloud/aiplatform client: the documented capacity of a range
 * holds exactly, every job running or queued on the same ranges counts, and a run that does not fit
 * fails the way Vertex fails it (the CustomJob FAILED_PRECONDITION "Couldn't find free blocks…",
 * the pipeline "The DAG failed because some tasks failed…").
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { PROJECT, waitFor } from '../helpers/compute.js';
import { failure, networkOf, PARENT, psaComputeClients, serviceNetworking, vertexClients } from '../helpers/vertex.js';
import { kfpPipeline, toStruct, type TaskShape } from '../helpers/pipelines.js';
import { SAMPLE } from '../../local/topology.js';

let emu: Emulator;
let v: ReturnType<typeof vertexClients>;
let seq = 0;

async function run(tasks: TaskShape[], over: Record<string, unknown> = {}) {
  const [job] = await v.pipelines.createPipelineJob({
    parent: PARENT,
    pipelineJobId: `cap-${++seq}`,
    pipelineJob: {
      displayName: 'cap',
      network: networkOf('vpc-a'),
      pipelineSpec: toStruct(kfpPipeline('cap', tasks)),
      ...over,
    },
  });
  return job.name!;
}

const TERMINAL = ['PIPELINE_STATE_SUCCEEDED', 'PIPELINE_STATE_FAILED', 'PIPELINE_STATE_CANCELLED'];
const ended = (name: string) =>
  waitFor(
    `${name} to end`,
    async () => {
      const [j] = await v.pipelines.getPipelineJob({ name });
      return TERMINAL.includes(String(j.state)) ? j : undefined;
    },
    20_000,
    20,
  );
const running = (name: string) =>
  waitFor(
    `${name} to run its tasks`,
    async () => {
      const [j] = await v.pipelines.getPipelineJob({ name });
      return j.jobDetail?.taskDetails?.length ? j : undefined;
    },
    20_000,
    20,
  );

async function customJobsOf(name: string) {
  const [jobs] = await v.jobs.listCustomJobs({
    parent: PARENT,
    filter: `labels.vertex-ai-pipelines-run-billing-id="${name.split('/').pop()}"`,
  });
  return jobs;
}

async function addRange(name: string, address: string, prefixLength: number) {
  const c = psaComputeClients(emu.port);
  const [res] = await c.addresses.insert({
    project: PROJECT,
    addressResource: {
      name,
      address,
      prefixLength,
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      network: 'global/networks/vpc-a',
    },
  });
  await c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
  const sn = serviceNetworking(emu.url);
  const [current] = await sn.list(networkOf('vpc-a'));
  await sn.wait(await sn.patch(networkOf('vpc-a'), [...current!.reservedPeeringRanges, name]));
}

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 10, pipelineStepMs: 20, pipelineRunMs: 400 } });
  v = vertexClients(emu.port);
  await addRange('cap-18', '10.99.0.0', 18);
});
beforeEach(() => {
  emu.settings.pipelineRunMs = 400;
});
afterAll(() => emu.close());

describe('capacity of the reserved ranges (Vertex private IP table)', () => {
  it.each([
    [8, 15],
    [16, 7],
    [32, 3],
  ])('a /18 holds %i-node jobs %i at a time: one more fails', async (nodes, fits) => {
    const name = await run([{ name: 'train', parallel: fits + 1, nodes }], { reservedIpRanges: ['cap-18'] });
    const done = await ended(name);
    expect(done.state).toBe('PIPELINE_STATE_FAILED');
    expect(done.error).toMatchObject({
      code: 9,
      message: 'The DAG failed because some tasks failed. The failed tasks are: [train].',
    });
    const jobs = await customJobsOf(name);
    expect(jobs).toHaveLength(fits + 1);
    const failed = jobs.filter((j) => j.state === 'JOB_STATE_FAILED');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatchObject({ code: 9 });
    expect(failed[0]!.error!.message).toMatch(
      /Couldn't find free blocks in allocated IP ranges\. Please allocate new ranges for this service provider\./,
    );
    expect(jobs.filter((j) => j.state === 'JOB_STATE_SUCCEEDED')).toHaveLength(fits);
  });

  it('exactly the capacity succeeds, and every task names its CustomJob', async () => {
    const name = await run([{ name: 'train', parallel: 15, nodes: 8 }], { reservedIpRanges: ['cap-18'] });
    const done = await ended(name);
    expect(done.state).toBe('PIPELINE_STATE_SUCCEEDED');
    const details = done.jobDetail!.taskDetails!;
    expect(details).toHaveLength(15);
    expect(
      details.every((d) => d.state === 'SUCCEEDED' && d.executorDetail?.customJobDetail?.job?.includes('/customJobs/')),
    ).toBe(true);
  });

  it('the seed /21 runs one 8-node job at a time (the seed article), and no 16-node job', async () => {
    const one = await ended(
      await run([{ name: 'a', parallel: 1, nodes: 8 }], { reservedIpRanges: ['vertex-psa-range'] }),
    );
    expect(one.state).toBe('PIPELINE_STATE_SUCCEEDED');
    expect(
      (await ended(await run([{ name: 'a', parallel: 2, nodes: 8 }], { reservedIpRanges: ['vertex-psa-range'] })))
        .state,
    ).toBe('PIPELINE_STATE_FAILED');
    expect(
      (await ended(await run([{ name: 'big', parallel: 1, nodes: 16 }], { reservedIpRanges: ['vertex-psa-range'] })))
        .state,
    ).toBe('PIPELINE_STATE_FAILED');
  });
});

describe('concurrent jobs on the same ranges count together', () => {
  it('a second pipeline fails while the first holds the ranges, and runs once it has ended', async () => {
    emu.settings.pipelineRunMs = 2_000;
    const first = await run([{ name: 'train', parallel: 10, nodes: 8 }], { reservedIpRanges: ['cap-18'] });
    await running(first);
    const second = await run([{ name: 'train', parallel: 6, nodes: 8 }], { reservedIpRanges: ['cap-18'] });
    const lost = await ended(second);
    expect(lost.state).toBe('PIPELINE_STATE_FAILED');
    expect((await customJobsOf(second)).filter((j) => j.state === 'JOB_STATE_FAILED')).toHaveLength(1);
    expect((await ended(first)).state).toBe('PIPELINE_STATE_SUCCEEDED');
    emu.settings.pipelineRunMs = 400;
    expect(
      (await ended(await run([{ name: 'train', parallel: 6, nodes: 8 }], { reservedIpRanges: ['cap-18'] }))).state,
    ).toBe('PIPELINE_STATE_SUCCEEDED');
  });

  it('a job created directly (customJobs.create) holds its block while queued and running', async () => {
    emu.settings.pipelineRunMs = 2_000;
    const created = await v.jobs.createCustomJob({
      parent: PARENT,
      customJob: {
        displayName: 'direct',
        jobSpec: {
          network: networkOf('vpc-a'),
          reservedIpRanges: ['cap-18'],
          workerPoolSpecs: [
            {
              machineSpec: { machineType: 'n1-standard-4' },
              replicaCount: 32,
              containerSpec: { imageUri: 'python:3.11' },
            },
          ],
        },
      },
    });
    expect(created[0].state).toBe('JOB_STATE_QUEUED');
    const name = await run([{ name: 'train', parallel: 12, nodes: 8 }], { reservedIpRanges: ['cap-18'] });
    expect((await ended(name)).state).toBe('PIPELINE_STATE_FAILED');
  });

  it('dependent tasks run after their dependency, so their nodes do not add up; a task after a failed one is skipped', async () => {
    const sequential = await ended(
      await run(
        [
          { name: 'prep', parallel: 15, nodes: 8 },
          { name: 'train', parallel: 15, nodes: 8, dependsOn: ['prep'] },
        ],
        { reservedIpRanges: ['cap-18'] },
      ),
    );
    expect(sequential.state).toBe('PIPELINE_STATE_SUCCEEDED');
    const broken = await ended(
      await run(
        [
          { name: 'prep', parallel: 16, nodes: 8 },
          { name: 'train', parallel: 1, nodes: 8, dependsOn: ['prep'] },
        ],
        { reservedIpRanges: ['cap-18'] },
      ),
    );
    expect(broken.error?.message).toBe('The DAG failed because some tasks failed. The failed tasks are: [prep].');
    expect(broken.jobDetail!.taskDetails!.find((d) => d.taskName === 'train')?.state).toBe('SKIPPED');
  });

  // pipeline_job.proto, template_uri: "Currently, only uri from Vertex Template Registry & Gallery
  // is supported". A compiled pipeline in Cloud Storage is the caller's to read and send as pipelineSpec.
  it('a gs:// templateUri is refused with 400 INVALID_ARGUMENT: only Template Registry URIs are supported', async () => {
    emu.storage.writeObject(
      SAMPLE.bucket.name,
      'pipelines/too-big.json',
      Buffer.from(JSON.stringify(kfpPipeline('too-big', [{ name: 'train', parallel: 2, nodes: 8 }]))),
      { contentType: 'application/json' },
      {},
      false,
    );
    const pipelineJob = {
      displayName: 'tpl',
      network: networkOf('vpc-a'),
      reservedIpRanges: ['vertex-psa-range'],
      runtimeConfig: { gcsOutputDirectory: SAMPLE.pipelineRoot },
      templateUri: `gs://${SAMPLE.bucket.name}/pipelines/too-big.json`,
    };
    const err = await failure(
      v.pipelines.createPipelineJob({ parent: PARENT, pipelineJobId: 'from-gcs', pipelineJob }),
    );
    expect(err.code).toBe(400);
    expect(err.message).toContain('only a Vertex Template Registry URI');
    expect(err.message).toContain('send it as pipeline_spec');
    const res = await fetch(`${emu.url}/v1/${PARENT}/pipelineJobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(pipelineJob),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
  });

  it('a Template Registry templateUri is refused locally, saying the local cloud has no Artifact Registry', async () => {
    const err = await failure(
      v.pipelines.createPipelineJob({
        parent: PARENT,
        pipelineJobId: 'from-registry',
        pipelineJob: {
          displayName: 'tpl',
          network: networkOf('vpc-a'),
          runtimeConfig: { gcsOutputDirectory: SAMPLE.pipelineRoot },
          templateUri: `https://${SAMPLE.region}-kfp.pkg.dev/${SAMPLE.project}/netreflex-pipelines/train/latest`,
        },
      }),
    );
    expect(err.code).toBe(400);
    expect(err.message).toContain('no Artifact Registry');
  });

  it('customJobs.create refuses a job without worker pools', async () => {
    expect(
      (await failure(v.jobs.createCustomJob({ parent: PARENT, customJob: { displayName: 'empty', jobSpec: {} } })))
        .code,
    ).toBe(400);
  });
});
