/**
 * peeringRanges' preparation against the local Google Cloud, many writers at once, with operations
 * slow enough that they really overlap: foreign writers adding a range, a firewall source range and
 * metadata mid-flight, a foreign connection write landing inside netreflex's read→write window, a
 * concurrent insert of the same range, a lease held by a holder that died. After each: the union is
 * on the connection, the firewall and the metadata, no NAT VM was recreated, and every answer that
 * says ok was verified.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { sampleEnv } from '../../local/stack.js';
import { Transport } from '../../shared/gcp/transport.js';
import { loadPeeringRangesConfig, type PeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { reconcilePeeringRanges } from '../../shared/peering-ranges/reconcile.js';
import type { RangeReport } from '../../shared/plan/ranges-report.js';
import { applyRangeChanges } from '../../shared/peering-ranges/apply.js';
import {
  acquireNetworkLease,
  leaseObject,
  readNetworkLease as readLease,
  LeaseBusy,
  LeaseLost,
} from '../../shared/peering-ranges/lease.js';
import { PeeringRangesService } from '../../shared/peering-ranges/service.js';
import { releaseReservation } from '../../shared/peering-ranges/release.js';
import { createLogger } from '../../shared/log.js';
import { failureOf, httpStatus } from '../../shared/reconcile/report.js';
import { refusal } from '../../functions/http.js';
import { PROJECT, waitFor } from '../helpers/compute.js';
import { SAMPLE } from '../../local/topology.js';
import { expectUnion, KEY, rangesClients, type Answered } from '../helpers/ranges.js';
import { networkOf, PARENT, vertexClients } from '../helpers/vertex.js';

let emu: Emulator;
let cfg: PeeringRangesConfig;
let r: ReturnType<typeof rangesClients>;
let vmsBefore: Record<string, string>;

const transport = () => new Transport({ emulatorHost: emu.url, retry: { attempts: 5, baseMs: 5, maxMs: 20 } });
const service = () => new PeeringRangesService(cfg, createLogger('silent'), transport());
/** A preparation as the function answers a verified (or degraded) one: the report with its status code. */
const ask = async (input: Record<string, unknown>): Promise<Answered> => {
  const report = await service().prepare(input);
  return { status: httpStatus(report), body: report } as unknown as Answered;
};

/** Runs `meanwhile` once, when the first call of `method` arrives, before it is handled. */
function onFirst(method: string, meanwhile: () => Promise<void>): void {
  let fired = false;
  emu.router.addHook(async (methodId) => {
    if (fired || methodId !== method) return 'continue';
    fired = true;
    await meanwhile();
    return 'continue';
  });
}

beforeAll(async () => {
  emu = await startSampleEmulator({
    natInstances: ['nat-a1b2', 'nat-c3d4'],
    settings: { operationLatencyMs: 80, instanceStepMs: 20, pipelineStepMs: 30 },
  });
  cfg = loadPeeringRangesConfig({
    ...sampleEnv(emu.url),
    NETREFLEX_LOG_LEVEL: 'silent',
    NETREFLEX_PSA_POOL: '10.98.0.0/15,10.100.0.0/15',
    NETREFLEX_RANGES_LEASE_TTL_SECONDS: '3',
  });
  r = rangesClients(emu.port, emu.url);
  vmsBefore = await r.natVms();
});
/** The runs of the previous scenario have started and ended: their reservations are gone. */
const clearReservations = () =>
  emu.storage.writeObject(
    cfg.stateBucket,
    leaseObject(cfg, 'vpc-a'),
    Buffer.from(JSON.stringify({ holder: null, expiresAt: null, reservations: [] })),
    { contentType: 'application/json' },
    {},
    false,
  );

/** A job count that does not fit the ranges there are now (all of them together): the preparation must allocate. */
async function beyondCapacity(nodesPerJob: number, extra = 5): Promise<number> {
  const plan = await reconcilePeeringRanges(transport(), cfg, { parallelJobs: 1, nodesPerJob }, { dryRun: true });
  return plan.ranges.reduce((sum, range) => sum + range.jobs, 0) + extra;
}

beforeEach(async () => {
  // every scenario starts from the ranges the previous one left (growth, not a reset), its runs ended
  expect(await r.natVms()).toEqual(vmsBefore);
  clearReservations();
});
afterAll(async () => {
  expect(await r.natVms()).toEqual(vmsBefore);
  await emu.close();
});

