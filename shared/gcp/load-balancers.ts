/**
 * Internal passthrough Network Load Balancers: the forwarding rule a route names as `nextHopIlb`,
 * its regional backend service, and the health of the backends behind it (`getHealth`).
 */
import type { Transport } from './transport.js';
import { resourcePath } from './paths.js';

export interface ForwardingRule {
  name: string;
  selfLink: string;
  IPAddress?: string;
  loadBalancingScheme?: string;
  backendService?: string;
  network?: string;
}

export interface BackendService {
  name: string;
  selfLink: string;
  loadBalancingScheme?: string;
  backends?: { group: string; failover?: boolean }[];
  healthChecks?: string[];
}

export interface BackendHealth {
  instance?: string;
  ipAddress?: string;
  healthState?: string;
}

export const getForwardingRule = (t: Transport, project: string, region: string, name: string) =>
  t.request<ForwardingRule>({
    service: 'compute',
    method: 'GET',
    path: `/compute/v1/projects/${project}/regions/${region}/forwardingRules/${name}`,
  });

/** A forwarding rule by URL (as a route names it in `nextHopIlb`). */
export const getForwardingRuleByUrl = (t: Transport, url: string) =>
  t.request<ForwardingRule>({ service: 'compute', method: 'GET', path: `/compute/v1/${resourcePath(url)}` });

/** A regional backend service by URL (as a forwarding rule names it). */
export const getBackendServiceByUrl = (t: Transport, url: string) =>
  t.request<BackendService>({ service: 'compute', method: 'GET', path: `/compute/v1/${resourcePath(url)}` });

/** `regionBackendServices.getHealth` for one backend group of the service. */
export async function getBackendHealth(t: Transport, serviceUrl: string, group: string): Promise<BackendHealth[]> {
  const res = await t.request<{ healthStatus?: BackendHealth[] }>({
    service: 'compute',
    method: 'POST',
    path: `/compute/v1/${resourcePath(serviceUrl)}/getHealth`,
    body: { group },
  });
  return res.healthStatus ?? [];
}
