/** Named scenarios for the NAT route planner (shared/plan/routes.ts), external-dns style. */
import { describe, expect, it } from 'vitest';
import { desiredRoutes, isEligible, planRoutes, routeName, type DesiredInput, type NatInstance, type ObservedRoute, type RouteSpec } from '../../shared/plan/routes.js';

const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-a';
const OWNER = 'projects/p/regions/asia-northeast1/instanceGroupManagers/nat-mig';
const url = (name: string, zone = 'asia-northeast1-a') => `https://www.googleapis.com/compute/v1/projects/p/zones/${zone}/instances/${name}`;
const healthy = (name: string): NatInstance => ({ name, url: url(name), instanceStatus: 'RUNNING', currentAction: 'NONE', health: 'HEALTHY' });

function input(instances: NatInstance[], over: Partial<DesiredInput> = {}): DesiredInput {
  return { network: NET, destinations: ['198.51.100.10/32', '198.51.100.64/27'], priority: 900, prefix: 'netreflex', owner: OWNER, mode: 'instance', instances, requireHealthy: true, ...over };
}

/** The routes a successful apply of `desired` leaves behind (as observed through the API). */
const applied = (desired: RouteSpec[]): ObservedRoute[] => desired.map((r) => ({ ...r }));
const plan = (desired: RouteSpec[], current: ObservedRoute[], zeroEligible = false, policy: 'sync' | 'upsert-only' = 'sync') => planRoutes(desired, current, { owner: OWNER, policy, zeroEligible });

