/** Named scenarios for the NAT route planner (shared/plan/routes.ts), external-dns style. */
import { describe, expect, it } from 'vitest';
import {
  candidateNames,
  HOLD_TAG,
  isEligible,
  isEmptyPlan,
  planRoutes,
  routeName,
  type NatInstance,
  type ObservedRoute,
  type PlanInput,
  type RoutePlan,
} from '../../shared/plan/routes.js';

const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-a';
const NET_B = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-b';
const OWNER = 'projects/p/regions/asia-northeast1/instanceGroupManagers/nat-mig';
const MARKER = `netreflex:nat-routes owner=${OWNER} dest=198.51.100.10/32`;
const ILB = 'https://www.googleapis.com/compute/v1/projects/p/regions/asia-northeast1/forwardingRules/nat-ilb';
const D1 = '198.51.100.10/32';
const D2 = '198.51.100.64/27';
const T0 = Date.UTC(2026, 0, 1);
const url = (name: string, zone = 'asia-northeast1-a') =>
  `https://www.googleapis.com/compute/v1/projects/p/zones/${zone}/instances/${name}`;
const path = (name: string) => url(name).replace('https://www.googleapis.com/compute/v1/', '');
const healthy = (name: string): NatInstance => ({
  name,
  url: url(name),
  instanceStatus: 'RUNNING',
  currentAction: 'NONE',
  health: 'HEALTHY',
});
const sick = (name: string): NatInstance => ({ ...healthy(name), health: 'UNHEALTHY' });
const stopped = (name: string): NatInstance => ({ ...healthy(name), instanceStatus: 'TERMINATED' });

function input(instances: NatInstance[], routes: ObservedRoute[] = [], over: Partial<PlanInput> = {}): PlanInput {
  return {
    network: NET,
    destinations: [D1, D2],
    priority: 900,
    prefix: 'netreflex',
    owner: OWNER,
    mode: 'instance',
    instances,
    gone: [],
    routes,
    now: T0,
    holds: { joinMs: 0, unhealthyMs: 0 },
    requireHealthy: true,
    policy: 'sync',
    ...over,
  };
}

/** The route table after a fully successful apply of `plan` at `now`. */
function applied(routes: readonly ObservedRoute[], plan: RoutePlan, now = T0): ObservedRoute[] {
  const gone = new Set([...plan.deletes, ...plan.holds.deletes].map((r) => r.name));
  const stamp = new Date(now).toISOString();
  return [
    ...routes.filter((r) => !gone.has(r.name)),
    ...[...plan.inserts, ...plan.holds.inserts].map((r) => ({ ...r, creationTimestamp: stamp })),
  ];
}

/** Plans and applies: the routes after the plan has run. */
const step = (i: PlanInput) => applied(i.routes, planRoutes(i), i.now);
const traffic = (routes: ObservedRoute[]) =>
  routes.filter((r) => !r.tags?.length && r.description?.startsWith('netreflex:nat-routes owner='));
const hopsOf = (routes: ObservedRoute[], dest: string) =>
  traffic(routes)
    .filter((r) => r.destRange === dest)
    .map((r) => r.nextHopInstance?.split('/').pop() ?? 'ilb')
    .sort();