describe('concurrent preparations', () => {
  it('two calls of different sizes at once: both ready, and the ranges hold both runs together', async () => {
    const answers = await Promise.all([
      ask({ parallelJobs: 10, nodesPerJob: 8, runId: 'team-a' }),
      ask({ parallelJobs: 40, nodesPerJob: 8, runId: 'team-b' }),
    ]);
    expectUnion(await r.view(), answers);
    // the lease serialized them: the later one saw the earlier one's reservation and left its ranges to it
    const later = answers.find((a) => a.body.capacity!.demand.length > 0)!;
    const earlier = answers.find((a) => a !== later)!;
    expect(later.body.capacity).toMatchObject({ others: 0, leftToOthers: earlier.body.reservedIpRanges });
    expect(later.body.reservedIpRanges!.filter((n) => earlier.body.reservedIpRanges!.includes(n))).toEqual([]);
    for (const a of answers) expect(a.body.capacity!.after).toBeGreaterThanOrEqual(a.body.capacity!.requested);
    const { body } = await readLease(transport(), cfg.stateBucket, leaseObject(cfg, 'vpc-a'));
    expect(body).toMatchObject({ holder: null });
    expect(body.reservations.map((x) => [x.runId, x.reservedIpRanges]).sort()).toEqual(
      (['team-a', 'team-b'] as const).map((id, i) => [id, answers[i]!.body.reservedIpRanges]),
    );
  });

  it('five calls of different sizes and node counts at once: all ready, each counting the others', async () => {
    const asks = [
      [3, 8],
      [5, 16],
      [20, 8],
      [2, 32],
      [7, 8],
    ].map(([parallelJobs, nodesPerJob], i) => ask({ parallelJobs, nodesPerJob, runId: `five-${i}` }));
    const answers = await Promise.all(asks);
    expectUnion(await r.view(), answers);
    // the lease serialized them: the k-th counted the k−1 before it, so whoever went last counted all four others
    expect(answers.map((a) => a.body.capacity!.demand.length).sort()).toEqual([0, 1, 2, 3, 4]);
    const last = answers.find((a) => a.body.capacity!.demand.length === 4)!;
    const mine = answers.indexOf(last);
    expect(last.body.capacity!.demand.map((d) => d.source).sort()).toEqual(
      [0, 1, 2, 3, 4].filter((i) => i !== mine).map((i) => `reservation five-${i}`),
    );
    const tier = last.body.capacity!;
    expect(tier.after).toBeGreaterThanOrEqual(tier.required);
  });
});

