/**
 * The NAT route planner's rules one by one, with the exact words a person reads: every ownership
 * check of a traffic route and of a hold marker, duplicates, who claims a route, what a plan with
 * nothing to do looks like, and when a route that is no longer wanted may go (only when its
 * destination keeps a route to an eligible NAT VM) — with the blocked entries and degraded reasons.
 */
import { describe, expect, it } from 'vitest';
import {
  candidateNames,
  claimsOwner,
  HOLD_DEST_RANGE,
  HOLD_PRIORITY,
  HOLD_TAG,
  holdName,
  holdNames,
  isEmptyPlan,
  isOwned,
  planRoutes,
  routeName,
  type NatInstance,
  type ObservedRoute,
  type PlanInput,
  type RoutePlan,
} from '../../shared/plan/routes.js';

const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-a';
const OWNER = 'projects/p/regions/asia-northeast1/instanceGroupManagers/nat-mig';
const MARKER = `netreflex:nat-routes owner=${OWNER} dest=198.51.100.10/32`;
const HOLD = `netreflex:nat-routes-hold owner=${OWNER}`;
const ILB = 'https://www.googleapis.com/compute/v1/projects/p/regions/asia-northeast1/forwardingRules/nat-ilb';
const D1 = '198.51.100.10/32';
const D2 = '198.51.100.64/27';
const T0 = Date.UTC(2026, 0, 1);
const STAMP = new Date(T0).toISOString();
const url = (name: string) =>
  `https://www.googleapis.com/compute/v1/projects/p/zones/asia-northeast1-a/instances/${name}`;
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
const NOT_A_HOP = 'is neither an instance of the NAT MIG nor the configured load balancer';
const HOLD_SHAPE = `a hold marker is ${HOLD_DEST_RANGE}, priority ${HOLD_PRIORITY}, tag ${HOLD_TAG}`;

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

/** netreflex's route for `dest` → `hop`, as Google would list it after the insert. */
function owned(dest: string, hop: { nextHopInstance?: string; nextHopIlb?: string }, alternate = 0): ObservedRoute {
  const name = candidateNames('netreflex', { network: NET, destRange: dest, priority: 900, ...hop })[alternate]!;
  return {
    name,
    network: NET,
    destRange: dest,
    priority: 900,
    description: `netreflex:nat-routes owner=${OWNER} dest=${dest}`,
    ...hop,
    creationTimestamp: STAMP,
  };
}

/** The hold marker netreflex writes for `instance` (taken from a plan, so it is exactly what is inserted). */
function holdMarker(kind: 'join' | 'unhealthy', instance: string): ObservedRoute {
  return {
    name: holdName('netreflex', kind, url(instance)),
    network: NET,
    // what Google holds for every hold marker already deployed: these must never change
    destRange: '192.0.2.0/32',
    priority: 65535,
    tags: ['netreflex-hold'],
    nextHopInstance: url(instance),
    description: `${HOLD} kind=${kind} instance=${path(instance)}: steers no traffic (tag netreflex-hold, which no VM carries); its creationTimestamp is when the ${kind} hold began`,
    creationTimestamp: STAMP,
  };
}

const conflictsOf = (p: RoutePlan) => Object.fromEntries(p.conflicts.map((c) => [c.route, c.reasons]));

