/**
 * Reads what the route planner needs: the NAT MIG's instances, every route of the project, which
 * next hops of netreflex-marked routes Google no longer has, and — in ilb mode — the load
 * balancer in front of the MIG with the health of its backends.
 */
import type { Transport } from '../gcp/transport.js';
import { listManagedInstances } from '../gcp/instance-groups.js';
import { listRoutes, type Route } from '../gcp/routes.js';
import { getInstanceByUrl } from '../gcp/instances.js';
import {
  getBackendHealth,
  getBackendServiceByUrl,
  getForwardingRule,
  type BackendHealth,
} from '../gcp/load-balancers.js';
import type { NatRoutesView } from '../config/nat-routes.js';
import { migGroupPath, migPath } from '../gcp/paths.js';
import { ConfigError, isNotFound } from '../errors.js';
import { mapLimit } from '../util/concurrency.js';
import { HOLD_MARKER, natInstanceOf, ownerMarker, resourcePath, type NatInstance } from '../plan/routes.js';

/** The load balancer of ilb mode as observed: what it forwards to and which backends are healthy. */
export interface IlbView {
  forwardingRule: string;
  backendService: string;
  backends: BackendHealth[];
}

export interface Observed {
  instances: NatInstance[];
  routes: Route[];
  /** Paths of next-hop instances of marked routes that Google no longer has. */
  gone: string[];
  /** Paths of next-hop instances of marked routes that Google still has but the MIG does not list (abandoned); absent: none. */
  departed?: string[];
  /** When the observation started (epoch ms); hold markers are timed against it. */
  now: number;
  ilb?: IlbView;
}

export async function observe(t: Transport, cfg: NatRoutesView): Promise<Observed> {
  const now = Date.now();
  const [managed, routes, ilb] = await Promise.all([
    listManagedInstances(t, cfg.project, cfg.region, cfg.mig),
    listRoutes(t, cfg.project),
    cfg.mode === 'ilb' ? observeIlb(t, cfg) : undefined,
  ]);
  const instances = managed.map(natInstanceOf);
  return { instances, routes, ...(await strayHops(t, cfg, routes, instances)), now, ...(ilb ? { ilb } : {}) };
}

/**
 * Next hops of routes that claim netreflex's marker and name an instance the MIG does not list:
 * a deleted NAT VM (`instances.get` answers 404: its routes carry nothing and must go), or a VM
 * that is still there — one abandoned from the MIG, or someone else's. Which of the routes to a
 * departed VM are netreflex's the planner decides by every other check, the derived name first
 * (shared/plan/routes.ts): a copied marker on a route to someone else's VM stays a conflict.
 */
async function strayHops(
  t: Transport,
  cfg: NatRoutesView,
  routes: readonly Route[],
  instances: readonly NatInstance[],
): Promise<Pick<Observed, 'gone' | 'departed'>> {
  const members = new Set(instances.map((i) => resourcePath(i.url)));
  const marked = (r: Route) =>
    [ownerMarker(migPath(cfg)), `${HOLD_MARKER} owner=${migPath(cfg)}`].some((m) =>
      (r.description ?? '').startsWith(`${m} `),
    );
  const inRegion = (path: string) =>
    new RegExp(`^projects/${cfg.project}/zones/${cfg.region}-[a-z]/instances/[^/]+$`).test(path);
  const unknown = [
    ...new Set(routes.filter((r) => marked(r) && r.nextHopInstance).map((r) => resourcePath(r.nextHopInstance!))),
  ].filter((p) => !members.has(p) && inRegion(p));
  const found = await mapLimit(unknown, 10, async (path) => {
    try {
      await getInstanceByUrl(t, path);
      return { path, gone: false };
    } catch (err) {
      if (isNotFound(err)) return { path, gone: true };
      throw err;
    }
  });
  return {
    gone: found.filter((f) => f.gone).map((f) => f.path),
    departed: found.filter((f) => !f.gone).map((f) => f.path),
  };
}

/** The forwarding rule of NETREFLEX_ILB_FORWARDING_RULE, checked to be an internal load balancer over this MIG. */
async function observeIlb(t: Transport, cfg: NatRoutesView): Promise<IlbView> {
  const name = cfg.ilbForwardingRule!;
  const rule = await getForwardingRule(t, cfg.project, cfg.region, name).catch((err: unknown) => {
    if (isNotFound(err))
      throw new ConfigError(
        `NETREFLEX_ILB_FORWARDING_RULE: forwarding rule ${name} does not exist in ${cfg.region}; create the ` +
          `load balancer (terraform-bootstrap, route_mode = "ilb") or fix the name`,
      );
    throw err;
  });
  if (rule.loadBalancingScheme !== 'INTERNAL' || !rule.backendService)
    throw new ConfigError(
      `NETREFLEX_ILB_FORWARDING_RULE: forwarding rule ${name} is not an internal passthrough load ` +
        `balancer (loadBalancingScheme ${rule.loadBalancingScheme ?? 'unset'}); routes can only use an INTERNAL one as next hop`,
    );
  const service = await getBackendServiceByUrl(t, rule.backendService);
  const group = (service.backends ?? []).find((b) => resourcePath(b.group) === migGroupPath(cfg));
  if (!group)
    throw new ConfigError(
      `NETREFLEX_ILB_FORWARDING_RULE: ${name} forwards to backend service ${service.name}, whose backends ` +
        `do not include the NAT MIG ${cfg.mig}; add the MIG's instance group as a backend`,
    );
  return {
    forwardingRule: rule.selfLink,
    backendService: service.selfLink,
    backends: await getBackendHealth(t, service.selfLink, group.group),
  };
}