describe('other writers of the connection, the firewall and the metadata', () => {
  it('a foreign range, firewall source range and metadata entry added mid-flight are all kept', async () => {
    onFirst('compute.globalAddresses.insert', async () => {
      await r.foreign.addRange('cloudsql-range', '10.120.0.0', 24);
      await r.foreign.connect('cloudsql-range');
      await r.foreign.allowSource('192.168.50.0/24');
      await r.foreign.metadata({ 'team-b-key': 'kept' }, '172.31.0.0/24');
    });
    const answer = await ask({ parallelJobs: await beyondCapacity(8), nodesPerJob: 8, runId: 'foreign-1' });
    expect(answer.body.allocated?.length).toBeGreaterThan(0);
    expectUnion(await r.view(), [answer], {
      connection: ['cloudsql-range'],
      firewall: ['192.168.50.0/24'],
      metadata: ['172.31.0.0/24'],
      metadataKeys: ['team-b-key'],
    });
  });

  it("a foreign connection write landing between netreflex's read and its write is put back by the read-back", async () => {
    onFirst('servicenetworking.services.connections.patch', async () => {
      await r.foreign.addRange('memorystore-range', '10.121.0.0', 24);
      await r.foreign.connect('memorystore-range', false); // accepted, lands just before ours, which drops it
    });
    const answer = await ask({ parallelJobs: await beyondCapacity(8, 3), nodesPerJob: 8, runId: 'foreign-2' });
    expect(
      answer.body.changes?.some((c) => c.description.startsWith('repair: patch the Service Networking connection')),
    ).toBe(true);
    expectUnion(await r.view(), [answer], {
      connection: ['cloudsql-range', 'memorystore-range'],
      firewall: ['192.168.50.0/24'],
      metadata: ['172.31.0.0/24'],
    });
  });
  it("a foreign firewall write inside netreflex's read→write window, landing after netreflex's patch: the union survives", async () => {
    // the foreign writer (read, merge, write, as gcloud does) reads just before netreflex's patch
    // lands and writes its stale merge right after it, dropping netreflex's new source range
    const firewall = { project: PROJECT, firewall: SAMPLE.firewall.psaToNat };
    let stale: string[] = [];
    onFirst('compute.firewalls.patch', async () => {
      stale = (await r.c.firewalls.get(firewall))[0].sourceRanges ?? [];
    });
    onFirst('compute.regionInstanceGroupManagers.patch', async () => {
      const [res] = await r.c.firewalls.patch({
        ...firewall,
        firewallResource: { sourceRanges: [...stale, '192.168.60.0/24'] },
      });
      await r.c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
    });
    const answer = await ask({ parallelJobs: await beyondCapacity(8), nodesPerJob: 8, runId: 'foreign-3' });
    expect(answer.body.allocated?.length).toBeGreaterThan(0);
    expect(stale.length).toBeGreaterThan(0); // the foreign writer really read inside the window
    expect(answer.body.changes?.some((c) => c.description.startsWith('repair: extend firewall'))).toBe(true);
    expectUnion(await r.view(), [answer], { firewall: ['192.168.50.0/24', '192.168.60.0/24'] });
  });
  it('an entry another writer removes on purpose during a preparation stays removed', async () => {
    const firewall = { project: PROJECT, firewall: SAMPLE.firewall.psaToNat };
    const mig = { project: PROJECT, region: cfg.region, instanceGroupManager: cfg.natMig };
    await r.foreign.allowSource('192.168.61.0/24');
    await r.foreign.metadata({}, '172.31.1.0/24');
    onFirst('compute.globalAddresses.insert', async () => {
      const [fw] = await r.c.firewalls.get(firewall);
      const [res] = await r.c.firewalls.patch({
        ...firewall,
        firewallResource: { sourceRanges: (fw.sourceRanges ?? []).filter((x) => x !== '192.168.61.0/24') },
      });
      await r.c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
      const [group] = await r.c.migs.get(mig);
      const md = (group.allInstancesConfig?.properties?.metadata ?? {}) as Record<string, string>;
      const kept = (md[KEY] ?? '').split(',').filter((x) => x && x !== '172.31.1.0/24');
      const [op] = await r.c.migs.patch({
        ...mig,
        instanceGroupManagerResource: {
          fingerprint: group.fingerprint,
          allInstancesConfig: { properties: { metadata: { [KEY]: kept.join(',') } } },
        },
      });
      await r.c.regionOps.wait({
        project: PROJECT,
        region: cfg.region,
        operation: (op.latestResponse as { name: string }).name,
      });
    });
    const before = await r.view();
    expect(before.firewall).toContain('192.168.61.0/24');
    expect(before.metadata).toContain('172.31.1.0/24');
    const answer = await ask({ parallelJobs: await beyondCapacity(8), nodesPerJob: 8, runId: 'removed-1' });
    expect(answer.body.allocated?.length).toBeGreaterThan(0);
    expectUnion(await r.view(), [answer]);
    const after = await r.view();
    expect(after.firewall).not.toContain('192.168.61.0/24');
    expect(after.metadata).not.toContain('172.31.1.0/24');
  });
});