describe('ownership of traffic routes', () => {
  it("a route with a second next hop is not netreflex's, and the reason lists both hops", () => {
    const r = { ...owned(D1, { nextHopInstance: url('nat-a') }), nextHopIp: '10.95.0.9' };
    expect(conflictsOf(planRoutes(input([healthy('nat-a')], [r], { destinations: [D1] })))).toEqual({
      [r.name]: [`next hop nextHopInstance nat-a, nextHopIp 10.95.0.9 ${NOT_A_HOP}`],
    });
  });

  it('a route with no next hop at all is a conflict that says so', () => {
    const r = owned(D1, {});
    expect(conflictsOf(planRoutes(input([healthy('nat-a')], [r], { destinations: [D1] })))).toEqual({
      [r.name]: [`next hop (none) ${NOT_A_HOP}`],
    });
  });

  it('an empty next-hop field Google leaves on a route is no second hop', () => {
    const r = { ...owned(D1, { nextHopInstance: url('nat-a') }), nextHopIp: '', nextHopGateway: '' };
    const p = planRoutes(input([healthy('nat-a')], [r], { destinations: [D1] }));
    expect(p.conflicts).toEqual([]);
    expect(p.keeps).toEqual([r.name]);
    expect(isOwned(r, input([healthy('nat-a')]))).toBe(true);
  });

  it('every tag is named', () => {
    const r = { ...owned(D1, { nextHopInstance: url('nat-a') }), tags: ['nat', 'egress'] };
    expect(conflictsOf(planRoutes(input([healthy('nat-a')], [r], { destinations: [D1] })))).toEqual({
      [r.name]: ['tagged (nat, egress): tagged routes are never exported over peering'],
    });
  });

  it('a route to a load balancer is a conflict when none is configured, and when it is another one', () => {
    const r = owned(D1, { nextHopIlb: ILB });
    expect(conflictsOf(planRoutes(input([healthy('nat-a')], [r], { destinations: [D1] })))).toEqual({
      [r.name]: [`next hop nextHopIlb nat-ilb ${NOT_A_HOP}`],
    });
    const other = owned(D1, { nextHopIlb: `${ILB}-2` });
    expect(conflictsOf(planRoutes(input([], [other], { mode: 'ilb', ilb: ILB, destinations: [D1] })))).toEqual({
      [other.name]: [`next hop nextHopIlb nat-ilb-2 ${NOT_A_HOP}`],
    });
    expect(isOwned(owned(D1, { nextHopIlb: ILB }), input([], [], { mode: 'ilb', ilb: ILB }))).toBe(true);
  });

  it('an instance route is a conflict, not owned, when its instance is neither in the MIG nor gone nor departed', () => {
    const r = owned(D1, { nextHopInstance: url('db-1') });
    expect(isOwned(r, input([healthy('nat-a')]))).toBe(false);
    expect(isOwned(r, input([healthy('nat-a')], [], { gone: [path('db-1')] }))).toBe(true);
    expect(isOwned(r, input([healthy('nat-a')], [], { departed: [path('db-1')] }))).toBe(true);
  });

  it('two owned routes with the same destination and next hop: the second is a duplicate, left alone', () => {
    const first = owned(D1, { nextHopInstance: url('nat-a') });
    const second = owned(D1, { nextHopInstance: url('nat-a') }, 2);
    const p = planRoutes(input([healthy('nat-a')], [first, second], { destinations: [D1] }));
    expect(p.conflicts).toEqual([
      { route: second.name, reasons: [`duplicate of ${first.name} (same destination and next hop)`] },
    ]);
    expect(p.keeps).toEqual([first.name]);
    expect(p.deletes).toEqual([]);
    expect(p.inserts).toEqual([]);
  });
});