describe('route planner', () => {
  it('TestSyncFirstRound: one route per destination × eligible instance, untagged, marked', () => {
    const desired = desiredRoutes(input([healthy('nat-a'), healthy('nat-b')]));
    const p = plan(desired, []);
    expect(p.inserts).toHaveLength(4);
    expect(p.deletes).toHaveLength(0);
    expect(new Set(p.inserts.map((r) => r.name)).size).toBe(4);
    for (const r of p.inserts) {
      expect(r.description.startsWith(`netreflex:nat-routes owner=${OWNER} `)).toBe(true);
      expect(r).not.toHaveProperty('tags');
      expect(r.priority).toBe(900);
    }
  });

  it('TestIdempotency: plan(x, x) is empty', () => {
    const desired = desiredRoutes(input([healthy('nat-a'), healthy('nat-b')]));
    const p = plan(desired, applied(desired));
    expect(p.inserts).toEqual([]);
    expect(p.deletes).toEqual([]);
    expect(p.replaces).toEqual([]);
    expect(p.keeps).toHaveLength(4);
  });

  it('TestECMP: equal destination and priority across every NAT instance', () => {
    const desired = desiredRoutes(input([healthy('nat-a'), healthy('nat-b'), healthy('nat-c')]));
    for (const dest of new Set(desired.map((r) => r.destRange))) {
      const routes = desired.filter((r) => r.destRange === dest);
      expect(routes).toHaveLength(3);
      expect(new Set(routes.map((r) => r.priority)).size).toBe(1);
      expect(new Set(routes.map((r) => r.nextHopInstance)).size).toBe(3);
    }
  });

  it('TestRecreate: a replaced instance with the same name keeps the same route names', () => {
    const before = desiredRoutes(input([healthy('nat-a'), healthy('nat-b')]));
    const after = desiredRoutes(input([{ ...healthy('nat-a') }, healthy('nat-b')]));
    expect(after.map((r) => r.name)).toEqual(before.map((r) => r.name));
  });

  it('TestScaleIn: routes of a removed instance are deleted; the others are kept', () => {
    const two = desiredRoutes(input([healthy('nat-a'), healthy('nat-b')]));
    const one = desiredRoutes(input([healthy('nat-a')]));
    const p = plan(one, applied(two));
    expect(p.inserts).toEqual([]);
    expect(p.deletes.map((r) => r.nextHopInstance)).toEqual([url('nat-b'), url('nat-b')]);
    expect(p.keeps).toHaveLength(2);
  });

  it('TestMakeBeforeBreak: a moved instance plans inserts for the new next hop and deletes for the old', () => {
    const old = desiredRoutes(input([healthy('nat-a'), healthy('nat-b')]));
    const moved = desiredRoutes(input([healthy('nat-a'), healthy('nat-c')]));
    const p = plan(moved, applied(old));
    expect(p.inserts.every((r) => r.nextHopInstance === url('nat-c'))).toBe(true);
    expect(p.deletes.every((r) => r.nextHopInstance === url('nat-b'))).toBe(true);
  });

  it('TestIneligible: STAGING, RECREATING, VERIFYING and UNHEALTHY instances carry no route', () => {
    const cases: NatInstance[] = [
      { ...healthy('s'), instanceStatus: 'STAGING' },
      { ...healthy('r'), currentAction: 'RECREATING' },
      { ...healthy('v'), currentAction: 'VERIFYING' },
      { ...healthy('u'), health: 'UNHEALTHY' },
    ];
    for (const c of cases) expect(isEligible(c, true)).toBe(false);
    expect(isEligible({ ...healthy('n'), health: undefined }, true)).toBe(true);
    expect(isEligible({ ...healthy('u'), health: 'UNHEALTHY' }, false)).toBe(true);
  });

  it('TestRefreshing: a VM the MIG only refreshes (metadata in place) keeps forwarding and keeps its routes; restarting ones do not', () => {
    expect(isEligible({ ...healthy('f'), currentAction: 'REFRESHING' }, true)).toBe(true);
    expect(isEligible({ ...healthy('t'), currentAction: 'RESTARTING' }, true)).toBe(false);
    expect(isEligible({ ...healthy('f'), currentAction: 'REFRESHING', instanceStatus: 'STOPPING' }, true)).toBe(false);
    const routes = desiredRoutes(input([healthy('nat-a'), { ...healthy('nat-b'), currentAction: 'REFRESHING' }]));
    expect(plan(routes, applied(desiredRoutes(input([healthy('nat-a'), healthy('nat-b')]))))).toMatchObject({ inserts: [], deletes: [] });
  });

  it('TestZeroEligible: keeps every existing route and reports degraded instead of deleting the last path', () => {
    const existing = applied(desiredRoutes(input([healthy('nat-a'), healthy('nat-b')])));
    const none = desiredRoutes(input([{ ...healthy('nat-a'), currentAction: 'RECREATING' }]));
    const p = plan(none, existing, true);
    expect(p.deletes).toEqual([]);
    expect(p.keeps).toHaveLength(4);
    expect(p.degraded).toMatch(/no eligible NAT instance/);
  });

  it('TestOwnership: unowned, tagged, foreign-owner and marker-less routes are never planned', () => {
    const desired = desiredRoutes(input([healthy('nat-a')]));
    const foreign: ObservedRoute[] = [
      { name: 'by-hand', network: NET, destRange: '198.51.100.10/32', priority: 900, nextHopIp: '10.95.0.9' },
      { name: 'tagged', network: NET, destRange: '198.51.100.10/32', priority: 900, nextHopInstance: url('nat-z'), tags: ['nat'] },
      { name: 'other-mig', network: NET, destRange: '198.51.100.10/32', priority: 900, nextHopInstance: url('nat-z'), description: 'netreflex:nat-routes owner=projects/p/regions/asia-northeast1/instanceGroupManagers/other dest=198.51.100.10/32' },
      { name: 'default-route-vpc-a', network: NET, destRange: '0.0.0.0/0', priority: 1000, nextHopGateway: 'x/global/gateways/default-internet-gateway' },
    ];
    const p = plan(desired, [...foreign, ...applied(desired)]);
    expect(p.inserts).toEqual([]);
    expect(p.deletes).toEqual([]);
  });

  it('TestReplace: an owned route with our name but other content is replaced, not kept', () => {
    const desired = desiredRoutes(input([healthy('nat-a')]));
    const tampered = applied(desired).map((r, i) => (i === 0 ? { ...r, priority: 100 } : r));
    const p = plan(desired, tampered);
    expect(p.replaces.map((r) => r.name)).toEqual([desired[0]!.name]);
    expect(p.inserts).toEqual([]);
  });

  it('TestUpsertOnly: never deletes', () => {
    const two = desiredRoutes(input([healthy('nat-a'), healthy('nat-b')]));
    const p = plan(desiredRoutes(input([healthy('nat-a')])), applied(two), false, 'upsert-only');
    expect(p.deletes).toEqual([]);
  });

  it('TestPriorityChange: new names (routes are immutable), so the new routes go in before the old leave', () => {
    const old = desiredRoutes(input([healthy('nat-a')]));
    const next = desiredRoutes(input([healthy('nat-a')], { priority: 800 }));
    const p = plan(next, applied(old));
    expect(p.inserts).toHaveLength(2);
    expect(p.deletes).toHaveLength(2);
    expect(p.replaces).toEqual([]);
  });

  it('TestILBMode: one route per destination to the load balancer, whatever the instances', () => {
    const ilb = 'https://www.googleapis.com/compute/v1/projects/p/regions/asia-northeast1/forwardingRules/nat-ilb';
    const desired = desiredRoutes(input([], { mode: 'ilb', ilb }));
    expect(desired).toHaveLength(2);
    expect(desired.every((r) => r.nextHopIlb === ilb && !r.nextHopInstance)).toBe(true);
  });

  it('TestNames: valid RFC 1035, at most 63 chars, even for long instance names and IPv6', () => {
    const long = 'n'.repeat(63);
    for (const dest of ['198.51.100.10/32', '2001:db8:abcd:12::/64']) {
      const name = routeName('netreflex-very-long-x', { network: NET, destRange: dest, priority: 65535, nextHopInstance: url(long) });
      expect(name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    }
  });
});