describe('two networks of one project', () => {
  it("a range netreflex made for vpc-b, of a CIDR vpc-a does not use, never reaches vpc-a's NAT metadata, firewall or connection", async () => {
    const name = 'netreflex-psa-vpc-b-10-130-0-0-20';
    const [res] = await r.c.addresses.insert({
      project: PROJECT,
      addressResource: {
        name,
        address: '10.130.0.0',
        prefixLength: 20,
        purpose: 'VPC_PEERING',
        addressType: 'INTERNAL',
        network: 'global/networks/vpc-b',
      },
    });
    await r.c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
    const answer = await ask({ parallelJobs: await beyondCapacity(8), nodesPerJob: 8, runId: 'vpc-b-cidr' });
    expect(answer.body.allocated?.length).toBeGreaterThan(0); // vpc-a's lists were all written by this run
    expectUnion(await r.view(), [answer]);
    expect(answer.body.ranges!.map((x) => x.name)).not.toContain(name);
    const view = await r.view();
    expect(view.metadata.filter((cidr) => cidr.startsWith('10.130.'))).toEqual([]);
    expect(view.firewall.filter((cidr) => cidr.startsWith('10.130.'))).toEqual([]);
    expect(view.connection).not.toContain(name);
  });

  it("another network's range with the same CIDR neither blocks vpc-a nor reaches vpc-a's NAT metadata", async () => {
    // vpc-b holds the block vpc-a is about to take, under the name the old CIDR-only scheme would give it
    const planned = await reconcilePeeringRanges(
      transport(),
      cfg,
      { parallelJobs: await beyondCapacity(8), nodesPerJob: 8 },
      { dryRun: true },
    );
    const next = planned.allocated[0]!;
    const [address, prefix] = next.cidr.split('/');
    const oldName = `netreflex-psa-${next.cidr.replace(/[./]/g, '-')}`;
    const [res] = await r.c.addresses.insert({
      project: PROJECT,
      addressResource: {
        name: oldName,
        address,
        prefixLength: Number(prefix),
        purpose: 'VPC_PEERING',
        addressType: 'INTERNAL',
        network: 'global/networks/vpc-b',
      },
    });
    await r.c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
    const answer = await ask({ parallelJobs: await beyondCapacity(8), nodesPerJob: 8, runId: 'two-networks' });
    expectUnion(await r.view(), [answer]);
    expect(answer.body.allocated![0]!.name).toBe(next.name);
    expect(next.name.startsWith('netreflex-psa-vpc-a-')).toBe(true);
    expect(answer.body.reservedIpRanges).not.toContain(oldName);
    const view = await r.view();
    expect(view.connection).not.toContain(oldName);
    expect(Object.keys(view.addresses)).not.toContain(oldName); // view lists vpc-a's addresses only
  });
});