describe('ownership of hold markers', () => {
  const HOLDS = { joinMs: 0, unhealthyMs: 30_000 };
  const routed = [owned(D1, { nextHopInstance: url('nat-a') }), owned(D1, { nextHopInstance: url('nat-b') })];
  const plan = (hold: ObservedRoute, over: Partial<PlanInput> = {}) =>
    planRoutes(
      input([sick('nat-a'), healthy('nat-b')], [...routed, hold], { destinations: [D1], holds: HOLDS, ...over }),
    );

  it('the marker written for an unhealthy hold is exactly this, and read back as the hold', () => {
    const first = planRoutes(input([sick('nat-a'), healthy('nat-b')], routed, { destinations: [D1], holds: HOLDS }));
    const { creationTimestamp: _t, ...expected } = holdMarker('unhealthy', 'nat-a');
    expect(first.holds.inserts).toEqual([expected]);
    const again = plan(holdMarker('unhealthy', 'nat-a'), { now: T0 + 10_000 });
    expect(again.conflicts).toEqual([]);
    expect(isEmptyPlan(again)).toBe(true);
    expect(again.pending).toEqual([{ instance: path('nat-a'), kind: 'unhealthy', at: T0 + 30_000 }]);
  });

  it.each<[string, Partial<ObservedRoute>, string[]]>([
    [
      'no hold kind in its description',
      { description: `${HOLD} instance=${path('nat-a')}` },
      ['its description names no hold kind (kind=join or kind=unhealthy)'],
    ],
    ['another destination', { destRange: '192.0.2.1/32' }, [HOLD_SHAPE]],
    ['another priority', { priority: 1000 }, [HOLD_SHAPE]],
    ['no tag', { tags: undefined }, [HOLD_SHAPE]],
    ['another tag', { tags: ['nat'] }, [HOLD_SHAPE]],
    ['a second tag', { tags: [HOLD_TAG, 'nat'] }, [HOLD_SHAPE]],
    [
      'a name netreflex does not give it',
      { name: 'netreflex-hold-unhealthy-nat-a-000000' },
      ["name netreflex-hold-unhealthy-nat-a-000000 is not netreflex's name for this hold"],
    ],
    [
      'the name of the other hold kind',
      { name: holdName('netreflex', 'join', url('nat-a')) },
      [`name ${holdName('netreflex', 'join', url('nat-a'))} is not netreflex's name for this hold`],
    ],
    ['no creationTimestamp', { creationTimestamp: undefined }, ['it has no creationTimestamp']],
    ['another network', { network: NET.replace('vpc-a', 'vpc-b') }, ['in network vpc-b, not vpc-a']],
    [
      'a next hop outside the MIG',
      { nextHopInstance: url('db-1') },
      [
        `next hop nextHopInstance db-1 ${NOT_A_HOP}`,
        `name ${holdName('netreflex', 'unhealthy', url('nat-a'))} is not netreflex's name for this hold`,
      ],
    ],
  ])(
    'a hold marker with %s is a conflict with exactly that reason, and the instance leaves as if there were no hold',
    (_what, change, reasons) => {
      const forged = { ...holdMarker('unhealthy', 'nat-a'), ...change };
      const p = plan(forged, { now: T0 + 10_000 });
      expect(p.conflicts).toEqual([{ route: forged.name, reasons }]);
      // not a hold: it is not removed, and a hold starts now as if there were none, under a name the forgery does not hold
      const [first, alternate] = holdNames('netreflex', 'unhealthy', url('nat-a'));
      const using = forged.name === first ? alternate : first;
      expect(p.holds.deletes).toEqual([]);
      expect(p.holds.inserts.map((r) => r.name)).toEqual([using]);
      expect(p.plannedAround).toEqual(
        forged.name === first ? [{ wanted: first, heldBy: expect.stringContaining(first!), using: alternate }] : [],
      );
      expect(p.pending).toEqual([{ instance: path('nat-a'), kind: 'unhealthy', at: T0 + 10_000 + 30_000 }]);
    },
  );

  it('a marker under an alternate name is read back as the hold, and it runs out on time', () => {
    const alternate = {
      ...holdMarker('unhealthy', 'nat-a'),
      name: holdNames('netreflex', 'unhealthy', url('nat-a'))[3]!,
    };
    const running = plan(alternate, { now: T0 + 10_000 });
    expect(running.conflicts).toEqual([]);
    expect(isEmptyPlan(running)).toBe(true);
    const over = plan(alternate, { now: T0 + 30_000 });
    expect(over.holds.deletes).toEqual([alternate]);
    expect(over.deletes.map((r) => r.name)).toEqual([routed[0]!.name]);
  });

  it('two markers of one hold: the earlier one decides, the other goes', () => {
    const [first, second] = holdNames('netreflex', 'unhealthy', url('nat-a'));
    const earlier = {
      ...holdMarker('unhealthy', 'nat-a'),
      name: second!,
      creationTimestamp: new Date(T0 - 20_000).toISOString(),
    };
    const p = planRoutes(
      input(
        [sick('nat-a'), healthy('nat-b')],
        [...routed, { ...holdMarker('unhealthy', 'nat-a'), name: first! }, earlier],
        { destinations: [D1], holds: HOLDS, now: T0 + 10_000 },
      ),
    );
    expect(p.deletes.map((r) => r.name)).toEqual([routed[0]!.name]);
    expect(p.holds.deletes.map((r) => r.name).sort()).toEqual([first, second].sort());
  });

  it('every name of the marker taken by routes netreflex does not own: the hold is zero, the instance leaves now, and the plan says why', () => {
    const names = holdNames('netreflex', 'unhealthy', url('nat-a'));
    const squatters = names.map((name, k) => ({
      name,
      network: NET,
      destRange: `192.168.${k}.0/24`,
      priority: 1000,
      nextHopIp: '10.95.0.60',
      description: 'by hand',
    }));
    const p = planRoutes(
      input([sick('nat-a'), healthy('nat-b')], [...routed, ...squatters], { destinations: [D1], holds: HOLDS }),
    );
    expect(p.holds.inserts).toEqual([]);
    expect(p.deletes.map((r) => r.name)).toEqual([routed[0]!.name]);
    expect(p.pending).toEqual([]);
    expect(p.untimedHolds).toEqual([
      { instance: path('nat-a'), kind: 'unhealthy', names, heldBy: names.map((n) => `${n} ("by hand")`).join(', ') },
    ]);
    expect(p.states).toContainEqual({ instance: path('nat-a'), state: 'out' });
  });

  it('every name of a join marker taken: the new instance joins at once rather than never', () => {
    const names = holdNames('netreflex', 'join', url('nat-c'));
    const squatters = names.map((name) => ({
      name,
      network: NET,
      destRange: '192.168.0.0/24',
      priority: 1000,
      nextHopIp: '10.95.0.60',
    }));
    const p = planRoutes(
      input([healthy('nat-a'), healthy('nat-c')], [owned(D1, { nextHopInstance: url('nat-a') }), ...squatters], {
        destinations: [D1],
        holds: { joinMs: 20_000, unhealthyMs: 0 },
      }),
    );
    expect(p.inserts.map((r) => r.nextHopInstance)).toEqual([url('nat-c')]);
    expect(p.holds.inserts).toEqual([]);
    expect(p.untimedHolds).toEqual([
      { instance: path('nat-c'), kind: 'join', names, heldBy: names.map((n) => `${n} (no description)`).join(', ') },
    ]);
  });

  it('a hold marker of this owner on the load balancer is removed in ilb mode, like every hold marker', () => {
    const marker = { ...holdMarker('join', 'nat-a'), nextHopInstance: undefined, nextHopIlb: ILB };
    const p = planRoutes(input([], [marker], { mode: 'ilb', ilb: ILB, destinations: [D1] }));
    expect(p.conflicts).toEqual([]);
    expect(p.holds.deletes).toEqual([marker]);
  });

  it('in ilb mode existing hold markers go, and there are no instance states or pending holds', () => {
    const marker = holdMarker('unhealthy', 'nat-a');
    const p = planRoutes(
      input([sick('nat-a'), healthy('nat-b')], [...routed, marker], {
        mode: 'ilb',
        ilb: ILB,
        destinations: [D1],
        holds: HOLDS,
      }),
    );
    expect(p.holds).toEqual({ inserts: [], deletes: [marker] });
    expect(p.states).toEqual([]);
    expect(p.pending).toEqual([]);
  });
});

