/**
 * natRoutes under the event weather of production: storms, duplicates, a dead event source and
 * a NAT VM recreated mid-sync — the real Functions Framework process fed by the local Eventarc,
 * the operator acting through the official Compute client, every emulator mutation watched by
 * the invariants. Each scenario ends in the right routes with a bounded number of route calls
 * and prints that number.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { spawnFunction } from '../../local/functions-host.js';
import { SAMPLE } from '../../local/topology.js';
import { loadNatRoutesConfig, type NatRoutesConfig } from '../../shared/config/nat-routes.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';
import { controlFaults, type FaultControl } from '../helpers/faults.js';
import { watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';
import { callsSince, convergenceProblem, MIG, migSettled, routeCalls } from './nat-support.js';

const AUDIT = 'google.cloud.audit.log.v1.written';
const MIG_REQUEST = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };
const MIG_PATH = `regions/${REGION}/instanceGroupManagers/${SAMPLE.nat.mig}`;

let stack: Stack;
let c: ComputeClients;
let cfg: NatRoutesConfig;
let faults: FaultControl;
let watcher: InvariantWatcher;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tick() {
  stack.emulator.topics.publish(`projects/${PROJECT}/topics/netreflex-tick`, [{ data: '{"kind":"tick"}' }]);
  await stack.emulator.events.idle();
}

/** Waits for the right routes for `instances` NAT VMs, then for every delivery to finish. */
async function converged(what: string, instances: number): Promise<void> {
  await waitFor(what, async () => !convergenceProblem(stack.emulator, cfg, instances), 15_000, 50).catch(
    (err: Error) => {
      throw new Error(`${err.message}: ${convergenceProblem(stack.emulator, cfg, instances)}`);
    },
  );
  await stack.emulator.events.idle();
}

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutes'],
    emulator: { natInstances: ['nat-a1b2', 'nat-c3d4'], settings: { operationLatencyMs: 20, instanceStepMs: 60 } },
  });
  c = computeClients(stack.emulator.port);
  cfg = loadNatRoutesConfig(stack.env);
  faults = controlFaults(stack.emulator.url);
  await tick();
  await converged('initial routes', 2);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  watcher = watchInvariants(stack.emulator);
});

afterEach(async () => {
  await faults.clear();
  watcher.stop();
  watcher.assertHolds();
});

