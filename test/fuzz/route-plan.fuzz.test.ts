/**
 * The route planner against random MIGs, destinations and route tables (owned, stale, foreign,
 * hand-made, tagged, name squatters): it never touches a route it does not own, never wants
 * more than destinations × instances routes, names every route validly and uniquely, and after
 * its plan is applied it plans nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAMPLE } from '../../local/topology.js';
import { CURRENT_ACTIONS } from '../../emulator/compute/migs.js';
import type { NatRoutesConfig } from '../../shared/config/nat-routes.js';
import type { Observed } from '../../shared/nat-routes/observe.js';
import { networkUrl } from '../../shared/gcp/paths.js';
import { planFrom, planInput } from '../../shared/nat-routes/plan.js';
import type { Route } from '../../shared/gcp/routes.js';
import { isEmptyPlan, isOwned, ownerMarker, type NatInstance, type RoutePlan } from '../../shared/plan/routes.js';

const NOW = Date.UTC(2026, 0, 1);
const obs = (instances: NatInstance[], routes: Route[]): Observed => ({
  instances,
  routes,
  gone: [],
  departed: [],
  now: NOW,
});

const RFC1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const zoneUrl = (zone: string) => `https://www.googleapis.com/compute/v1/projects/${SAMPLE.project}/zones/${zone}`;

const ipv4Cidr = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 })).map(([n, p]) => {
  const net = p === 0 ? 0 : (n >>> (32 - p)) << (32 - p);
  return `${[24, 16, 8, 0].map((s) => ((net >>> 0) >>> s) & 255).join('.')}/${p}`;
});
const ipv6Cidr = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
    fc.integer({ min: 0, max: 128 }),
  )
  .map(([g, p]) => `${g.map((x) => x.toString(16)).join(':')}/${p}`);
const destinations = fc.uniqueArray(fc.oneof(ipv4Cidr, ipv4Cidr, ipv6Cidr), { minLength: 1, maxLength: 8 });

/** RFC 1035 names, short and long (cheaper than a regex arbitrary). */
const rfcName = (maxTail: number) =>
  fc
    .tuple(
      fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
      fc.array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), { maxLength: maxTail }),
      fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
    )
    .map(([a, mid, z]) => `${a}${mid.join('')}${z}`);

const instance: fc.Arbitrary<NatInstance> = fc
  .record({
    name: fc.oneof(fc.constantFrom('nat-a1b2', 'nat-c3d4', 'nat-e5f6'), rfcName(61)),
    zone: fc.constantFrom(...SAMPLE.zones),
    instanceStatus: fc.constantFrom('RUNNING', 'RUNNING', 'STAGING', 'STOPPING', 'TERMINATED', undefined),
    currentAction: fc.constantFrom('NONE', 'NONE', ...CURRENT_ACTIONS, undefined),
    health: fc.constantFrom('HEALTHY', 'HEALTHY', 'UNHEALTHY', 'UNKNOWN', 'DRAINING', undefined),
  })
  .map(({ name, zone, ...rest }) => ({ name, url: `${zoneUrl(zone)}/instances/${name}`, ...rest }));
const instances = fc.uniqueArray(instance, { maxLength: 6, selector: (i) => i.name });

const config = fc
  .record({
    destinations,
    priority: fc.integer({ min: 0, max: 65535 }),
    prefix: fc.oneof(fc.constant('netreflex'), rfcName(18)),
    policy: fc.constantFrom('sync' as const, 'upsert-only' as const),
    requireHealthy: fc.boolean(),
    unhealthyHoldMs: fc.constantFrom(0, 30_000),
    joinHoldMs: fc.constantFrom(0, 20_000),
  })
  .map((c): NatRoutesConfig => ({
    ...c,
    project: SAMPLE.project,
    projectNumber: SAMPLE.projectNumber,
    region: SAMPLE.region,
    network: SAMPLE.vpcA.network,
    mig: SAMPLE.nat.mig,
    mode: 'instance',
    peering: SAMPLE.psa.peering,
    exportMode: 'ensure',
    logLevel: 'silent',
    settleTimeoutMs: 0,
    settlePollMs: 10,
  }));

/** Routes netreflex does not own: hand-made, tagged, another setup's, or squatting a name we may want. */
const foreignRoute = (cfg: NatRoutesConfig, wanted: string[]): fc.Arbitrary<Route> =>
  fc
    .record({
      name: fc.oneof(rfcName(20), fc.constantFrom(...(wanted.length ? wanted : ['x']))),
      destRange: fc.oneof(ipv4Cidr, fc.constantFrom(...cfg.destinations)),
      priority: fc.integer({ min: 0, max: 65535 }),
      description: fc.constantFrom<string | undefined>(
        undefined,
        'by hand',
        `${ownerMarker('projects/other/regions/r/instanceGroupManagers/m')} dest=x`,
        'netreflex:nat-routes',
      ),
      tags: fc.constantFrom<string[] | undefined>(undefined, ['nat']),
      nextHopIp: fc.constant('10.95.0.50'),
    })
    .map((r) => ({ ...r, network: networkUrl(cfg.project, cfg.network) }));

