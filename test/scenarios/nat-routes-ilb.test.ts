/**
 * The load-balancer mode end to end: natRoutes deployed with NETREFLEX_ROUTE_MODE=ilb (the real
 * Functions Framework process, as its own service account, events only — no tick), routes whose
 * next hop is the internal passthrough load balancer in front of the NAT MIG, and the MIG changed
 * through the official @google-cloud/compute client. A recreate, a resize and a dead backend change
 * no route at all: the load balancer's health check moves new connections (probes at nat.tf's
 * timing, one health-check second = 10 ms). Every mutation is watched by the invariants, and the
 * data path (emulator/compute/egress.ts) is sampled all along: every destination always has a way
 * to a NAT VM, and a dead one leaves the pool.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { egressPath, type EgressPath } from '../../emulator/compute/egress.js';
import { loadNatRoutesConfig, type NatRoutesConfig } from '../../shared/config/nat-routes.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';
import { watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';
import { convergenceProblem, MIG, migSettled, ownedRoutes } from './nat-support.js';

const MIG_REQUEST = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };
const ILB_PATH = `projects/${PROJECT}/regions/${REGION}/forwardingRules/${SAMPLE.nat.ilb}`;

let stack: Stack;
let c: ComputeClients;
let cfg: NatRoutesConfig;
let watcher: InvariantWatcher;
let routeNames: string[];
const lines: string[] = [];

const natRoutes = () => stack.functions.get('natRoutes')!;
const reconciles = () =>
  lines
    .filter((l) => /"message":"natRoutes: (ok|degraded|failed):/.test(l))
    .map(
      (l) =>
        JSON.parse(l) as {
          message: string;
          status: string;
          loadBalancer?: { backends: { instance?: string; healthState?: string }[] };
          reasons: string[];
        },
    );
const paths = () =>
  cfg.destinations.map((d) => egressPath(stack.emulator.compute, stack.emulator.migs, PROJECT, SAMPLE.vpcA.network, d));
const pool = () =>
  paths()[0]!
    .instances.map((i) => i.split('/').pop()!)
    .sort();

/** The instance's status now (undefined while it does not exist). */
const statusOf = (name: string) =>
  stack.emulator.compute.store.get(`projects/${PROJECT}/zones/${zoneOf(name)}/instances`, name)?.status as
    string | undefined;

/** Samples the data path every few ms while `action` runs: which VMs each sample could reach, with `also()` taken at the same moment. */
async function sampled<T, A = undefined>(
  action: () => Promise<T>,
  also: () => A = () => undefined as A,
): Promise<{ result: T; samples: EgressPath[][]; alongside: A[] }> {
  const samples: EgressPath[][] = [];
  const alongside: A[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      samples.push(paths());
      alongside.push(also());
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    return { result: await action(), samples, alongside };
  } finally {
    on = false;
    await loop;
  }
}

const zoneOf = (name: string) => stack.emulator.migs.list(MIG).find((m) => m.name === name)!.zone;

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutes'],
    tickMs: 0,
    env: { NETREFLEX_ROUTE_MODE: 'ilb', NETREFLEX_ILB_FORWARDING_RULE: SAMPLE.nat.ilb },
    onLine: (_t, line) => void lines.push(line),
    emulator: {
      natInstances: ['nat-a1b2', 'nat-c3d4'],
      settings: { operationLatencyMs: 20, instanceStepMs: 40, healthCheckSecondMs: 10 },
    },
  });
  c = computeClients(stack.emulator.port);
  cfg = loadNatRoutesConfig(stack.env);
  stack.emulator.topics.publish(`projects/${PROJECT}/topics/netreflex-tick`, [{ data: '{"kind":"tick"}' }]);
  await waitFor(
    'one route per destination to the load balancer',
    async () => !convergenceProblem(stack.emulator, cfg),
    20_000,
    20,
  );
  await stack.emulator.events.idle();
  routeNames = ownedRoutes(stack.emulator, cfg)
    .map((r) => r.name)
    .sort();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  watcher = watchInvariants(stack.emulator);
});

afterEach(async () => {
  await stack.emulator.events.idle();
  watcher.stop();
  watcher.assertHolds();
  // The routes never move in ilb mode: the same routes, to the load balancer, and nothing else.
  expect(
    ownedRoutes(stack.emulator, cfg)
      .map((r) => r.name)
      .sort(),
  ).toEqual(routeNames);
  expect(watcher.counts.routes.netreflex).toBe(0);
});