describe('claimsOwner and isOwned', () => {
  const mine = owned(D1, { nextHopInstance: url('nat-a') });
  it("a traffic route or a hold marker with the owner's marker at the start is claimed; anything else is not", () => {
    expect(claimsOwner(mine, OWNER)).toBe(true);
    expect(claimsOwner(holdMarker('join', 'nat-a'), OWNER)).toBe(true);
    expect(claimsOwner({ ...mine, description: undefined }, OWNER)).toBe(false);
    expect(claimsOwner({ ...mine, description: `copied from: ${MARKER} ` }, OWNER)).toBe(false);
    expect(claimsOwner({ ...mine, description: `note: ${HOLD} ` }, OWNER)).toBe(false);
    // an owner whose path starts with ours is someone else
    expect(claimsOwner({ ...mine, description: `netreflex:nat-routes owner=${OWNER}-2 dest=${D1}` }, OWNER)).toBe(
      false,
    );
    expect(claimsOwner({ ...mine, description: `netreflex:nat-routes-hold owner=${OWNER}-2 kind=join` }, OWNER)).toBe(
      false,
    );
  });

  it('ownership is more than the marker: another owner, or no description, is not owned', () => {
    expect(isOwned(mine, input([healthy('nat-a')]))).toBe(true);
    expect(isOwned(mine, input([healthy('nat-a')], [], { owner: `${OWNER}-2` }))).toBe(false);
    expect(isOwned({ ...mine, description: undefined }, input([healthy('nat-a')]))).toBe(false);
    expect(isOwned(holdMarker('join', 'nat-a'), input([healthy('nat-a')]))).toBe(false);
  });
});

