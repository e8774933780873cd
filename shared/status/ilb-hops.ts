/**
 * Routes whose next hop is an internal passthrough load balancer (`route_mode = "ilb"`): the route
 * itself never names a NAT VM, so whether it carries traffic is the load balancer's to say. Google
 * hands a new connection to a healthy backend, and when none is healthy to every backend as a last
 * resort (https://cloud.google.com/load-balancing/docs/internal/int-netlb-traffic-distribution), so the hop
 * is fine while at least one backend is HEALTHY for it (`regionBackendServices.getHealth`) and
 * broken when no backend is healthy. Judged on what natRoutes observed of the load balancer
 * (shared/nat-routes/observe.ts), the same backends natRoutes degrades its report on.
 */
import type { IlbView } from '../nat-routes/observe.js';
import type { LinkState } from './types.js';

export interface IlbVerdict {
  state: LinkState;
  /** Why it is not ok; a summary when ok ("2 of 2 backends healthy"). */
  why: string;
  fix?: string;
  /** One line per backend VM. */
  details: string[];
}

const NO_BACKEND_FIX =
  'make a NAT VM healthy again: see "NAT VMs" (autohealing recreates an unhealthy VM; a stopped one must be started); the routes need no change';

export function ilbVerdict(view: IlbView): IlbVerdict {
  const name = view.forwardingRule.split('/').pop() ?? view.forwardingRule;
  const backends = view.backends;
  const details = backends.map(
    (b) => `${name} backend ${b.instance?.split('/').pop() ?? b.ipAddress ?? '?'}: ${b.healthState ?? 'UNKNOWN'}`,
  );
  const healthy = backends.filter((b) => b.healthState === 'HEALTHY').length;
  if (!backends.length)
    return {
      state: 'broken',
      why: `load balancer ${name} has no backend VM: traffic to it is dropped`,
      fix: 'resize the NAT MIG (it is the backend service\'s group): see "NAT VMs"',
      details,
    };
  if (!healthy)
    return {
      state: 'broken',
      why: `load balancer ${name} has no healthy backend (${backends.length} UNHEALTHY): new connections go to every NAT VM as a last resort`,
      fix: NO_BACKEND_FIX,
      details,
    };
  return { state: 'ok', why: `load balancer ${name}: ${healthy} of ${backends.length} backend(s) healthy`, details };
}