describe('route planner', () => {
  it('TestSyncFirstRound: one route per destination × eligible instance, untagged, marked', () => {
    const p = planRoutes(input([healthy('nat-a'), healthy('nat-b')]));
    expect(p.inserts).toHaveLength(4);
    expect(p.deletes).toEqual([]);
    expect(new Set(p.inserts.map((r) => r.name)).size).toBe(4);
    for (const r of p.inserts) {
      expect(r.description.startsWith(`netreflex:nat-routes owner=${OWNER} `)).toBe(true);
      expect(r).not.toHaveProperty('tags');
      expect(r.priority).toBe(900);
    }
  });

  it('TestIdempotency: plan(x, x) is empty, holds running included', () => {
    const two = step(input([healthy('nat-a'), healthy('nat-b')]));
    expect(isEmptyPlan(planRoutes(input([healthy('nat-a'), healthy('nat-b')], two)))).toBe(true);
    const held = input([sick('nat-a'), healthy('nat-b')], two, { holds: { joinMs: 0, unhealthyMs: 30_000 } });
    const withHold = step(held);
    expect(isEmptyPlan(planRoutes({ ...held, routes: withHold, now: T0 + 10_000 }))).toBe(true);
  });

  it('TestECMP: equal destination and priority across every NAT instance', () => {
    const p = planRoutes(input([healthy('nat-a'), healthy('nat-b'), healthy('nat-c')]));
    for (const dest of [D1, D2]) {
      const routes = p.inserts.filter((r) => r.destRange === dest);
      expect(routes).toHaveLength(3);
      expect(new Set(routes.map((r) => r.priority)).size).toBe(1);
      expect(new Set(routes.map((r) => r.nextHopInstance)).size).toBe(3);
    }
  });

  it('TestRecreate: a VM the MIG recreates under its name loses its routes while it is acted on and gets them back under the same names', () => {
    const first = step(input([healthy('nat-a'), healthy('nat-b')]));
    const namesOf = (routes: readonly ObservedRoute[], vm: string) =>
      routes
        .filter((r) => r.nextHopInstance === url(vm))
        .map((r) => r.name)
        .sort();
    const recreating = planRoutes(
      input(
        [{ ...healthy('nat-a'), instanceStatus: 'STOPPING', currentAction: 'RECREATING' }, healthy('nat-b')],
        first,
      ),
    );
    expect(recreating.inserts).toEqual([]);
    expect(recreating.deletes.map((r) => r.name).sort()).toEqual(namesOf(first, 'nat-a'));
    const during = applied(first, recreating);
    const back = planRoutes(input([healthy('nat-a'), healthy('nat-b')], during));
    expect(back.deletes).toEqual([]);
    expect(back.inserts.map((r) => r.name).sort()).toEqual(namesOf(first, 'nat-a'));
  });

  it('TestScaleIn: routes of an instance Google no longer has are deleted; the others kept', () => {
    const two = step(input([healthy('nat-a'), healthy('nat-b')]));
    const p = planRoutes(input([healthy('nat-a')], two, { gone: [path('nat-b')] }));
    expect(p.inserts).toEqual([]);
    expect(p.deletes.map((r) => [r.nextHopInstance, r.safe])).toEqual([
      [url('nat-b'), 'gone'],
      [url('nat-b'), 'gone'],
    ]);
    expect(p.keeps).toHaveLength(2);
  });

  it('TestGoneAtZeroEligible: routes to a deleted VM go even when no instance is eligible (they carry nothing)', () => {
    const two = step(input([healthy('nat-a'), healthy('nat-b')]));
    const p = planRoutes(input([{ ...healthy('nat-a'), currentAction: 'RECREATING' }], two, { gone: [path('nat-b')] }));
    expect(p.deletes.map((r) => r.nextHopInstance)).toEqual([url('nat-b'), url('nat-b')]);
    expect(p.keeps).toHaveLength(2);
    expect(p.degraded.join()).toMatch(/no eligible NAT instance/);
  });

  it('TestMakeBeforeBreak: a stopped instance leaves at once, its deletes wait for the new routes', () => {
    const old = step(input([healthy('nat-a'), healthy('nat-b')]));
    const p = planRoutes(input([stopped('nat-a'), healthy('nat-b'), healthy('nat-c')], old));
    expect(p.inserts.every((r) => r.nextHopInstance === url('nat-c'))).toBe(true);
    expect(p.deletes.map((r) => [r.nextHopInstance, r.safe])).toEqual([
      [url('nat-a'), 'covered'],
      [url('nat-a'), 'covered'],
    ]);
    const alone = planRoutes(
      input(
        [stopped('nat-a'), healthy('nat-c')],
        traffic(old).filter((r) => r.nextHopInstance === url('nat-a')),
      ),
    );
    expect(alone.deletes.map((r) => r.safe)).toEqual(['after-inserts', 'after-inserts']);
  });

  it('TestIneligible: STAGING, RECREATING, VERIFYING and UNHEALTHY instances carry no route', () => {
    for (const c of [
      { ...healthy('s'), instanceStatus: 'STAGING' },
      { ...healthy('r'), currentAction: 'RECREATING' },
      { ...healthy('v'), currentAction: 'VERIFYING' },
      sick('u'),
    ])
      expect(isEligible(c, true)).toBe(false);
    expect(isEligible({ ...healthy('n'), health: undefined }, true)).toBe(true);
    expect(isEligible(sick('u'), false)).toBe(true);
  });

  it('TestRefreshing: a VM the MIG only refreshes (metadata in place) keeps forwarding and keeps its routes; restarting ones do not', () => {
    expect(isEligible({ ...healthy('f'), currentAction: 'REFRESHING' }, true)).toBe(true);
    expect(isEligible({ ...healthy('t'), currentAction: 'RESTARTING' }, true)).toBe(false);
    expect(isEligible({ ...healthy('f'), currentAction: 'REFRESHING', instanceStatus: 'STOPPING' }, true)).toBe(false);
    const routes = step(input([healthy('nat-a'), healthy('nat-b')]));
    expect(
      planRoutes(
        input([healthy('nat-a'), { ...healthy('nat-b'), currentAction: 'REFRESHING' }], routes, {
          holds: { joinMs: 0, unhealthyMs: 0 },
        }),
      ),
    ).toMatchObject({ inserts: [], deletes: [] });
  });

  it('TestZeroEligible: keeps every existing route and reports degraded instead of deleting the last path', () => {
    const existing = step(input([healthy('nat-a'), healthy('nat-b')]));
    const p = planRoutes(input([{ ...healthy('nat-a'), currentAction: 'RECREATING' }, stopped('nat-b')], existing));
    expect(p.deletes).toEqual([]);
    expect(p.keeps).toHaveLength(4);
    expect(p.degraded.join()).toMatch(/no eligible NAT instance/);
  });

  it("TestOwnership: unowned, another setup's and marker-less routes are never planned nor called conflicts", () => {
    const mine = step(input([healthy('nat-a')]));
    const foreign: ObservedRoute[] = [
      { name: 'by-hand', network: NET, destRange: D1, priority: 900, nextHopIp: '10.95.0.9' },
      {
        name: 'other-mig',
        network: NET,
        destRange: D1,
        priority: 900,
        nextHopInstance: url('nat-z'),
        description: 'netreflex:nat-routes owner=projects/p/regions/asia-northeast1/instanceGroupManagers/other dest=x',
      },
      {
        name: 'default-route-vpc-a',
        network: NET,
        destRange: '0.0.0.0/0',
        priority: 1000,
        nextHopGateway: 'x/global/gateways/default-internet-gateway',
      },
    ];
    const p = planRoutes(input([healthy('nat-a')], [...foreign, ...mine]));
    expect(isEmptyPlan(p)).toBe(true);
    expect(p.conflicts).toEqual([]);
  });

  it('TestForgedMarkers: a copied marker in vpc-b, on a tagged route, on a VPN route at priority 100, under a made-up name or to a VM outside the MIG is a conflict, never changed', () => {
    const a = url('nat-a');
    const good = routeName('netreflex', { network: NET, destRange: D1, priority: 900, nextHopInstance: a });
    const forged: ObservedRoute[] = [
      {
        name: routeName('netreflex', { network: NET_B, destRange: D1, priority: 900, nextHopInstance: a }),
        network: NET_B,
        destRange: D1,
        priority: 900,
        nextHopInstance: a,
        description: MARKER,
      },
      {
        name: 'tagged-copy',
        network: NET,
        destRange: D1,
        priority: 900,
        nextHopInstance: a,
        tags: ['nat'],
        description: MARKER,
      },
      {
        name: 'onprem-vpn',
        network: NET,
        destRange: D1,
        priority: 100,
        nextHopVpnTunnel: 'regions/asia-northeast1/vpnTunnels/onprem',
        description: MARKER,
      },
      {
        name: 'netreflex-made-up',
        network: NET,
        destRange: D2,
        priority: 900,
        nextHopInstance: a,
        description: MARKER,
      },
      {
        name: routeName('netreflex', { network: NET, destRange: D2, priority: 900, nextHopInstance: url('db-1') }),
        network: NET,
        destRange: D2,
        priority: 900,
        nextHopInstance: url('db-1'),
        description: MARKER,
      },
    ];
    const p = planRoutes(input([healthy('nat-a')], forged));
    const touched = new Set([...p.deletes, ...p.keeps.map((name) => ({ name }))].map((r) => r.name));
    for (const f of forged) expect(touched.has(f.name), f.name).toBe(false);
    expect(Object.fromEntries(p.conflicts.map((c) => [c.route, c.reasons.join('; ')]))).toEqual({
      [forged[0]!.name]: expect.stringMatching(/network vpc-b, not vpc-a/),
      'tagged-copy': expect.stringMatching(/tagged \(nat\)/),
      'onprem-vpn': expect.stringMatching(/next hop nextHopVpnTunnel onprem is neither.*priority 100, not 900/),
      'netreflex-made-up': expect.stringMatching(/name netreflex-made-up is not one netreflex derives/),
      [forged[4]!.name]: expect.stringMatching(/next hop nextHopInstance db-1 is neither/),
    });
    expect(p.inserts.map((r) => r.name)).toContain(good);
  });

  it('TestPriorityChange: routes at the old priority are conflicts, left alone; the new ones are inserted', () => {
    const old = step(input([healthy('nat-a')]));
    const p = planRoutes(input([healthy('nat-a')], old, { priority: 800 }));
    expect(p.inserts).toHaveLength(2);
    expect(p.deletes).toEqual([]);
    expect(p.conflicts.map((c) => c.reasons.join())).toEqual([
      expect.stringMatching(/priority 900, not 800/),
      expect.stringMatching(/priority 900, not 800/),
    ]);
  });

  it('TestSquattedName: a name held by someone else is planned around with an alternate; plan(x, x) is empty, and nothing churns when the squatter leaves', () => {
    const wanted = candidateNames('netreflex', {
      network: NET,
      destRange: D1,
      priority: 900,
      nextHopInstance: url('nat-a'),
    });
    const squatter: ObservedRoute = {
      name: wanted[0]!,
      network: NET,
      destRange: '192.168.0.0/16',
      priority: 100,
      nextHopIp: '10.95.0.50',
      description: 'on-premises',
    };
    const p = planRoutes(input([healthy('nat-a')], [squatter]));
    expect(p.inserts.map((r) => r.name)).toContain(wanted[1]);
    expect(p.plannedAround).toEqual([{ wanted: wanted[0], heldBy: `${wanted[0]} ("on-premises")`, using: wanted[1] }]);
    const after = applied([squatter], p);
    expect(isEmptyPlan(planRoutes(input([healthy('nat-a')], after)))).toBe(true);
    expect(
      isEmptyPlan(
        planRoutes(
          input(
            [healthy('nat-a')],
            after.filter((r) => r !== squatter),
          ),
        ),
      ),
    ).toBe(true);
  });

  it('TestAllNamesSquatted: a permanent block, degraded with the fix; the old route to a stopped VM waits', () => {
    const old = step(input([healthy('nat-a')], [], { destinations: [D1] }));
    const names = candidateNames('netreflex', {
      network: NET,
      destRange: D1,
      priority: 900,
      nextHopInstance: url('nat-b'),
    });
    const squatters = names.map((name) => ({
      name,
      network: NET,
      destRange: '192.168.0.0/16',
      priority: 100,
      nextHopIp: '10.95.0.50',
    }));
    const p = planRoutes(input([stopped('nat-a'), healthy('nat-b')], [...old, ...squatters], { destinations: [D1] }));
    expect(p.inserts).toEqual([]);
    expect(p.deletes).toEqual([]);
    expect(p.blocked).toEqual([
      expect.objectContaining({
        what: `insert ${D1} → nat-b`,
        permanent: true,
        fix: expect.stringContaining(names[0]!),
      }),
      expect.objectContaining({ what: `delete ${old[0]!.name}`, permanent: false }),
    ]);
    expect(p.degraded.join()).toMatch(/candidate names are held/);
  });

  it('TestUpsertOnly: never deletes', () => {
    const two = step(input([healthy('nat-a'), healthy('nat-b')]));
    expect(
      planRoutes(input([healthy('nat-a')], two, { gone: [path('nat-b')], policy: 'upsert-only' })).deletes,
    ).toEqual([]);
  });

  it('TestILBMode: one route per destination to the load balancer; instance routes go once it is in', () => {
    const ilb = planRoutes(input([], [], { mode: 'ilb', ilb: ILB }));
    expect(ilb.inserts.map((r) => r.nextHopIlb)).toEqual([ILB, ILB]);
    const instanceRoutes = step(input([healthy('nat-a')], [], { ilb: ILB }));
    const switching = planRoutes(input([healthy('nat-a')], instanceRoutes, { mode: 'ilb', ilb: ILB }));
    expect(switching.deletes.map((r) => r.safe)).toEqual(['after-inserts', 'after-inserts']);
    const done = planRoutes(
      input([healthy('nat-a')], applied(instanceRoutes, { ...switching, deletes: [] }), { mode: 'ilb', ilb: ILB }),
    );
    expect(done.deletes.map((r) => r.safe)).toEqual(['covered', 'covered']);
    expect(
      isEmptyPlan(
        planRoutes(
          input([healthy('nat-a')], applied(applied(instanceRoutes, switching), done), { mode: 'ilb', ilb: ILB }),
        ),
      ),
    ).toBe(true);
  });

  it('TestNames: valid RFC 1035, at most 63 chars, even for long instance names and IPv6', () => {
    for (const dest of ['198.51.100.10/32', '2001:db8:abcd:12::/64']) {
      for (const name of candidateNames('netreflex-very-long-x', {
        network: NET,
        destRange: dest,
        priority: 65535,
        nextHopInstance: url('n'.repeat(63)),
      }))
        expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    }
  });
});

