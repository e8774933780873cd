/**
 * The routes link, judged by natRoutes itself: its own observe → plan → verify in a dry run
 * (shared/nat-routes/reconcile.ts, nothing applied), so `netreflex status` and natRoutes cannot
 * disagree about the routes. A route natRoutes would delete (its next hop stopped, gone or no
 * longer eligible), a route it would add, and anything that degrades its report (no eligible NAT
 * VM, a load balancer without a healthy backend, a blocked delete, a peering that exports nothing)
 * is BROKEN. What natRoutes cannot observe is UNKNOWN; a configuration it refuses (a missing
 * peering or load balancer) is BROKEN.
 *
 * Status-only rules. natRoutes answers for its plan: whether the routes it owns are the ones its
 * configuration wants. Status answers for the path: whether traffic to each destination gets out.
 * Three facts break the path while natRoutes, rightly, has nothing to change; each is said with
 * "(status only: …)" and its own fix, so a reader sees why the two differ:
 * - a route natRoutes keeps on purpose while its NAT VM's unhealthy hold runs
 *   (NETREFLEX_UNHEALTHY_HOLD_SECONDS damps flapping; traffic sent to the VM is dropped meanwhile);
 * - a route Google flags with `warnings` (compute.proto `Route.warnings`: NEXT_HOP_CANNOT_IP_FORWARD,
 *   NEXT_HOP_NOT_RUNNING …): Google says the route delivers nothing, and re-creating it would get
 *   the same warning — the fix is on the VM;
 * - a route natRoutes does not own to a destination, whose next hop is not a NAT VM: natRoutes
 *   leaves what it does not own, but Google may send the destination's traffic over it.
 * Tagged routes are listed, not judged: Google never exports them over a peering
 * (https://cloud.google.com/vpc/docs/vpc-peering#route-exchange-options), so they carry nothing to
 * the Vertex nodes, for status as for natRoutes' export check.
 */
import type { Transport } from '../gcp/transport.js';
import type { Route } from '../gcp/routes.js';
import { ConfigError } from '../errors.js';
import { isEligible, resourcePath, type NatInstance, type RoutePlan } from '../plan/routes.js';
import type { InstanceState } from '../plan/route-holds.js';
import { reconcileRoutes } from '../nat-routes/reconcile.js';
import type { RouteReport } from '../plan/route-report.js';
import type { Observed } from '../nat-routes/observe.js';
import { exportProblems } from '../plan/route-export.js';
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
      const problem = hopProblem(r, deleting.has(r.name), byPath, states, cfg.routes.requireHealthy);
      details.push(`${dest} → ${hopName(r)} (${r.name}): ${problem?.why ?? 'ok'}`);
      if (!problem) continue;
      bad.push(`${dest} → ${hopName(r)}: ${problem.why}`);
      fixes.add(problem.fix ?? REBUILD_FIX);
    }
  }
  for (const i of plan.inserts) {
    details.push(`${i.destRange} → ${hopName(i)} (${i.name}): missing, natRoutes adds it`);
    bad.push(`${i.destRange} → ${hopName(i)}: no route yet (natRoutes adds it)`);
    fixes.add(REBUILD_FIX);
  }
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

/**
 * Why a route to a destination does not carry traffic as it should, or undefined when it does;
 * `fix` only where rebuilding the routes is not it (the status-only rules).
 */
function hopProblem(
  r: Route,
  deleted: boolean,
  byPath: ReadonlyMap<string, NatInstance>,
  states: ReadonlyMap<string, InstanceState>,
  requireHealthy: boolean,
): { why: string; fix?: string } | undefined {
  const vm = r.nextHopInstance ? byPath.get(resourcePath(r.nextHopInstance)) : undefined;
  if (r.nextHopInstance && !vm) {
    const hop = 'next hop is not a NAT MIG instance (deleted or foreign)';
    if (deleted) return { why: `${hop}; natRoutes deletes the route` };
    return {
      why: `${hop}; not a route natRoutes owns, so it stays ${statusOnly('natRoutes leaves what it does not own')}`,
      fix: `delete route ${r.name} by hand (gcloud compute routes delete ${r.name}) if it is not meant to carry the destination's traffic`,
    };
  }
  if (vm && !isEligible(vm, requireHealthy)) {
    const dropped = `next hop is ${describeNat(vm)}: traffic sent to it is dropped`;
    if (deleted) return { why: `${dropped}; natRoutes deletes the route` };
    if (states.get(resourcePath(vm.url)) !== 'leaving')
      return { why: `${dropped}; natRoutes keeps the route while no eligible NAT VM can take it` };
    return {
      why:
        `${dropped}; natRoutes keeps the route until the unhealthy hold ends ` +
        `(NETREFLEX_UNHEALTHY_HOLD_SECONDS) ${statusOnly('the hold damps flapping health')}`,
      fix: 'natRoutes moves the route when the hold ends; to end it sooner make the NAT VM healthy again: see "NAT VMs"',
    };
  }
  if (deleted) return { why: "natRoutes replaces this route (it no longer matches natRoutes' configuration)" };
  if (!r.warnings?.length) return undefined;
  const codes = r.warnings.map((w) => w.code);
  return {
    why: `route warnings: ${codes.join(', ')} ${statusOnly('Google says the route delivers nothing; natRoutes has nothing to change')}`,
    fix:
      `fix the next hop ${hopName(r)} Google warns about` +
      (codes.includes('NEXT_HOP_CANNOT_IP_FORWARD') ? CANNOT_FORWARD_FIX : '') +
      '; the routes need no change',
  };
}

const CANNOT_FORWARD_FIX =
  ' (NEXT_HOP_CANNOT_IP_FORWARD: the NAT VMs need canIpForward, set in the instance template of terraform-bootstrap/nat.tf)';

/** A verdict natRoutes' report does not make, with why (the module comment lists them). */
const statusOnly = (why: string) => `(status only: ${why})`;