describe('ilb mode: the load balancer moves the traffic, the routes stay', () => {
  it('starts with one route per destination whose next hop is the load balancer, and every VM in its pool', () => {
    expect(routeNames).toHaveLength(cfg.destinations.length);
    expect(ownedRoutes(stack.emulator, cfg).every((r) => String(r.nextHopIlb).endsWith(ILB_PATH))).toBe(true);
    expect(pool()).toEqual(['nat-a1b2', 'nat-c3d4']);
  });

  it('a recreate: the recreated VM leaves the pool at once and returns once its probes pass; no route call', async () => {
    const before = lines.length;
    const { samples } = await sampled(async () => {
      await c.wait(
        await c.migs.recreateInstances({
          ...MIG_REQUEST,
          regionInstanceGroupManagersRecreateRequestResource: {
            instances: [`zones/${zoneOf('nat-a1b2')}/instances/nat-a1b2`],
          },
        }),
      );
      await migSettled(stack.emulator, 2, 20_000);
      await waitFor('the recreated VM back in the pool', async () => pool().length === 2, 20_000, 10);
    });
    expect(samples.some((s) => s.every((p) => p.instances.length === 1))).toBe(true);
    expect(samples.every((s) => s.every((p) => p.instances.length >= 1 && p.routes.length === 1))).toBe(true);
    await waitFor(
      'natRoutes to reconcile on the recreate',
      async () => reconciles().length > 0 && lines.length > before,
      20_000,
      20,
    );
    expect(lines.slice(before).some((l) => /natRoutes: ok: \+0 -0 routes/.test(l))).toBe(true);
  });

  it('a resize 2 → 3 → 2: the pool follows, the routes do not', async () => {
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 3 }));
    await waitFor('three VMs in the pool', async () => pool().length === 3, 20_000, 10);
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 2 }));
    await migSettled(stack.emulator, 2, 20_000);
    expect(pool()).toHaveLength(2);
  });

  it('a dead backend (stopped): still in the pool until its probes fail, then out; natRoutes reports it and changes nothing', async () => {
    const [victim, other] = stack.emulator.migs.list(MIG).map((m) => m.name);
    const before = lines.length;
    const { samples, alongside } = await sampled(
      async () => {
        await c.wait(await c.instances.stop({ project: PROJECT, zone: zoneOf(victim!), instance: victim! }));
        await waitFor('the stopped VM out of the pool', async () => !pool().includes(victim!), 20_000, 5);
      },
      () => statusOf(victim!),
    );
    // Between the stop and the third failed probe, some new connections still go to the dead VM.
    expect(
      samples.some((s, i) => alongside[i] !== 'RUNNING' && s[0]!.instances.some((u) => u.endsWith(`/${victim}`))),
    ).toBe(true);
    expect(alongside.at(-1)).toBe('TERMINATED');
    expect(pool()).toEqual([other]);
    await waitFor(
      'natRoutes to reconcile on the stop',
      async () => lines.slice(before).some((l) => /"message":"natRoutes: /.test(l)),
      20_000,
      20,
    );
    // A later look (the health-probe verdict has turned by now) reports the dead backend.
    await fetch(natRoutes().url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-id': 'ilb-tick-1',
        'ce-source': `//pubsub.googleapis.com/projects/${PROJECT}/topics/netreflex-tick`,
        'ce-specversion': '1.0',
        'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      },
      body: JSON.stringify({
        message: { data: Buffer.from('{"kind":"tick"}').toString('base64'), messageId: 'ilb-tick-1' },
      }),
    });
    const last = reconciles().at(-1)!;
    expect(last.status).toBe('ok');
    expect(last.loadBalancer?.backends).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ instance: expect.stringContaining(`/${victim}`), healthState: 'UNHEALTHY' }),
      ]),
    );
    await c.wait(await c.instances.start({ project: PROJECT, zone: zoneOf(victim!), instance: victim! }));
    await migSettled(stack.emulator, 2, 20_000);
    await waitFor('the restarted VM back in the pool', async () => pool().length === 2, 20_000, 10);
  });

  it('every backend dead: the load balancer spreads over all of them as a last resort, natRoutes is degraded and keeps the routes', async () => {
    const names = stack.emulator.migs.list(MIG).map((m) => m.name);
    for (const n of names) stack.emulator.migs.setHealth(MIG, n, 'UNHEALTHY'); // their health checks fail, the VMs keep running
    await waitFor(
      'no healthy backend left for the load balancer',
      async () => {
        const [res] = await c.backendServices.getHealth({
          project: PROJECT,
          region: REGION,
          backendService: SAMPLE.nat.ilb,
          resourceGroupReferenceResource: {
            group: `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/${REGION}/instanceGroups/${SAMPLE.nat.mig}`,
          },
        });
        return (res.healthStatus ?? []).every((h) => h.healthState === 'UNHEALTHY');
      },
      20_000,
      10,
    );
    expect(pool()).toEqual([...names].sort());
    const res = await fetch(natRoutes().url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-id': 'ilb-tick-2',
        'ce-source': `//pubsub.googleapis.com/projects/${PROJECT}/topics/netreflex-tick`,
        'ce-specversion': '1.0',
        'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      },
      body: JSON.stringify({
        message: { data: Buffer.from('{"kind":"tick"}').toString('base64'), messageId: 'ilb-tick-2' },
      }),
    });
    expect(res.status).toBeLessThan(300);
    const last = reconciles().at(-1)!;
    expect(last.status).toBe('degraded');
    expect(last.reasons.join(' ')).toMatch(/has no healthy backend/);
    for (const n of names) stack.emulator.migs.setHealth(MIG, n, 'HEALTHY');
    await waitFor(
      'the backends healthy again',
      async () => pool().length === names.length && paths()[0]!.instances.length === names.length,
      20_000,
      10,
    );
  });
});