describe('damping', () => {
  const HOLDS = { joinMs: 20_000, unhealthyMs: 30_000 };

  it('TestUnhealthyHold: an instance whose health alone flips keeps its routes for the hold, then leaves; the hold is a tagged marker route', () => {
    const two = step(input([healthy('nat-a'), healthy('nat-b')]));
    const flipped = [sick('nat-a'), healthy('nat-b')];
    const first = planRoutes(input(flipped, two, { holds: HOLDS }));
    expect(first.deletes).toEqual([]);
    expect(first.inserts).toEqual([]);
    expect(first.holds.inserts).toEqual([
      expect.objectContaining({ nextHopInstance: url('nat-a'), tags: [HOLD_TAG], destRange: '192.0.2.0/32' }),
    ]);
    expect(first.pending).toEqual([{ instance: path('nat-a'), kind: 'unhealthy', at: T0 + 30_000 }]);
    const held = applied(two, first);
    expect(planRoutes(input(flipped, held, { holds: HOLDS, now: T0 + 29_999 })).deletes).toEqual([]);
    const expired = planRoutes(input(flipped, held, { holds: HOLDS, now: T0 + 30_000 }));
    expect(expired.deletes.map((r) => [r.nextHopInstance, r.safe])).toEqual([
      [url('nat-a'), 'covered'],
      [url('nat-a'), 'covered'],
    ]);
    expect(expired.holds.deletes.map((r) => r.name)).toEqual(first.holds.inserts.map((r) => r.name));
  });

  it('TestHealthyAgain: the hold ends (its marker goes) when the instance is healthy again', () => {
    const held = step(
      input([sick('nat-a'), healthy('nat-b')], step(input([healthy('nat-a'), healthy('nat-b')])), { holds: HOLDS }),
    );
    const p = planRoutes(input([healthy('nat-a'), healthy('nat-b')], held, { holds: HOLDS, now: T0 + 5_000 }));
    expect(p.deletes).toEqual([]);
    expect(p.holds.deletes).toHaveLength(1);
  });

  it('TestHeldGetsNoNewRoutes: a destination added while an instance waits out its hold gets no route to it', () => {
    const held = step(
      input([sick('nat-a'), healthy('nat-b')], step(input([healthy('nat-a'), healthy('nat-b')])), { holds: HOLDS }),
    );
    const p = planRoutes(
      input([sick('nat-a'), healthy('nat-b')], held, { holds: HOLDS, destinations: [D1, D2, '203.0.113.0/24'] }),
    );
    expect(p.inserts.map((r) => [r.destRange, r.nextHopInstance])).toEqual([['203.0.113.0/24', url('nat-b')]]);
  });

  it('TestLeavesAtOnce: stopped, STOPPING or acted on by the MIG — no hold', () => {
    const two = step(input([healthy('nat-a'), healthy('nat-b')]));
    for (const a of [
      stopped('nat-a'),
      { ...healthy('nat-a'), instanceStatus: 'STOPPING' },
      { ...healthy('nat-a'), currentAction: 'RECREATING' },
    ]) {
      const p = planRoutes(input([a, healthy('nat-b')], two, { holds: HOLDS }));
      expect(p.deletes).toHaveLength(2);
      expect(p.holds.inserts).toEqual([]);
    }
  });

  it('TestJoinHold: a new instance joins after being eligible for the hold; the marker stays until its routes exist', () => {
    const one = step(input([healthy('nat-a')]));
    const both = [healthy('nat-a'), healthy('nat-c')];
    const first = planRoutes(input(both, one, { holds: HOLDS }));
    expect(first.inserts).toEqual([]);
    expect(first.holds.inserts.map((r) => r.name)).toEqual([expect.stringMatching(/^netreflex-hold-join-nat-c-/)]);
    const waiting = applied(one, first);
    const due = planRoutes(input(both, waiting, { holds: HOLDS, now: T0 + 20_000 }));
    expect(due.inserts.map((r) => r.nextHopInstance)).toEqual([url('nat-c'), url('nat-c')]);
    expect(due.holds.deletes).toEqual([]);
    const routed = applied(waiting, due, T0 + 20_000);
    const settled = planRoutes(input(both, routed, { holds: HOLDS, now: T0 + 21_000 }));
    expect(settled.inserts).toEqual([]);
    expect(settled.holds.deletes).toHaveLength(1);
  });

  it('TestJoinHoldWaived: with no routed instance eligible, an eligible one joins at once', () => {
    const one = step(input([healthy('nat-a')]));
    const p = planRoutes(input([stopped('nat-a'), healthy('nat-c')], one, { holds: HOLDS }));
    expect(p.inserts.map((r) => r.nextHopInstance)).toEqual([url('nat-c'), url('nat-c')]);
    expect(p.holds.inserts).toEqual([]);
  });

  it('TestAntiPhaseFlap: two VMs flipping health in opposite phase every 1.5 s for 5 minutes — no route ever changes, every destination always has a route to the healthy one', () => {
    let routes = step(input([healthy('nat-a'), healthy('nat-b')]));
    let trafficChanges = 0;
    for (let t = 0; t < 300_000; t += 1_500) {
      const aUp = Math.floor(t / 1_500) % 2 === 0;
      const now = [aUp ? healthy('nat-a') : sick('nat-a'), aUp ? sick('nat-b') : healthy('nat-b')];
      const plan = planRoutes(input(now, routes, { holds: HOLDS, now: T0 + t }));
      trafficChanges += plan.inserts.length + plan.deletes.length;
      routes = applied(routes, plan, T0 + t);
      for (const dest of [D1, D2]) expect(hopsOf(routes, dest)).toContain(aUp ? 'nat-a' : 'nat-b');
    }
    expect(trafficChanges).toBe(0);
  });

  it('TestAntiPhaseFlapUndamped: without holds the same flapping rewrites the routes at every flip', () => {
    let routes = step(input([healthy('nat-a'), healthy('nat-b')]));
    let changes = 0;
    for (let t = 0; t < 15_000; t += 1_500) {
      const aUp = Math.floor(t / 1_500) % 2 === 0;
      const plan = planRoutes(
        input([aUp ? healthy('nat-a') : sick('nat-a'), aUp ? sick('nat-b') : healthy('nat-b')], routes, {
          now: T0 + t,
        }),
      );
      changes += plan.inserts.length + plan.deletes.length;
      routes = applied(routes, plan, T0 + t);
    }
    expect(changes).toBeGreaterThanOrEqual(2 * 2 * 9);
  });
});
