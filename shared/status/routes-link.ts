/**
 * The routes link, judged by natRoutes itself: its own observe → plan → verify in a dry run
 * (shared/nat-routes/reconcile.ts, nothing applied), so `netreflex status` and natRoutes cannot
 * disagree about the routes. A route natRoutes would delete (its next hop stopped, gone or no
 * longer eligible), a route it would add, and anything that degrades its plan (no eligible NAT VM,
 * a load balancer without a healthy backend, a blocked delete, a peering that exports nothing) is
 * BROKEN; so is a route natRoutes keeps on purpose while its NAT VM's unhealthy hold runs (traffic
 * sent to it is dropped meanwhile) and a route Google flags with warnings. What natRoutes cannot
 * observe is UNKNOWN; a configuration it refuses (a missing peering or load balancer) is BROKEN.
 */
import type { Transport } from '../gcp/transport.js';
import type { Route } from '../gcp/routes.js';
import { ConfigError } from '../errors.js';
import { isEligible, resourcePath, type NatInstance, type RoutePlan } from '../plan/routes.js';
import type { InstanceState } from '../plan/route-holds.js';
import { reconcileRoutes, type RouteReport } from '../nat-routes/reconcile.js';
import type { Observed } from '../nat-routes/observe.js';
import { exportProblems } from '../nat-routes/verify.js';
import { ilbVerdict } from './ilb-hops.js';
import { describeNat } from './network-links.js';
import { broken, ok, unreadableLink, type LinkHead } from './link.js';
import type { Link, StatusConfig } from './types.js';

const ROUTES: LinkHead = { id: 'routes', title: 'Routes to the destinations' };

const REBUILD_FIX =
  'netreflex apply routes rebuilds them on the healthy NAT VMs (natRoutes does it on the next event or tick; check its logs if it does not)';
const NO_ELIGIBLE_FIX =
  'make a NAT VM healthy again: see "NAT VMs" (autohealing recreates an unhealthy VM; a stopped one must be started)';

/** What natRoutes' dry run saw and planned, beside its report. */
interface DryRun {
  report: RouteReport;
  observed: Observed;
  plan: RoutePlan;
}

/**
 * natRoutes' dry run, once per status: the routes link judges its plan, the peering-export link
 * its verify (`report.export`), the NAT VMs link its observation of the MIG. When it threw,
 * `observed` is the observation if it had been made (then the throw came from the export check),
 * or undefined (then neither the MIG nor the export was read).
 */
export type RoutesDryRun = { ok: true; run: DryRun } | { ok: false; err: unknown; observed?: Observed };

export async function natRoutesDryRun(t: Transport, cfg: StatusConfig): Promise<RoutesDryRun> {
  let seen: Omit<DryRun, 'report'> | undefined;
  try {
    const report = await reconcileRoutes(t, cfg.routes, {
      dryRun: true,
      planned: (observed, plan) => (seen = { observed, plan }),
    });
    return { ok: true, run: { report, ...seen! } };
  } catch (err) {
    return { ok: false, err, ...(seen ? { observed: seen.observed } : {}) };
  }
}

const hopName = (r: Pick<Route, 'nextHopInstance' | 'nextHopIlb' | 'nextHopIp' | 'nextHopGateway'>) => {
  const hop = r.nextHopInstance ?? r.nextHopIlb ?? r.nextHopIp ?? r.nextHopGateway ?? '(no next hop)';
  return hop.split('/').pop() ?? hop;
};

export function routesLink(cfg: StatusConfig, dry: RoutesDryRun): Link {
  if (dry.ok) return judge(cfg, dry.run);
  const { err } = dry;
  if (err instanceof ConfigError)
    return broken(
      ROUTES,
      `natRoutes cannot plan the routes: ${err.message}`,
      'fix what the message names (the NETREFLEX_* variable or the resource it points at), then netreflex plan routes',
    );
  return unreadableLink(
    ROUTES,
    'the routes as natRoutes observes them (the NAT MIG, routes.list, the peering)',
    [
      'compute.regionInstanceGroupManagers.listManagedInstances',
      'compute.routes.list',
      // natRoutes' observation looks up the next hops of its routes that left the MIG
      'compute.instances.get',
      'compute.networks.get',
      'compute.networks.listPeeringRoutes',
      ...(cfg.routes.mode === 'ilb'
        ? [
            'compute.forwardingRules.get',
            'compute.regionBackendServices.get',
            'compute.regionBackendServices.getHealth',
          ]
        : []),
    ],
    err,
    cfg,
  );
}

