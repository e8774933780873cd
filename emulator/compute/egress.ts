/**
 * Where a new connection from the PSA peer (the Vertex nodes) to a destination goes: the data path
 * the routes and load balancers set up, for tests and benchmarks that ask "can a flow still reach
 * a dead NAT VM?" rather than "which routes exist?".
 *
 * The peer only receives VPC A's untagged custom routes ("Tags: routes with network tags are never
 * exchanged", https://cloud.google.com/vpc/docs/vpc-peering#route-exchange-options). Among the
 * routes that contain the destination, the most specific wins, then the lowest priority value;
 * several left with the same destination and priority share the traffic by ECMP
 * (https://cloud.google.com/vpc/docs/routes#routeselection). An instance next hop receives its
 * share whatever its state — traffic to a stopped VM is dropped, not rerouted — and a load
 * balancer next hop hands each new connection to one of its active backends (activeBackends,
 * by its health check's verdicts).
 */
import ipaddr from 'ipaddr.js';
import { computePath } from '../store.js';
import { globalCol, listAllOf, type ComputeContext } from './context.js';
import type { ForwardingRule, Route } from './types.js';
import { activeBackends, backendGroups, backendServiceByUrl } from './backend-services.js';
import { forwardingRuleByUrl } from './forwarding-rules.js';
import type { Migs } from './migs.js';

export interface EgressPath {
  /** Names of the routes that carry the destination's traffic (ECMP set), empty when none does. */
  routes: string[];
  /** Instance URLs a new connection may be sent to. */
  instances: string[];
}

const contains = (outer: string, inner: string) => {
  const [net, bits] = ipaddr.parseCIDR(outer);
  const [addr, innerBits] = ipaddr.parseCIDR(inner.includes('/') ? inner : `${inner}/32`);
  return innerBits >= bits && addr.kind() === net.kind() && addr.match(net, bits);
};

/** The forwarding rule a `nextHopIlb` names (URL or IP address in the route's network). */
function ilbRule(ctx: ComputeContext, project: string, route: Route): ForwardingRule | undefined {
  const hop = String(route.nextHopIlb);
  if (!ipaddr.isValid(hop)) return forwardingRuleByUrl(ctx, project, hop);
  return listAllOf(ctx.store, 'region', 'forwardingRules', project).find(
    (f) => f.IPAddress === hop && f.network === route.network,
  );
}

/** The VMs a load balancer's active pool holds now (empty when the rule or its service is gone). */
export function ilbTargets(ctx: ComputeContext, migs: Migs, project: string, route: Route): string[] {
  const rule = ilbRule(ctx, project, route);
  const service =
    rule && typeof rule.backendService === 'string' ? backendServiceByUrl(ctx, rule.backendService) : undefined;
  if (!service) return [];
  return activeBackends(backendGroups(ctx, migs, service), service.failoverPolicy ?? {}).instances;
}

/** Where new connections from the PSA peer to `destination` (an address or CIDR) go from `network` of `project`. */
export function egressPath(
  ctx: ComputeContext,
  migs: Migs,
  project: string,
  network: string,
  destination: string,
): EgressPath {
  const net = `projects/${project}/global/networks/${network}`;
  const candidates = ctx.store
    .list(globalCol(project, 'routes'))
    .filter(
      (r) => computePath(String(r.network)) === net && !r.tags?.length && contains(String(r.destRange), destination),
    );
  if (!candidates.length) return { routes: [], instances: [] };
  const bits = (r: Route) => Number(String(r.destRange).split('/')[1]);
  const longest = Math.max(...candidates.map(bits));
  const specific = candidates.filter((r) => bits(r) === longest);
  const best = Math.min(...specific.map((r) => Number(r.priority)));
  const chosen = specific.filter((r) => Number(r.priority) === best);
  const instances = chosen.flatMap((r) =>
    typeof r.nextHopInstance === 'string'
      ? [r.nextHopInstance]
      : typeof r.nextHopIlb === 'string'
        ? ilbTargets(ctx, migs, project, r)
        : [],
  );
  return { routes: chosen.map((r) => r.name), instances: [...new Set(instances.map((i) => computePath(i)))] };
}