describe('a plan with nothing to do, and one with one thing', () => {
  it('a first plan on a clean network reports nothing wrong', () => {
    const p = planRoutes(input([healthy('nat-a'), stopped('nat-b')]));
    expect(p).toMatchObject({
      deletes: [],
      keeps: [],
      conflicts: [],
      plannedAround: [],
      blocked: [],
      degraded: [],
      pending: [],
      holds: { inserts: [], deletes: [] },
    });
    expect(p.states).toEqual([
      { instance: path('nat-a'), state: 'routed' },
      { instance: path('nat-b'), state: 'out' },
    ]);
    expect(p.desired).toEqual(p.inserts);
  });

  it('isEmptyPlan is false as soon as any one list has something', () => {
    const none = planRoutes(input([]));
    expect(isEmptyPlan(none)).toBe(true);
    const route = owned(D1, { nextHopInstance: url('nat-a') });
    const spec = { name: route.name, network: NET, destRange: D1, priority: 900, description: MARKER };
    expect(isEmptyPlan({ ...none, inserts: [spec] })).toBe(false);
    expect(isEmptyPlan({ ...none, deletes: [{ ...route, safe: 'gone' }] })).toBe(false);
    expect(isEmptyPlan({ ...none, holds: { inserts: [spec], deletes: [] } })).toBe(false);
    expect(isEmptyPlan({ ...none, holds: { inserts: [], deletes: [route] } })).toBe(false);
  });

  it('keeps name the routes kept', () => {
    const a = [owned(D1, { nextHopInstance: url('nat-a') }), owned(D2, { nextHopInstance: url('nat-a') })];
    const b = [owned(D1, { nextHopInstance: url('nat-b') }), owned(D2, { nextHopInstance: url('nat-b') })];
    const p = planRoutes(input([healthy('nat-a')], [...a, ...b], { gone: [path('nat-b')] }));
    expect(p.keeps).toEqual(a.map((r) => r.name));
    expect(p.deletes.map((r) => [r.name, r.safe])).toEqual(b.map((r) => [r.name, 'gone']));
  });
});

describe('names held by routes netreflex does not own', () => {
  it('the holder is shown with the first 60 characters of its description, or "no description"', () => {
    const names = candidateNames('netreflex', {
      network: NET,
      destRange: D1,
      priority: 900,
      nextHopInstance: url('nat-a'),
    });
    const description = `on-premises route to the data centre in Osaka, added by the network team in 2024 (ticket NET-1234)`;
    const squatters = [
      {
        name: names[0]!,
        network: NET,
        destRange: '192.168.0.0/16',
        priority: 100,
        nextHopIp: '10.95.0.50',
        description,
      },
      { name: names[1]!, network: NET, destRange: '192.168.1.0/24', priority: 100, nextHopIp: '10.95.0.51' },
    ];
    const p = planRoutes(input([healthy('nat-a')], squatters, { destinations: [D1] }));
    expect(p.plannedAround).toEqual([
      { wanted: names[0], heldBy: `${names[0]} ("${description.slice(0, 60)}")`, using: names[2] },
    ]);
    expect(p.blocked).toEqual([]);
    expect(p.degraded).toEqual([]);
    expect(p.inserts.map((r) => r.name)).toEqual([names[2]]);
  });

  it('every candidate name held: a permanent block naming each holder, and the degraded reason', () => {
    const names = candidateNames('netreflex', {
      network: NET,
      destRange: D1,
      priority: 900,
      nextHopInstance: url('nat-a'),
    });
    const squatters = names.map((name, i) => ({
      name,
      network: NET,
      destRange: `192.168.${i}.0/24`,
      priority: 100,
      nextHopIp: '10.95.0.50',
      ...(i === 0 ? { description: 'on-premises' } : {}),
    }));
    const p = planRoutes(input([healthy('nat-a')], squatters, { destinations: [D1] }));
    expect(p.inserts).toEqual([]);
    expect(p.blocked).toEqual([
      {
        what: `insert ${D1} → nat-a`,
        by: `every name netreflex derives for it is held by a route it does not own: ${names[0]} ("on-premises"), ${names[1]} (no description), ${names[2]} (no description), ${names[3]} (no description)`,
        fix: `delete or rename one of ${names.join(', ')}`,
        permanent: true,
      },
    ]);
    expect(p.degraded).toEqual([
      `no route ${D1} → nat-a: all 4 candidate names are held by routes netreflex does not own (delete or rename one of them)`,
    ]);
  });
});