function judge(cfg: StatusConfig, { report, observed, plan }: DryRun): Link {
  const byPath = new Map(observed.instances.map((i) => [resourcePath(i.url), i]));
  const states = new Map<string, InstanceState>(plan.states.map((s) => [resourcePath(s.instance), s.state]));
  const deleting = new Map(plan.deletes.map((d) => [d.name, d]));
  const ilb = observed.ilb ? ilbVerdict(observed.ilb) : undefined;
  const details: string[] = [];
  const bad: string[] = [];
  const fixes = new Set<string>();
  for (const dest of cfg.routes.destinations) {
    const routes = observed.routes.filter(
      (r) => r.destRange === dest && resourcePath(r.network ?? '').endsWith(`/networks/${cfg.routes.network}`),
    );
    const usable = routes.filter((r) => !r.tags?.length);
    if (!usable.length)
      details.push(`${dest}: no untagged route${routes.length ? ` (${routes.length} tagged, never exported)` : ''}`);
    for (const r of usable) {
      const why = hopProblem(r, deleting.has(r.name), byPath, states, cfg.routes.requireHealthy);
      details.push(`${dest} → ${hopName(r)} (${r.name}): ${why ?? 'ok'}`);
      if (why) bad.push(`${dest} → ${hopName(r)}: ${why}`);
    }
  }
  for (const i of plan.inserts) {
    details.push(`${i.destRange} → ${hopName(i)} (${i.name}): missing, natRoutes adds it`);
    bad.push(`${i.destRange} → ${hopName(i)}: no route yet (natRoutes adds it)`);
  }
  if (bad.length) fixes.add(REBUILD_FIX);
  if (ilb) details.push(...ilb.details);
  // The export's verdict is the peering-export link's (network-links.ts), not this one's.
  const exportReasons = new Set(report.export ? exportProblems(cfg.routes, report.export, true) : []);
  for (const reason of report.reasons) {
    if (exportReasons.has(reason)) continue;
    if (ilb && ilb.state !== 'ok' && /^the load balancer /.test(reason)) continue;
    bad.push(reason);
    fixes.add(/^no eligible NAT instance/.test(reason) ? NO_ELIGIBLE_FIX : REBUILD_FIX);
  }
  if (ilb && ilb.state !== 'ok') {
    bad.push(ilb.why);
    fixes.add(ilb.fix!);
  }
  details.push(...report.warnings);
  if (bad.length) return broken(ROUTES, [...new Set(bad)].join('; '), [...fixes].join('; '), details);
  return ok(
    ROUTES,
    ilb ? `every destination has a route; ${ilb.why}` : 'every destination has a route and every next hop is healthy',
    details,
  );
}

/** Why a route natRoutes observed does not carry traffic as it should, or undefined when it does. */
function hopProblem(
  r: Route,
  deleted: boolean,
  byPath: ReadonlyMap<string, NatInstance>,
  states: ReadonlyMap<string, InstanceState>,
  requireHealthy: boolean,
): string | undefined {
  const vm = r.nextHopInstance ? byPath.get(resourcePath(r.nextHopInstance)) : undefined;
  if (r.nextHopInstance && !vm)
    return `next hop is not a NAT MIG instance (deleted or foreign); ${deleted ? 'natRoutes deletes the route' : 'not a route natRoutes owns, so it stays: delete it by hand'}`;
  if (vm && !isEligible(vm, requireHealthy)) {
    const kept =
      states.get(resourcePath(vm.url)) === 'leaving'
        ? 'natRoutes keeps the route until the unhealthy hold ends (NETREFLEX_UNHEALTHY_HOLD_SECONDS)'
        : 'natRoutes keeps the route while no eligible NAT VM can take it';
    return `next hop is ${describeNat(vm)}: traffic sent to it is dropped; ${deleted ? 'natRoutes deletes the route' : kept}`;
  }
  if (deleted) return "natRoutes replaces this route (it no longer matches natRoutes' configuration)";
  return r.warnings?.length ? `route warnings: ${r.warnings.map((w) => w.code).join(', ')}` : undefined;
}
