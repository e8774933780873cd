/**
 * natRoutes as an operator and an attacker would try it — the cases that broke it before, each
 * driven through the official Compute client against the real Functions Framework process, with
 * no scheduled tick after the first: events alone must do it. Every mutation is watched by the
 * invariants (egress continuity, ownership).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { spawnFunction } from '../../local/functions-host.js';
import { SAMPLE } from '../../local/topology.js';
import { loadNatRoutesConfig, type NatRoutesConfig } from '../../shared/config/nat-routes.js';
import { candidateNames, ownerMarker } from '../../shared/plan/routes.js';
import { migPath } from '../../shared/gcp/paths.js';
import { networkUrl } from '../../shared/gcp/paths.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';
import { watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';
import { callsSince, convergenceProblem, MIG, migSettled, ownedRoutes, routeCalls, ROUTES_COL } from './nat-support.js';

const MIG_REQUEST = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };
const [D1, D2] = SAMPLE.destinations;

let stack: Stack;
let c: ComputeClients;
let cfg: NatRoutesConfig;
let watcher: InvariantWatcher;

const natRoutes = () => stack.functions.get('natRoutes')!;
const reconcileLines = (from = 0) =>
  natRoutes()
    .output.slice(from)
    .filter((l) => /"message":"natRoutes: (ok|degraded|failed):/.test(l))
    .map((l) => JSON.parse(l) as { severity: string; message: string; events: string[] });

async function converged(what: string, instances: number): Promise<void> {
  await waitFor(what, async () => !convergenceProblem(stack.emulator, cfg, instances), 20_000, 50).catch(
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
  stack.emulator.topics.publish(`projects/${PROJECT}/topics/netreflex-tick`, [{ data: '{"kind":"tick"}' }]);
  await converged('initial routes', 2);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  watcher = watchInvariants(stack.emulator);
});

afterEach(() => {
  watcher.stop();
  watcher.assertHolds();
});

describe('natRoutes, tried as an operator and an attacker would (events only, no tick)', () => {
  it('forged markers change nothing: a copy in vpc-b, a tagged one, an on-premises VPN route at priority 100 — all still there after the MIG changes', async () => {
    const marker = `${ownerMarker(migPath(cfg))} dest=${D1}`;
    const [mis] = await c.migs.listManagedInstances(MIG_REQUEST);
    const vm = mis[0]!.instance!;
    const forged = [
      {
        name: candidateNames(cfg.prefix, {
          network: networkUrl(cfg.project, 'vpc-b'),
          destRange: D1!,
          priority: 900,
          nextHopInstance: vm,
        })[0]!,
        network: 'global/networks/vpc-b',
        destRange: D1,
        priority: 900,
        nextHopInstance: vm,
        description: marker,
      },
      {
        name: 'copied-tagged',
        network: 'global/networks/vpc-a',
        destRange: D1,
        priority: 900,
        nextHopInstance: vm,
        tags: ['nat'],
        description: marker,
      },
      {
        name: 'onprem-vpn',
        network: 'global/networks/vpc-a',
        destRange: D2,
        priority: 100,
        nextHopVpnTunnel: `regions/${REGION}/vpnTunnels/onprem`,
        description: marker,
      },
    ];
    for (const routeResource of forged) await c.wait(await c.routes.insert({ project: PROJECT, routeResource }));
    const snapshot = () =>
      Object.fromEntries(
        stack.emulator.store
          .list(ROUTES_COL)
          .filter((r) => forged.some((f) => f.name === r.name))
          .map((r) => [r.name, JSON.stringify(r)]),
      );
    const before = snapshot();
    const lines = natRoutes().output.length;
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 3 }));
    await converged('routes for three NAT VMs', 3);
    expect(snapshot()).toEqual(before);
    expect(Object.keys(before)).toHaveLength(3);
    const warned = reconcileLines(lines)
      .map((l) => l.message)
      .join('\n');
    expect(warned).toMatch(
      /route onprem-vpn carries netreflex's marker but is not netreflex's, so it is left unchanged: .*priority 100, not 900/,
    );
    expect(warned).toMatch(/route copied-tagged carries netreflex's marker .*tagged \(nat\)/);
    expect(warned).toMatch(/network vpc-b, not vpc-a/);
    for (const f of forged) await c.wait(await c.routes.delete({ project: PROJECT, route: f.name }));
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 2 }));
    await converged('back to two NAT VMs', 2);
  });

  it('a squatted name does not wedge it: the route goes in under an alternate name, and the routes to a deleted VM go', async () => {
    const [mis] = await c.migs.listManagedInstances(MIG_REQUEST);
    const [gone, stays] = [mis[0]!, mis[1]!];
    const wanted = ownedRoutes(stack.emulator, cfg).find(
      (r) => r.destRange === D1 && r.nextHopInstance === stays.instance,
    )!;
    await c.wait(await c.routes.delete({ project: PROJECT, route: wanted.name }));
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: {
          name: wanted.name,
          network: 'global/networks/vpc-a',
          destRange: '192.168.0.0/16',
          priority: 1000,
          nextHopIp: '10.95.0.50',
          description: 'on-premises range, by hand',
        },
      }),
    );
    const lines = natRoutes().output.length;
    const before = routeCalls(stack.emulator);
    await c.wait(
      await c.migs.deleteInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersDeleteInstancesRequestResource: { instances: [gone.instance!] },
      }),
    );
    await migSettled(stack.emulator, 1);
    await converged('routes only to the remaining NAT VM', 1);
    const [squatter] = await c.routes.get({ project: PROJECT, route: wanted.name });
    expect(squatter).toMatchObject({ destRange: '192.168.0.0/16', nextHopIp: '10.95.0.50' });
    const alternate = ownedRoutes(stack.emulator, cfg).find((r) => r.destRange === D1)!;
    expect(alternate.name).not.toBe(wanted.name);
    expect(
      candidateNames(cfg.prefix, {
        network: networkUrl(cfg.project, cfg.network),
        destRange: D1!,
        priority: cfg.priority,
        nextHopInstance: stays.instance!,
      }),
    ).toContain(alternate.name);
    const said = natRoutes().output.slice(lines).join('\n');
    expect(said).toMatch(
      new RegExp(`name ${wanted.name} is held by a route netreflex does not own, .*using ${alternate.name}`),
    );
    expect(said).not.toMatch(/next sync|skipping deletes/);
    expect(callsSince(stack.emulator, before)).toEqual({ insert: 1, delete: 2, total: 3 });
    await c.wait(await c.routes.delete({ project: PROJECT, route: wanted.name }));
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 2 }));
    await converged('back to two NAT VMs', 2);
  });

  it("one log line per reconcile, with every pass's changes: a recreate's lines add up to the route calls it cost", async () => {
    const lines = natRoutes().output.length;
    const before = routeCalls(stack.emulator);
    const [mis] = await c.migs.listManagedInstances(MIG_REQUEST);
    await c.wait(
      await c.migs.recreateInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersRecreateRequestResource: { instances: [mis[0]!.instance!] },
      }),
    );
    await waitFor(
      'the recreate to begin',
      async () => stack.emulator.migs.list(MIG).some((m) => m.currentAction !== 'NONE'),
      5_000,
      10,
    );
    await migSettled(stack.emulator, 2);
    await converged('routes back on the recreated VM', 2);
    const logged = reconcileLines(lines);
    const sum = (sign: '+' | '-') =>
      logged.reduce((n, l) => n + Number(new RegExp(`\\${sign}(\\d+)`).exec(l.message.split(':')[2]!)?.[1] ?? 0), 0);
    const calls = callsSince(stack.emulator, before);
    const events = logged.flatMap((l) => l.events);
    console.log(
      `[recreate] ${events.length} events in ${logged.length} reconcile lines: ${logged.map((l) => l.message.replace(/;.*/, '')).join(' | ')}`,
    );
    expect(sum('+')).toBe(calls.insert);
    expect(sum('-')).toBe(calls.delete);
    expect(new Set(events).size).toBe(events.length);
    expect(logged.length).toBeLessThan(events.length);
  });

  it(
    'a MIG that never settles: the event is answered within the settle budget, while the VM is still mid-action',
    { timeout: 60_000 },
    async () => {
      const fn = await spawnFunction({
        target: 'natRoutes',
        signatureType: 'cloudevent',
        port: 0,
        env: { ...stack.env, NETREFLEX_SETTLE_TIMEOUT_SECONDS: '2', NETREFLEX_SETTLE_POLL_MS: '100' },
        identity: stack.identity('natRoutes'),
      });
      // a VM the MIG verifies and verifies: nothing in the emulator moves it on, so natRoutes could settle forever
      const stuck = stack.emulator.migs.list(MIG)[0]!;
      stuck.transition({ currentAction: 'VERIFYING' });
      try {
        const res = await fetch(fn.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'ce-id': 'never-settles-1',
            'ce-source': '//pubsub.googleapis.com/projects/netreflex-demo/topics/netreflex-tick',
            'ce-specversion': '1.0',
            'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
          },
          body: JSON.stringify({
            message: { data: Buffer.from('{"kind":"tick"}').toString('base64'), messageId: '1' },
          }),
        });
        expect(res.status).toBeLessThan(300);
        // answered, though the MIG has not settled: the budget ended the settling, not the MIG
        expect(stack.emulator.migs.list(MIG).find((m) => m.name === stuck.name)!.currentAction).toBe('VERIFYING');
        const line = await waitFor(
          'the reconcile line',
          async () => fn.output.find((l) => /"message":"natRoutes: (ok|degraded|failed):/.test(l)),
          10_000,
          20,
        );
        expect(JSON.parse(line)).toMatchObject({ events: ['never-settles-1'] });
        expect(Number(/(\d+) passes/.exec(String(JSON.parse(line).message))?.[1])).toBeGreaterThan(1);
      } finally {
        stuck.transition({ currentAction: 'NONE' });
        await fn.stop();
      }
    },
  );

  it(
    'a permanent error (no such peering) is logged once, as an error, and the event acknowledged — no redelivery loop',
    { timeout: 60_000 },
    async () => {
      const fn = await spawnFunction({
        target: 'natRoutes',
        signatureType: 'cloudevent',
        port: 0,
        env: { ...stack.env, NETREFLEX_PEERING: 'no-such-peering' },
        identity: stack.identity('natRoutes'),
      });
      try {
        const res = await fetch(fn.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'ce-id': 'permanent-1',
            'ce-source': '//pubsub.googleapis.com/projects/netreflex-demo/topics/netreflex-tick',
            'ce-specversion': '1.0',
            'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
          },
          body: JSON.stringify({
            message: { data: Buffer.from('{"kind":"tick"}').toString('base64'), messageId: '1' },
          }),
        });
        expect(res.status).toBeLessThan(300);
        await waitFor(
          'the reconcile line',
          async () => fn.output.some((l) => l.includes('no-such-peering')),
          10_000,
          20,
        );
        const errors = fn.output.filter((l) => l.includes('no-such-peering'));
        expect(errors).toHaveLength(1);
        expect(JSON.parse(errors[0]!)).toMatchObject({
          severity: 'ERROR',
          message: expect.stringMatching(
            /^natRoutes: failed: .*has no peering named no-such-peering; set NETREFLEX_PEERING/,
          ),
        });
      } finally {
        await fn.stop();
      }
    },
  );
});