describe('routes no longer wanted: deleted only while their destination keeps a usable route', () => {
  /** Every candidate name of `dest` → nat-c is squatted, so nat-c can get no route for it. */
  const squat = (dest: string) =>
    candidateNames('netreflex', { network: NET, destRange: dest, priority: 900, nextHopInstance: url('nat-c') }).map(
      (name) => ({ name, network: NET, destRange: '192.168.0.0/16', priority: 100, nextHopIp: '10.95.0.50' }),
    );

  it('a kept route covers only its own destination, and only when its hop is eligible', () => {
    const held = owned(D1, { nextHopInstance: url('nat-a') });
    const oldD1 = owned(D1, { nextHopInstance: url('nat-b') });
    const oldD2 = owned(D2, { nextHopInstance: url('nat-b') });
    const newD2 = owned(D2, { nextHopInstance: url('nat-c') });
    // nat-a waits out an unhealthy hold (kept, not eligible); nat-b is stopped; nat-c is eligible but can get no D1 route
    const p = planRoutes(
      input([sick('nat-a'), stopped('nat-b'), healthy('nat-c')], [held, oldD1, oldD2, newD2, ...squat(D1)], {
        holds: { joinMs: 0, unhealthyMs: 30_000 },
      }),
    );
    expect(p.deletes.map((r) => [r.name, r.safe])).toEqual([[oldD2.name, 'covered']]);
    expect(p.keeps).toEqual(expect.arrayContaining([held.name, oldD1.name, newD2.name]));
    expect(p.blocked).toEqual([
      expect.objectContaining({ what: `insert ${D1} → nat-c`, permanent: true }),
      {
        what: `delete ${oldD1.name}`,
        by: `${D1} would be left without a route to an eligible NAT VM`,
        fix: 'it goes once a route to an eligible NAT VM exists for that destination',
        permanent: false,
      },
    ]);
  });

  it('an insert makes room only for the deletes of its own destination', () => {
    const oldD1 = owned(D1, { nextHopInstance: url('nat-b') });
    const oldD2 = owned(D2, { nextHopInstance: url('nat-b') });
    const p = planRoutes(input([stopped('nat-b'), healthy('nat-c')], [oldD1, oldD2, ...squat(D1)]));
    expect(p.inserts.map((r) => [r.destRange, r.nextHopInstance])).toEqual([[D2, url('nat-c')]]);
    expect(p.deletes.map((r) => [r.name, r.safe])).toEqual([[oldD2.name, 'after-inserts']]);
    expect(p.keeps).toEqual([oldD1.name]);
    expect(p.blocked.map((b) => b.what)).toEqual([`insert ${D1} → nat-c`, `delete ${oldD1.name}`]);
  });

  it('with no eligible instance the routes are kept without a blocked entry per route: one degraded reason says why', () => {
    const routes = [owned(D1, { nextHopInstance: url('nat-a') }), owned(D2, { nextHopInstance: url('nat-a') })];
    const p = planRoutes(input([stopped('nat-a')], routes));
    expect(p.deletes).toEqual([]);
    expect(p.keeps).toEqual(routes.map((r) => r.name));
    expect(p.blocked).toEqual([]);
    expect(p.degraded).toEqual([
      'no eligible NAT instance (RUNNING, no current action, HEALTHY): keeping existing routes rather than deleting the last path',
    ]);
  });

  it('a load balancer route is never taken for a route to a gone instance', () => {
    const lb = owned(D1, { nextHopIlb: ILB });
    const p = planRoutes(
      input([healthy('nat-a')], [lb], { ilb: ILB, destinations: [D1], gone: [resourcePathOf(ILB)] }),
    );
    // instance mode: the load balancer route is not wanted; nat-a's new route covers D1 after the insert
    expect(p.deletes.map((r) => [r.name, r.safe])).toEqual([[lb.name, 'after-inserts']]);
  });
});