describe('the same range, twice', () => {
  it('the same run asked twice at once (a retry while the first is in flight): one allocation, both ready', async () => {
    const inserts = emu.router.calls.get('compute.globalAddresses.insert') ?? 0;
    const jobs = await beyondCapacity(8, 2);
    const answers = await Promise.all([
      ask({ parallelJobs: jobs, nodesPerJob: 8, runId: 'twice' }),
      ask({ parallelJobs: jobs, nodesPerJob: 8, runId: 'twice' }),
    ]);
    expectUnion(await r.view(), answers);
    expect(answers.flatMap((a) => a.body.allocated ?? []).length).toBeGreaterThan(0);
    const newOnes = (emu.router.calls.get('compute.globalAddresses.insert') ?? 0) - inserts;
    expect(newOnes).toBe(answers.flatMap((a) => a.body.allocated ?? []).length);
    expect(answers.some((a) => (a.body.allocated ?? []).length === 0)).toBe(true);
    // the run may start on either answer: its reservation holds the ranges of both
    const { body } = await readLease(transport(), cfg.stateBucket, leaseObject(cfg, 'vpc-a'));
    const held = body.reservations.find((x) => x.runId === 'twice')!.reservedIpRanges ?? [];
    for (const a of answers) expect(held).toEqual(expect.arrayContaining(a.body.reservedIpRanges!));
  });

  it('an insert of a range another call is still creating waits for it and counts it done (never a 500)', async () => {
    emu.settings.operationLatencyMs = 600;
    try {
      const [started] = await r.c.addresses.insert({
        project: PROJECT,
        addressResource: {
          name: 'in-flight-range',
          address: '10.140.0.0',
          prefixLength: 24,
          purpose: 'VPC_PEERING',
          addressType: 'INTERNAL',
          network: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/vpc-a`,
        },
      });
      const [result] = await applyRangeChanges(transport(), cfg, 'vpc-a', [
        {
          kind: 'createAddress',
          name: 'in-flight-range',
          cidr: '10.140.0.0/24',
          address: '10.140.0.0',
          prefixLength: 24,
          network: 'vpc-a',
        },
      ]);
      expect(result).toMatchObject({ ok: true, noop: true });
      await r.c.globalOps.wait({ project: PROJECT, operation: (started.latestResponse as { name: string }).name });
    } finally {
      emu.settings.operationLatencyMs = 80;
    }
  });
});

describe('the lease', () => {
  const object = () => leaseObject(cfg, 'vpc-a');
  const plant = (holder: string, expiresInMs: number) =>
    emu.storage.writeObject(
      cfg.stateBucket,
      object(),
      Buffer.from(
        JSON.stringify({ holder, expiresAt: new Date(Date.now() + expiresInMs).toISOString(), reservations: [] }),
      ),
      { contentType: 'application/json' },
      {},
      false,
    );

  it('a holder that died blocks the network only until its lease expires; the next call then takes it over', async () => {
    const reservations = (await readLease(transport(), cfg.stateBucket, object())).body.reservations;
    emu.storage.writeObject(
      cfg.stateBucket,
      object(),
      Buffer.from(
        JSON.stringify({
          holder: 'killed-instance',
          expiresAt: new Date(Date.now() + 1_500).toISOString(),
          reservations,
        }),
      ),
      { contentType: 'application/json' },
      {},
      false,
    );
    const started = Date.now();
    const answer = await ask({ parallelJobs: 1, nodesPerJob: 8, runId: 'after-death' });
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000); // it waited for the expiry, not less
    expect((await readLease(transport(), cfg.stateBucket, object())).body.holder).toBeNull();
  });

  it('a lease held past the wait answers 503 (retry), changing nothing', async () => {
    plant('busy-instance', 60_000);
    const short = { ...cfg, leaseWaitMs: 300 };
    const err = await reconcilePeeringRanges(transport(), short, { parallelJobs: 1, nodesPerJob: 8 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LeaseBusy);
    const answer = refusal(failureOf(err, 'invalid-request'));
    expect(answer).toMatchObject({ status: 'failed', retry: true, error: { kind: 'transient' } });
    expect(httpStatus(answer)).toBe(503);
    plant('nobody', -1);
  });

  it('a holder whose lease was taken over stops writing (fenced) and its caller retries', async () => {
    const lease = await acquireNetworkLease(transport(), { ...cfg, leaseTtlMs: 300, leaseWaitMs: 1_000 }, 'vpc-a');
    expect(() => lease.assertHeld()).not.toThrow();
    plant('usurper', 60_000); // someone took it over (as after an expiry)
    await new Promise((res) => setTimeout(res, 400));
    expect(() => lease.assertHeld()).toThrow(LeaseLost);
    await lease.release({ reservations: [] });
    expect((await readLease(transport(), cfg.stateBucket, object())).body.holder).toBe('usurper'); // a lost lease is never written
    plant('nobody', -1);
  });
});

describe('reservations of prepared runs', () => {
  it('a run that started and ended before the next preparation stops counting at once, not when its reservation expires', async () => {
    const prepared = await ask({ parallelJobs: 3, nodesPerJob: 8, runId: 'short-run' });
    expect(prepared.status).toBe(200);
    const counted = async () =>
      (
        await reconcilePeeringRanges(
          transport(),
          cfg,
          { parallelJobs: 1, nodesPerJob: 8, runId: 'next-run' },
          { dryRun: true },
        )
      ).capacity.demand.map((d) => d.source);
    expect(await counted()).toContain('reservation short-run'); // prepared, not started: it counts

    // the run's PipelineJob, labelled as the workflow labels it, starts and is over before anyone prepares again
    const v = vertexClients(emu.port);
    const spec = {
      pipelineSpec: { fields: { pipelineInfo: { structValue: { fields: { name: { stringValue: 'short' } } } } } },
    };
    const labels = { 'netreflex-run': 'short-run', 'netreflex-parallel-jobs': '3', 'netreflex-nodes-per-job': '8' };
    const [job] = await v.pipelines.createPipelineJob({
      parent: PARENT,
      pipelineJobId: 'short-run-job',
      pipelineJob: {
        displayName: 'short',
        network: networkOf('vpc-a'),
        reservedIpRanges: prepared.body.reservedIpRanges,
        labels,
        ...spec,
      },
    });
    await v.pipelines.cancelPipelineJob({ name: job.name! });
    await waitFor(
      'the job to end',
      async () =>
        (await v.pipelines.getPipelineJob({ name: job.name! }))[0].state === 'PIPELINE_STATE_CANCELLED'
          ? true
          : undefined,
      10_000,
      20,
    );

    expect(await counted()).not.toContain('reservation short-run');
    expect((await ask({ parallelJobs: 1, nodesPerJob: 8, runId: 'next-run' })).status).toBe(200);
    const { body } = await readLease(transport(), cfg.stateBucket, leaseObject(cfg, 'vpc-a'));
    expect(body.reservations.map((x) => x.runId)).toEqual(['next-run']);
  });

  it('a run whose PipelineJob appears between the reads still counts, as its reservation or its job, never as neither', async () => {
    const prepared = await ask({ parallelJobs: 3, nodesPerJob: 8, runId: 'racing' });
    expect(prepared.status).toBe(200);
    const v = vertexClients(emu.port);
    const labels = { 'netreflex-run': 'racing', 'netreflex-parallel-jobs': '3', 'netreflex-nodes-per-job': '8' };
    let created: string | undefined;
    // The job is created right after the active jobs are read (if they are read first) and before
    // the lookup of which reserved runs have started is answered: the window two parallel reads leave.
    let activeRead: (() => void) | undefined;
    const active = new Promise<void>((resolve) => (activeRead = resolve));
    let fired = false;
    emu.router.addHook(async (methodId, req) => {
      if (fired || methodId !== 'aiplatform.pipelineJobs.list') return 'continue';
      if (!(req.query.get('filter') ?? '').includes('labels.netreflex-run')) {
        activeRead?.();
        return 'continue';
      }
      fired = true;
      await Promise.race([
        active.then(() => new Promise((r) => setTimeout(r, 50))),
        new Promise((r) => setTimeout(r, 300)),
      ]);
      const [job] = await v.pipelines.createPipelineJob({
        parent: PARENT,
        pipelineJobId: 'racing-job',
        pipelineJob: {
          displayName: 'racing',
          network: networkOf('vpc-a'),
          reservedIpRanges: prepared.body.reservedIpRanges,
          labels,
          pipelineSpec: { fields: { pipelineInfo: { structValue: { fields: { name: { stringValue: 'racing' } } } } } },
        },
      });
      created = job.name!;
      return 'continue';
    });
    const report = await reconcilePeeringRanges(
      transport(),
      cfg,
      { parallelJobs: 1, nodesPerJob: 8, runId: 'after-racing' },
      { dryRun: true },
    );
    expect(fired).toBe(true);
    const sources = report.capacity.demand.map((d) => d.source);
    expect(sources.includes('reservation racing') || sources.includes(created!), sources.join(', ')).toBe(true);
    await v.pipelines.cancelPipelineJob({ name: created! });
    await waitFor(
      'the racing job to end',
      async () =>
        (await v.pipelines.getPipelineJob({ name: created! }))[0].state === 'PIPELINE_STATE_CANCELLED'
          ? true
          : undefined,
      10_000,
      20,
    );
  });

  it("a release at the same moment as two other runs' preparations drops only the released run", async () => {
    expect((await ask({ parallelJobs: 2, nodesPerJob: 8, runId: 'leaving' })).status).toBe(200);
    const [released, ...prepared] = await Promise.all([
      releaseReservation(transport(), cfg, { runId: 'leaving' }),
      ask({ parallelJobs: 2, nodesPerJob: 8, runId: 'arriving-1' }),
      ask({ parallelJobs: 3, nodesPerJob: 16, runId: 'arriving-2' }),
    ]);
    expect(released).toMatchObject({ status: 'ok', released: true, mutations: 1 });
    expect(prepared.map((a) => a.status)).toEqual([200, 200]);
    const { body } = await readLease(transport(), cfg.stateBucket, leaseObject(cfg, 'vpc-a'));
    expect(body.holder).toBeNull();
    expect(body.reservations.map((x) => x.runId).sort()).toEqual(['arriving-1', 'arriving-2']);
    expect(await releaseReservation(transport(), cfg, { runId: 'leaving' })).toMatchObject({
      status: 'unchanged',
      released: false,
      mutations: 0,
    });
  });
});

describe('dry run', () => {
  it('plans against the same demand without the lease and changes nothing', async () => {
    await ask({ parallelJobs: 2, nodesPerJob: 8, runId: 'dry-neighbour' });
    const before = await r.view();
    const report: RangeReport = await reconcilePeeringRanges(
      transport(),
      cfg,
      { parallelJobs: 2, nodesPerJob: 8 },
      { dryRun: true },
    );
    expect(report.dryRun).toBe(true);
    expect(report.capacity.demand.map((d) => d.source)).toContain('reservation dry-neighbour');
    expect(report.capacity.leftToOthers.length).toBeGreaterThan(0);
    expect(await r.view()).toEqual(before);
  });
});
