/**
 * peeringRanges end to end: the real Functions Framework process answering HTTP as the workflow
 * calls it, against the local Google Cloud; every effect is checked through the official compute
 * and aiplatform clients, and Service Networking over REST — as an operator would look.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';
import { networkOf, PARENT, psaComputeClients, serviceNetworking, vertexClients } from '../helpers/vertex.js';
import { SAMPLE } from '../../local/topology.js';

let stack: Stack;
let c: ComputeClients;
let psa: ReturnType<typeof psaComputeClients>;
let v: ReturnType<typeof vertexClients>;
let sn: ReturnType<typeof serviceNetworking>;

const NEW_RANGE = 'netreflex-psa-vpc-a-10-99-0-0-16';
const MUTATIONS = [
  'compute.globalAddresses.insert',
  'servicenetworking.services.connections.patch',
  'servicenetworking.services.connections.create',
  'compute.firewalls.patch',
  'compute.regionInstanceGroupManagers.patch',
  'compute.networks.updatePeering',
];

interface Answer {
  status: number;
  body: {
    status?: string;
    reservedIpRanges?: string[];
    allocated?: { name: string; cidr: string }[];
    capacity?: { before: number; after: number; required: number };
    changes?: { kind: string; ok?: boolean; planned?: boolean; error?: string }[];
    verified?: boolean;
    retry?: boolean;
    warnings?: { code: string }[];
    reasons?: string[];
    error?: { kind: string; message: string; transient: boolean };
    preflight?: { region: string; otherNetwork: { name: string }[] };
  };
}

async function ask(request: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(stack.functions.get('peeringRanges')!.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const mutations = () => MUTATIONS.reduce((sum, m) => sum + (stack.emulator.router.calls.get(m) ?? 0), 0);
const connectionRanges = async () => (await sn.list(networkOf('vpc-a')))[0]!.reservedPeeringRanges;
const MIG = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };

beforeAll(async () => {
  stack = await startStack({
    functions: ['peeringRanges'],
    env: { NETREFLEX_LOG_LEVEL: 'warn' },
    emulator: {
      natInstances: ['nat-a1b2', 'nat-c3d4'],
      settings: { operationLatencyMs: 20, pipelineStepMs: 30, pipelineRunMs: 60_000 },
    },
  });
  c = computeClients(stack.emulator.port);
  psa = psaComputeClients(stack.emulator.port);
  v = vertexClients(stack.emulator.port);
  sn = serviceNetworking(stack.emulator.url);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

// An explicitly ordered story on one stack: each answer is judged against the ranges the calls before
// it allocated and wired (the /16 the short step allocates is what the next steps find). The steps run
// in this order, never shuffled or concurrently; a stack per step would multiply this file's time.
describe('peeringRanges under the Functions Framework', { sequential: true, shuffle: false }, () => {
  it('enough capacity: no new range; only the missing export is switched on, then nothing changes', async () => {
    const first = await ask({ parallelJobs: 1, nodesPerJob: 8 });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'ok',
      reservedIpRanges: ['vertex-psa-range'],
      allocated: [],
      capacity: { before: 1, after: 1, required: 1 },
      verified: true,
    });
    expect(first.body.changes?.map((ch) => [ch.kind, ch.ok])).toEqual([['enablePeeringExport', true]]);
    const before = mutations();
    const again = await ask({ parallelJobs: 1, nodesPerJob: 8 });
    expect(again.body).toMatchObject({ status: 'ok', changes: [], reservedIpRanges: ['vertex-psa-range'] });
    expect(mutations()).toBe(before);
  });

  it('short (40 parallel 8-node jobs on the /21): allocates one /16 and wires it everywhere', async () => {
    const res = await ask({ parallelJobs: 40, nodesPerJob: 8, displayName: 'nightly' });
    expect(res.status).toBe(200);
    // the /16 alone holds the run: the /21 is left free for another (it stays wired)
    expect(res.body).toMatchObject({
      status: 'ok',
      allocated: [{ name: NEW_RANGE, cidr: '10.99.0.0/16' }],
      reservedIpRanges: [NEW_RANGE],
      capacity: { before: 0, after: 63 },
      verified: true,
    });
    expect(res.body.changes?.map((ch) => ch.kind)).toEqual([
      'createAddress',
      'patchConnection',
      'patchFirewall',
      'setMigMetadata',
    ]);

    const [address] = await psa.addresses.get({ project: PROJECT, address: NEW_RANGE });
    expect(address).toMatchObject({
      address: '10.99.0.0',
      prefixLength: 16,
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
    });
    expect(await connectionRanges()).toEqual(['vertex-psa-range', NEW_RANGE]);
    const [fw] = await psa.firewalls.get({ project: PROJECT, firewall: SAMPLE.firewall.psaToNat });
    expect(fw.sourceRanges).toEqual(['10.98.0.0/21', '10.99.0.0/16']);
    const [mig] = await c.migs.get(MIG);
    expect(mig.allInstancesConfig?.properties?.metadata).toEqual({
      'netreflex-psa-ranges': '10.98.0.0/21,10.99.0.0/16',
    });
    // The MIG's update policy refreshes the VMs after the patch operation is DONE.
    await waitFor('the NAT VMs refreshed', async () => {
      const [now] = await c.migs.get(MIG);
      return now.status?.allInstancesConfig?.effective === true && now.status.isStable === true;
    });
    const [managed] = await c.migs.listManagedInstances(MIG);
    for (const m of managed) {
      const [inst] = await c.instances.get({ project: PROJECT, zone: m.instance!.split('/')[8]!, instance: m.name! });
      expect(inst.metadata?.items?.find((i) => i.key === 'netreflex-psa-ranges')?.value).toBe(
        '10.98.0.0/21,10.99.0.0/16',
      );
    }
    const [net] = await c.networks.get({ project: PROJECT, network: 'vpc-a' });
    expect(net.peerings?.find((p) => p.name === SAMPLE.psa.peering)?.exportCustomRoutes).toBe(true);
  });

  it('the answer is what a PipelineJob takes: Vertex accepts its network and reservedIpRanges', async () => {
    const [job] = await v.pipelines.createPipelineJob({
      parent: PARENT,
      pipelineJobId: 'uses-answer',
      pipelineJob: {
        displayName: 'nightly',
        network: networkOf('vpc-a'),
        reservedIpRanges: ['vertex-psa-range', NEW_RANGE],
        pipelineSpec: { fields: {} },
      },
    });
    expect(job.reservedIpRanges).toEqual(['vertex-psa-range', NEW_RANGE]);
    await v.pipelines.cancelPipelineJob({ name: job.name! });
    // over before the next preparation: while active it keeps its ranges to itself
    await waitFor(
      'the job to be cancelled',
      async () => (await v.pipelines.getPipelineJob({ name: job.name! }))[0].state === 'PIPELINE_STATE_CANCELLED',
    );
  });

  it('asking again changes nothing', async () => {
    const before = mutations();
    const res = await ask({ parallelJobs: 40, nodesPerJob: 8 });
    expect(res.body).toMatchObject({
      status: 'ok',
      allocated: [],
      changes: [],
      reservedIpRanges: [NEW_RANGE],
      capacity: { before: 63, after: 63 },
    });
    expect(mutations()).toBe(before);
  });

  it('bad input is a 400 saying what to change; a pool too small for the request is a 400 too', async () => {
    const zero = await ask({ parallelJobs: 0, nodesPerJob: 8 });
    expect(zero).toMatchObject({
      status: 400,
      body: { status: 'refused', retry: false, error: { kind: 'invalid-request', transient: false } },
    });
    expect(zero.body.reasons).toEqual([zero.body.error!.message]);
    expect(zero.body.error!.message).toMatch(/parallelJobs must be at least 1/);
    expect((await ask({ parallelJobs: 2, nodesPerJob: 8, network: 'no-such-vpc' })).body.error!.message).toMatch(
      /network "no-such-vpc" does not exist/,
    );
    expect((await ask({ parallelJobs: 1, nodesPerJob: 64 })).body.error!.message).toMatch(/above 32/);
    const huge = await ask({ parallelJobs: 500, nodesPerJob: 8 });
    expect(huge.status).toBe(400);
    expect(huge.body.error!.message).toMatch(/more than the pools 10.98.0.0\/15 could ever hold/);
  });

  it('pool exhausted: 422 with nothing created', async () => {
    const before = mutations();
    const res = await ask({ parallelJobs: 125, nodesPerJob: 8 });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ status: 'refused', retry: false, error: { kind: 'refused' } });
    expect(res.body.error!.message).toMatch(/pool exhausted.*Nothing was changed/);
    expect(mutations()).toBe(before);
  });

  it('another network busy in the region: 409 naming the job, and fine once it is cancelled', async () => {
    await waitFor(
      'the vpc-a job to be cancelled',
      async () =>
        (await v.pipelines.getPipelineJob({ name: `${PARENT}/pipelineJobs/uses-answer` }))[0].state ===
        'PIPELINE_STATE_CANCELLED',
    );
    const [res] = await psa.addresses.insert({
      project: PROJECT,
      addressResource: {
        name: 'b-psa',
        address: '10.200.0.0',
        prefixLength: 21,
        purpose: 'VPC_PEERING',
        addressType: 'INTERNAL',
        network: 'global/networks/vpc-b',
      },
    });
    await psa.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
    await sn.wait(await sn.create(networkOf('vpc-b'), ['b-psa']));
    const [job] = await v.pipelines.createPipelineJob({
      parent: PARENT,
      pipelineJobId: 'on-vpc-b',
      pipelineJob: { displayName: 'other-team', network: networkOf('vpc-b'), pipelineSpec: { fields: {} } },
    });
    await waitFor(
      'the vpc-b job to run',
      async () => (await v.pipelines.getPipelineJob({ name: job.name! }))[0].state === 'PIPELINE_STATE_RUNNING',
    );

    const refused = await ask({ parallelJobs: 1, nodesPerJob: 8 });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ status: 'refused', retry: false, error: { kind: 'conflict' } });
    // the envelope keeps the preflight's own facts: the job on the other network, by name
    expect(refused.body.preflight).toMatchObject({ region: REGION, otherNetwork: [{ name: job.name }] });
    expect(refused.body.error!.message).toContain(
      `${job.name} (other-team, PIPELINE_STATE_RUNNING, ${networkOf('vpc-b')})`,
    );
    // the preflight looks where the run goes: the request's region, not the function's
    expect((await ask({ parallelJobs: 1, nodesPerJob: 8, region: 'europe-west4', dryRun: true })).status).toBe(200);

    await v.pipelines.cancelPipelineJob({ name: job.name! });
    await waitFor(
      'the vpc-b job to be cancelled',
      async () => (await v.pipelines.getPipelineJob({ name: job.name! }))[0].state === 'PIPELINE_STATE_CANCELLED',
    );
    expect((await ask({ parallelJobs: 1, nodesPerJob: 8 })).status).toBe(200);
  });

  it('a failure mid-way answers 503 (Workflows retries); the retry finishes without allocating twice', async () => {
    const inserts = stack.emulator.router.calls.get('compute.globalAddresses.insert') ?? 0;
    stack.emulator.faults.failOperations('servicenetworking.services.connections.patch', 1, 'backend error (injected)');
    const failed = await ask({ parallelJobs: 20, nodesPerJob: 32 });
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({
      status: 'failed',
      retry: true,
      reservedIpRanges: [],
      allocated: [{ name: 'netreflex-psa-vpc-a-10-98-128-0-17', cidr: '10.98.128.0/17' }],
    });
    expect(failed.body.changes?.map((ch) => [ch.kind, ch.ok ?? 'planned'])).toEqual([
      ['createAddress', true],
      ['patchConnection', false],
      ['patchFirewall', 'planned'],
      ['setMigMetadata', 'planned'],
    ]);
    expect(await connectionRanges()).toEqual(['vertex-psa-range', NEW_RANGE]);

    const retried = await ask({ parallelJobs: 20, nodesPerJob: 32 });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({
      status: 'ok',
      allocated: [],
      reservedIpRanges: ['netreflex-psa-vpc-a-10-98-128-0-17', NEW_RANGE],
      verified: true,
    });
    expect(retried.body.changes?.map((ch) => ch.kind)).toEqual(['patchConnection', 'patchFirewall', 'setMigMetadata']);
    expect(stack.emulator.router.calls.get('compute.globalAddresses.insert')).toBe(inserts + 1);
    expect(await connectionRanges()).toEqual(['vertex-psa-range', NEW_RANGE, 'netreflex-psa-vpc-a-10-98-128-0-17']);
    const [list] = await psa.addresses.list({ project: PROJECT, filter: 'name eq netreflex-psa-.*' });
    expect(list.map((a) => `${a.address}/${a.prefixLength}`).sort()).toEqual(['10.98.128.0/17', '10.99.0.0/16']);
  });
  it('Google refusing a step for good (403 on compute.firewalls.patch) answers 422 naming the permission; once granted, a call finishes', async () => {
    const plan = await ask({ parallelJobs: 1, nodesPerJob: 8, dryRun: true });
    const held = (plan.body as { ranges: { jobs: number }[] }).ranges.reduce((sum, r) => sum + r.jobs, 0);
    const request = { parallelJobs: held + 1, nodesPerJob: 8 };
    stack.emulator.faults.failNext('compute.firewalls.patch', 1, 403, { permission: 'compute.firewalls.patch' });
    const refused = await ask(request);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      status: 'failed',
      retry: false,
      reservedIpRanges: [],
      error: { kind: 'refused', transient: false },
    });
    expect(refused.body.error!.message).toContain(
      `Required 'compute.firewalls.patch' permission for 'projects/${PROJECT}/global/firewalls/${SAMPLE.firewall.psaToNat}'`,
    );
    expect(refused.body.error!.message).toMatch(/grant the permission it names/);
    expect(refused.body.reasons).toHaveLength(1);
    expect(refused.body.changes?.map((ch) => [ch.kind, ch.ok ?? 'planned'])).toEqual([
      ['createAddress', true],
      ['patchConnection', true],
      ['patchFirewall', false],
      ['setMigMetadata', 'planned'],
    ]);

    const granted = await ask(request);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ status: 'ok', allocated: [], verified: true });
    expect(granted.body.changes?.map((ch) => ch.kind)).toEqual(['patchFirewall', 'setMigMetadata']);
  });
});
