/**
 * Routes whose next hop is an internal passthrough load balancer (`route_mode = "ilb"`): the route
 * itself never names a NAT VM, so whether it carries traffic is the load balancer's to say. Google
 * hands a new connection to a healthy backend, and when none is healthy to every backend as a last
 * resort (https://cloud.google.com/load-balancing/docs/internal/int-netlb-traffic-distribution), so the hop
 * is fine while at least one backend is HEALTHY for it (`regionBackendServices.getHealth`) and
 * broken when the rule is gone or no backend is healthy.
 */
import type { Transport } from '../gcp/transport.js';
import { getBackendHealth, getBackendServiceByUrl, getForwardingRuleByUrl, type BackendHealth, type ForwardingRule } from '../gcp/load-balancers.js';
import { isNotFound, unreadable } from './errors.js';
import type { LinkState, StatusConfig } from './types.js';

export interface IlbVerdict {
  state: LinkState;
  /** Why it is not ok; a summary when ok ("2 of 2 backends healthy"). */
  why: string;
  fix?: string;
  /** One line per backend VM. */
  details: string[];
}

const NO_BACKEND_FIX = 'make a NAT VM healthy again: see "NAT VMs" (autohealing recreates an unhealthy VM; a stopped one must be started); the routes need no change';

/** The forwarding rule a `nextHopIlb` URL names, or undefined when Google has none. */
async function ruleOf(t: Transport, hop: string): Promise<ForwardingRule | undefined> {
  try {
    return await getForwardingRuleByUrl(t, hop);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Judges one load balancer a route points at, reading its rule, its backend service and its backends' health. */
export async function judgeIlb(t: Transport, cfg: StatusConfig, hop: string): Promise<IlbVerdict> {
  const name = hop.split('/').pop() ?? hop;
  // Google also takes the load balancer's IP address; natRoutes always writes the forwarding rule's URL.
  if (!hop.includes('/')) return { state: 'unknown', why: `next hop load balancer given by IP ${hop}: its backends were not checked`, fix: `check its backends with gcloud compute backend-services get-health, or give the route the forwarding rule's URL as nextHopIlb`, details: [] };
  let backends: BackendHealth[];
  try {
    const rule = await ruleOf(t, hop);
    if (!rule) return { state: 'broken', why: `load balancer ${name} does not exist: traffic to it is dropped`, fix: 'create the load balancer (terraform-bootstrap with route_mode = "ilb") or netreflex apply routes to point the routes at what NETREFLEX_ROUTE_MODE says', details: [] };
    if (rule.loadBalancingScheme !== 'INTERNAL' || !rule.backendService) return { state: 'broken', why: `forwarding rule ${name} is not an internal passthrough load balancer`, fix: 'point NETREFLEX_ILB_FORWARDING_RULE at the internal load balancer in front of the NAT MIG and run netreflex apply routes', details: [] };
    const service = await getBackendServiceByUrl(t, rule.backendService);
    const groups = (service.backends ?? []).map((b) => b.group);
    backends = (await Promise.all(groups.map((g) => getBackendHealth(t, service.selfLink, g)))).flat();
  } catch (err) {
    const u = unreadable(`load balancer ${name} and its backends' health`, ['compute.forwardingRules.get', 'compute.regionBackendServices.get', 'compute.regionBackendServices.getHealth'], err, cfg);
    return { state: 'unknown', why: u.reason, fix: u.fix, details: [] };
  }
  const details = backends.map((b) => `${name} backend ${b.instance?.split('/').pop() ?? b.ipAddress ?? '?'}: ${b.healthState ?? 'UNKNOWN'}`);
  const healthy = backends.filter((b) => b.healthState === 'HEALTHY').length;
  if (!backends.length) return { state: 'broken', why: `load balancer ${name} has no backend VM: traffic to it is dropped`, fix: 'resize the NAT MIG (it is the backend service\'s group): see "NAT VMs"', details };
  if (!healthy) return { state: 'broken', why: `load balancer ${name} has no healthy backend (${backends.length} UNHEALTHY): new connections go to every NAT VM as a last resort`, fix: NO_BACKEND_FIX, details };
  return { state: 'ok', why: `load balancer ${name}: ${healthy} of ${backends.length} backend(s) healthy`, details };
}