function resourcePathOf(u: string): string {
  return u.replace('https://www.googleapis.com/compute/v1/', '');
}

describe('routeName stays consistent with ownership', () => {
  it('the name checked on a route is the one derived from its own fields', () => {
    const r = owned(D1, { nextHopInstance: url('nat-a') });
    expect(r.name).toBe(
      routeName('netreflex', { network: NET, destRange: D1, priority: 900, nextHopInstance: url('nat-a') }),
    );
    expect(
      isOwned(
        {
          ...r,
          name: routeName('netreflex', { network: NET, destRange: D2, priority: 900, nextHopInstance: url('nat-a') }),
        },
        input([healthy('nat-a')]),
      ),
    ).toBe(false);
  });
});

describe('routes to a VM that left the MIG (abandoned): owned by their name, gone like a stopped VM', () => {
  const mine = [owned(D1, { nextHopInstance: url('nat-x') }), owned(D2, { nextHopInstance: url('nat-x') })];
  const departed = { departed: [path('nat-x')] };

  it('with an eligible member they are deleted once the member covers each destination', () => {
    const p = planRoutes(input([healthy('nat-a')], mine, departed));
    expect(p.conflicts).toEqual([]);
    expect(p.inserts.map((r) => [r.destRange, r.nextHopInstance])).toEqual([
      [D1, url('nat-a')],
      [D2, url('nat-a')],
    ]);
    expect(p.deletes.map((r) => [r.name, r.safe])).toEqual(mine.map((r) => [r.name, 'after-inserts']));
    expect(p.degraded).toEqual([]);
    const covered = [owned(D1, { nextHopInstance: url('nat-a') }), owned(D2, { nextHopInstance: url('nat-a') })];
    const later = planRoutes(input([healthy('nat-a')], [...covered, ...mine], departed));
    expect(later.deletes.map((r) => [r.name, r.safe])).toEqual(mine.map((r) => [r.name, 'covered']));
  });

  it('with no eligible member they are kept, and degraded names them as the routes to delete', () => {
    const p = planRoutes(input([stopped('nat-a')], mine, departed));
    expect(p.deletes).toEqual([]);
    expect(p.keeps).toEqual(mine.map((r) => r.name));
    expect(p.degraded).toContain(
      `routes to nat-x, no longer a member of the NAT MIG (abandoned?), are kept: their destinations have no route to an eligible NAT VM of the MIG yet; they go once one exists, or delete them by hand: ${mine.map((r) => r.name).join(', ')}`,
    );
  });

  it("a copied marker on a route to someone else's VM stays a conflict: its name is not the one netreflex derives for that VM", () => {
    // the name of netreflex's route to nat-a, the next hop db-1: what copying a route and pointing it elsewhere gives
    const forged = {
      ...owned(D1, { nextHopInstance: url('nat-a') }),
      name: 'copied-route',
      nextHopInstance: url('db-1'),
    };
    const renamed = { ...owned(D1, { nextHopInstance: url('nat-a') }), nextHopInstance: url('db-1') };
    const p = planRoutes(
      input([healthy('nat-a')], [forged, renamed], { destinations: [D1], departed: [path('db-1')] }),
    );
    expect(p.deletes).toEqual([]);
    expect(conflictsOf(p)).toEqual({
      [forged.name]: [expect.stringMatching(/^name copied-route is not one netreflex derives/)],
      [renamed.name]: [expect.stringMatching(/is not one netreflex derives for this route/)],
    });
  });

  it('a hold marker to a departed VM goes with its routes', () => {
    const marker = holdMarker('unhealthy', 'nat-x');
    const p = planRoutes(input([healthy('nat-a')], [...mine, marker], departed));
    expect(p.conflicts).toEqual([]);
    expect(p.holds.deletes).toEqual([marker]);
  });
});