/** Our own routes from some earlier MIG: stale ones, current ones, and one edited by hand under our name. */
function ownedFrom(cfg: NatRoutesConfig, earlier: NatInstance[], tamper: boolean): Route[] {
  const { desired } = planFrom(
    { ...cfg, joinHoldMs: 0 },
    obs(
      earlier.map((i) => ({ ...i, instanceStatus: 'RUNNING', currentAction: 'NONE', health: 'HEALTHY' })),
      [],
    ),
  ).plan;
  return desired.map((r, i) => (tamper && i === 0 ? { ...r, priority: (r.priority + 1) % 65536 } : r));
}

const scenario = config.chain((cfg) =>
  fc.record({ now: instances, earlier: instances, tamper: fc.boolean() }).chain(({ now, earlier, tamper }) => {
    const owned = ownedFrom(cfg, [...earlier, ...now.slice(0, 2)], tamper);
    const wanted = planFrom(cfg, obs(now, [])).plan.inserts.map((r) => r.name);
    return fc
      .array(foreignRoute(cfg, wanted), { maxLength: 6 })
      .map((foreign) => ({ cfg, now, routes: uniqueByName([...foreign, ...owned]) }));
  }),
);

function uniqueByName(routes: Route[]): Route[] {
  return [...new Map(routes.map((r) => [r.name, r])).values()];
}

/** The route table after a fully successful apply of `plan`. */
function applied(routes: readonly Route[], plan: RoutePlan): Route[] {
  const gone = new Set([...plan.deletes, ...plan.holds.deletes].map((r) => r.name));
  return [
    ...routes.filter((r) => !gone.has(r.name)),
    ...[...plan.inserts, ...plan.holds.inserts].map((r) => ({ ...r, creationTimestamp: new Date(NOW).toISOString() })),
  ];
}

describe('route planner properties', () => {
  it('never touches unowned routes, never wants more than destinations × instances, names validly, and plan(desired, applied) is empty', () => {
    fc.assert(
      fc.property(scenario, ({ cfg, now, routes }) => {
        const input = planInput(cfg, obs(now, routes));
        const ownedNames = new Set(routes.filter((r) => isOwned(r, input)).map((r) => r.name));
        const { plan } = planFrom(cfg, obs(now, routes));
        const desired = plan.desired;
        for (const r of plan.deletes) expect(ownedNames.has(r.name), `touches unowned ${r.name}`).toBe(true);
        for (const r of plan.holds.deletes)
          expect(r.tags, `ends a hold on an untagged route ${r.name}`).toEqual(['netreflex-hold']);
        expect(desired.length).toBeLessThanOrEqual(cfg.destinations.length * now.length);
        const names = desired.map((r) => r.name);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(n).toMatch(RFC1035);
        for (const r of desired) expect(isOwned(r, input)).toBe(true);
        for (const r of plan.inserts)
          expect(
            routes.some((x) => x.name === r.name),
            `inserts over the taken name ${r.name}`,
          ).toBe(false);
        const after = applied(routes, plan);
        const again = planFrom(cfg, obs(now, after)).plan;
        // Admitted now, routed by this plan: the next plan only ends the join holds it kept until the routes existed.
        expect(again.inserts).toEqual([]);
        expect(again.deletes).toEqual([]);
        expect(isEmptyPlan(planFrom(cfg, obs(now, applied(after, again))).plan)).toBe(true);
        if (!plan.degraded.length && cfg.policy === 'sync') {
          expect(after.filter((r) => isOwned(r, planInput(cfg, obs(now, after)))).length).toBeLessThanOrEqual(
            cfg.destinations.length * now.length,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('with no eligible instance, deletes nothing and says why', () => {
    fc.assert(
      fc.property(scenario, ({ cfg, now, routes }) => {
        const down = now.map((i) => ({ ...i, instanceStatus: 'STOPPING' }));
        const { plan } = planFrom(cfg, obs(down, routes));
        expect(plan.deletes).toEqual([]);
        expect(plan.inserts).toEqual([]);
        expect(plan.degraded.join()).toMatch(/no eligible NAT instance/);
      }),
      { numRuns: 100 },
    );
  });
});
