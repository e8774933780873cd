/**
 * The local Vertex AI through the official @google-cloud/aiplatform client in REST mode
 * (`fallback: true`, which asks for integer enums): pipeline job lifecycle, the state filter the
 * preflight uses, pagination, cancel, reserved ranges and the one-network-per-region rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { waitFor } from '../helpers/compute.js';
import { failure, networkOf, PARENT, serviceNetworking, vertexClients } from '../helpers/vertex.js';
import { SAMPLE } from '../../local/topology.js';

let emu: Emulator;
let v: ReturnType<typeof vertexClients>;

const spec = {
  pipelineSpec: { fields: { pipelineInfo: { structValue: { fields: { name: { stringValue: 'demo' } } } } } },
};
const job = (over: Record<string, unknown> = {}) => ({
  displayName: 'demo',
  network: networkOf('vpc-a'),
  ...spec,
  ...over,
});

async function create(id: string, over: Record<string, unknown> = {}) {
  const [created] = await v.pipelines.createPipelineJob({ parent: PARENT, pipelineJobId: id, pipelineJob: job(over) });
  return created;
}

async function stateOf(id: string) {
  const [j] = await v.pipelines.getPipelineJob({ name: `${PARENT}/pipelineJobs/${id}` });
  return j;
}

const reaches = (id: string, state: string) =>
  waitFor(`${id} ${state}`, async () => ((await stateOf(id)).state === state ? stateOf(id) : undefined), 5_000, 20);

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 20, pipelineStepMs: 40, pipelineRunMs: 300 } });
  v = vertexClients(emu.port);
});
afterAll(() => emu.close());

describe('pipelineJobs', () => {
  it('create answers the job QUEUED with the project number in its name; it then runs and succeeds', async () => {
    const created = await create('lifecycle', { reservedIpRanges: ['vertex-psa-range'] });
    expect(created.name).toBe(`projects/${SAMPLE.projectNumber}/locations/${SAMPLE.region}/pipelineJobs/lifecycle`);
    expect(created.state).toBe('PIPELINE_STATE_QUEUED');
    expect(created.reservedIpRanges).toEqual(['vertex-psa-range']);
    await reaches('lifecycle', 'PIPELINE_STATE_RUNNING');
    const done = await reaches('lifecycle', 'PIPELINE_STATE_SUCCEEDED');
    expect(done.endTime).toBeTruthy();
  });

  it('list filters on state with OR (as the preflight asks) and pages', async () => {
    emu.settings.pipelineRunMs = 60_000; // they stay RUNNING however loaded the machine is
    await create('long-a', { labels: { kind: 'long' } });
    await create('long-b', { labels: { kind: 'long' } });
    await reaches('long-b', 'PIPELINE_STATE_RUNNING');
    const [active] = await v.pipelines.listPipelineJobs({
      parent: PARENT,
      filter: 'state="PIPELINE_STATE_RUNNING" OR state="PIPELINE_STATE_PENDING" OR state="PIPELINE_STATE_QUEUED"',
    });
    expect(active.map((j) => j.name!.split('/').pop()).sort()).toEqual(['long-a', 'long-b']);
    const [page, , raw] = await v.pipelines.listPipelineJobs({ parent: PARENT, pageSize: 1 }, { autoPaginate: false });
    expect(page).toHaveLength(1);
    expect(raw?.nextPageToken).toBeTruthy();
    const [all] = await v.pipelines.listPipelineJobs({ parent: PARENT, pageSize: 1 });
    expect(all.length).toBeGreaterThanOrEqual(3);
  });

  it('answers enums as names to plain REST callers and refuses unknown filters (400)', async () => {
    const res = await fetch(`${emu.url}/v1/${PARENT}/pipelineJobs?filter=${encodeURIComponent('labels.kind="long"')}`);
    const body = (await res.json()) as { pipelineJobs: { state: unknown }[] };
    expect(body.pipelineJobs.length).toBe(2);
    expect(typeof body.pipelineJobs[0]!.state).toBe('string');
    expect((await failure(v.pipelines.listPipelineJobs({ parent: PARENT, filter: 'create_time>"2020"' }))).code).toBe(
      400,
    );
    // network is no filter field of either list method (pipeline_service.proto, job_service.proto)
    expect(
      (await failure(v.pipelines.listPipelineJobs({ parent: PARENT, filter: `network="${networkOf('vpc-a')}"` })))
        .message,
    ).toMatch(/Unsupported filter field 'network'/);
    expect(
      (await failure(v.jobs.listCustomJobs({ parent: PARENT, filter: `network="${networkOf('vpc-a')}"` }))).code,
    ).toBe(400);
  });

  it('filters on a hyphenated label key, in any state, joined by OR (how peeringRanges finds the runs that started)', async () => {
    const [found] = await v.pipelines.listPipelineJobs({
      parent: PARENT,
      filter: 'labels.kind="long" OR labels.kind-of="none"',
    });
    expect(found.map((j) => j.name!.split('/').pop()).sort()).toEqual(['long-a', 'long-b']);
  });

  it('cancel moves a running job to CANCELLED; cancelling a finished job is refused', async () => {
    emu.settings.pipelineStepMs = 1_000; // wide enough that a loaded machine still reads CANCELLING
    await v.pipelines.cancelPipelineJob({ name: `${PARENT}/pipelineJobs/long-a` });
    const cancelling = await stateOf('long-a').finally(() => (emu.settings.pipelineStepMs = 40));
    expect(cancelling.state).toBe('PIPELINE_STATE_CANCELLING');
    await reaches('long-a', 'PIPELINE_STATE_CANCELLED');
    expect((await failure(v.pipelines.cancelPipelineJob({ name: `${PARENT}/pipelineJobs/lifecycle` }))).code).toBe(400);
  });

  it('a job fails on demand with the emulatorFail runtime parameter', async () => {
    await create('doomed', {
      runtimeConfig: {
        gcsOutputDirectory: 'gs://b/o',
        parameterValues: { emulatorFail: { stringValue: 'component exploded' } },
      },
    });
    const failed = await reaches('doomed', 'PIPELINE_STATE_FAILED');
    expect(failed.error?.message).toBe('component exploded');
  });

  it('refuses reservedIpRanges that are not reserved on the connection, and a duplicate id', async () => {
    const notRange = await failure(create('bad-range', { reservedIpRanges: ['no-such-range'] }));
    expect(notRange.message).toMatch(/Allocated IP range 'no-such-range' not found/);
    const noNetwork = await failure(create('bad-net', { network: networkOf('vpc-b') }));
    expect(noNetwork.message).toMatch(/not peered with Vertex AI/);
    expect((await failure(create('lifecycle'))).code).toBe(409);
  });

  it('one network per region: a job on vpc-b fails while a job runs on vpc-a, naming it', async () => {
    emu.settings.pipelineRunMs = 60_000;
    await create('holder');
    await reaches('holder', 'PIPELINE_STATE_RUNNING');
    const sn = serviceNetworking(emu.url);
    emu.store.insert(`projects/${SAMPLE.project}/global/addresses`, {
      name: 'b-psa',
      address: '10.200.0.0',
      prefixLength: 21,
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      network: `https://www.googleapis.com/compute/v1/projects/${SAMPLE.project}/global/networks/vpc-b`,
    });
    await sn.wait(await sn.create(networkOf('vpc-b'), ['b-psa']));
    await create('other-net', { network: networkOf('vpc-b') });
    const failed = await reaches('other-net', 'PIPELINE_STATE_FAILED');
    expect(failed.error?.code).toBe(9);
    expect(failed.error?.message).toMatch(/one VPC network per region.*pipelineJobs\/holder/);
    await v.pipelines.cancelPipelineJob({ name: `${PARENT}/pipelineJobs/holder` });
  });
});

describe('customJobs', () => {
  it('lists custom jobs with the state filter, enums as the client asks', async () => {
    const loc = emu.vertex.pipelineJobs.location(SAMPLE.project, SAMPLE.region);
    emu.vertex.customJobs.add(loc, { displayName: 'trainer', state: 'JOB_STATE_RUNNING', network: networkOf('vpc-a') });
    emu.vertex.customJobs.add(loc, { displayName: 'old', state: 'JOB_STATE_SUCCEEDED' });
    const [running] = await v.jobs.listCustomJobs({ parent: PARENT, filter: 'state="JOB_STATE_RUNNING"' });
    expect(running.map((j) => [j.displayName, j.state, j.jobSpec?.network])).toEqual([
      ['trainer', 'JOB_STATE_RUNNING', networkOf('vpc-a')],
    ]);
  });
});