describe('natRoutes under event faults (Functions Framework + local Eventarc)', () => {
  it('an event storm — 20 MIG audit events within a second around a real resize — costs only the routes that changed', async () => {
    const before = routeCalls(stack.emulator);
    const delivered = stack.emulator.events.deliveries.length;
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 3 }));
    for (let i = 0; i < 20; i++) {
      stack.emulator.audit.write({
        project: PROJECT,
        method: 'compute.regionInstanceGroupManagers.resize',
        path: MIG_PATH,
        resource: { type: 'gce_instance_group_manager', labels: {} },
        operationId: `storm-${i}`,
        phase: 'last',
        initiator: { kind: 'caller', principal: SAMPLE.owner },
      });
      await sleep(45);
    }
    await converged('routes for three NAT VMs after the storm', 3);
    const calls = callsSince(stack.emulator, before);
    console.log(
      `[event storm] ${stack.emulator.events.deliveries.length - delivered} deliveries → ${calls.total} route calls (${calls.insert} inserts, ${calls.delete} deletes)`,
    );
    expect(calls).toEqual({ insert: 2, delete: 0, total: 2 });
  });

  it('every event delivered three times, at once: a recreate still costs one delete and one insert per route', async () => {
    await faults.eventFault({ kind: 'duplicate', times: 2, type: AUDIT });
    const before = routeCalls(stack.emulator);
    const delivered = stack.emulator.events.deliveries.length;
    const [mis] = await c.migs.listManagedInstances(MIG_REQUEST);
    const victim = mis.find((m) => m.name === 'nat-c3d4')!;
    await c.wait(
      await c.migs.recreateInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersRecreateRequestResource: { instances: [victim.instance!] },
      }),
    );
    await waitFor(
      'nat-c3d4 taken away',
      async () => stack.emulator.migs.list(MIG).some((m) => m.name === 'nat-c3d4' && m.currentAction !== 'NONE'),
      5_000,
      10,
    );
    await migSettled(stack.emulator, 3);
    await converged('routes back on the recreated NAT VM', 3);
    const deliveries = stack.emulator.events.deliveries.slice(delivered).filter((d) => d.type === AUDIT);
    const perEvent = new Map<string, number>();
    for (const d of deliveries) perEvent.set(d.eventId, (perEvent.get(d.eventId) ?? 0) + 1);
    const calls = callsSince(stack.emulator, before);
    console.log(
      `[every event ×3] ${deliveries.length} audit deliveries of ${perEvent.size} events → ${calls.total} route calls (${calls.insert} inserts, ${calls.delete} deletes)`,
    );
    expect([...perEvent.values()].every((n) => n === 3)).toBe(true);
    expect(calls.total).toBeLessThanOrEqual(2 * 2 + 2);
  });

  it('with the event source down (every audit event dropped) the scheduled tick repairs the drift', async () => {
    await faults.eventSourceDown({ type: AUDIT });
    const before = routeCalls(stack.emulator);
    const delivered = stack.emulator.events.deliveries.length;
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 2 }));
    await migSettled(stack.emulator, 2);
    await sleep(300);
    await stack.emulator.events.idle();
    expect(convergenceProblem(stack.emulator, cfg, 2)).toMatch(/extra/);
    expect(callsSince(stack.emulator, before).total).toBe(0);
    expect(stack.emulator.events.deliveries.slice(delivered).every((d) => d.status === 'dropped')).toBe(true);
    await tick();
    await converged('routes repaired by the tick', 2);
    const calls = callsSince(stack.emulator, before);
    console.log(
      `[event source down] the tick repaired the drift with ${calls.total} route calls (${calls.delete} deletes)`,
    );
    expect(calls).toEqual({ insert: 0, delete: 2, total: 2 });
  });

  it('a NAT VM recreated while a sync is inserting routes (300 ms operations) ends right', async () => {
    await faults.settings({ operationLatencyMs: 300 });
    const before = routeCalls(stack.emulator);
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 3 }));
    await waitFor('a route insert in flight', async () => callsSince(stack.emulator, before).insert > 0, 10_000, 10);
    const [mis] = await c.migs.listManagedInstances(MIG_REQUEST);
    const victim = mis.find((m) => m.name === 'nat-a1b2')!;
    await c.wait(
      await c.migs.recreateInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersRecreateRequestResource: { instances: [victim.instance!] },
      }),
    );
    await migSettled(stack.emulator, 3);
    await converged('routes for three NAT VMs after the recreate', 3);
    await faults.settings({ operationLatencyMs: 20 });
    const calls = callsSince(stack.emulator, before);
    console.log(
      `[recreated during a sync] ${calls.total} route calls (${calls.insert} inserts, ${calls.delete} deletes)`,
    );
    expect(calls.total).toBeLessThanOrEqual(2 + 2 * 2 + 2);
  });

  it('an invalid configuration changes nothing: the function refuses to start', async () => {
    await watcher.nothingChangesDuring('natRoutes started with NETREFLEX_DESTINATIONS=not-a-cidr', async () => {
      const start = spawnFunction({
        target: 'natRoutes',
        signatureType: 'cloudevent',
        port: 0,
        env: { ...stack.env, NETREFLEX_DESTINATIONS: '198.51.100.10/32,not-a-cidr' },
      });
      await expect(start).rejects.toThrow(/exited with code 78[\s\S]*NETREFLEX_DESTINATIONS/);
    });
    expect(convergenceProblem(stack.emulator, cfg, 3)).toBeUndefined();
  });
});
