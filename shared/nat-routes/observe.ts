/** Reads what the route planner needs: the NAT MIG's instances and every route of the project. */
import type { Transport } from '../gcp/transport.js';
import { listManagedInstances, type ManagedInstance } from '../gcp/instance-groups.js';
import { listRoutes, type Route } from '../gcp/routes.js';
import type { NatRoutesConfig } from '../config/nat-routes.js';
import { desiredRoutes, isEligible, planRoutes, type NatInstance, type RoutePlan, type RouteSpec } from '../plan/routes.js';

export interface Observed {
  instances: NatInstance[];
  routes: Route[];
}

export const migPath = (cfg: Pick<NatRoutesConfig, 'project' | 'region' | 'mig'>) => `projects/${cfg.project}/regions/${cfg.region}/instanceGroupManagers/${cfg.mig}`;
export const networkUrl = (cfg: Pick<NatRoutesConfig, 'project' | 'network'>) => `https://www.googleapis.com/compute/v1/projects/${cfg.project}/global/networks/${cfg.network}`;

export async function observe(t: Transport, cfg: NatRoutesConfig): Promise<Observed> {
  const [managed, routes] = await Promise.all([listManagedInstances(t, cfg.project, cfg.region, cfg.mig), listRoutes(t, cfg.project)]);
  return { instances: managed.map(natInstanceOf), routes };
}

/** A MIG's managed instance as the planner judges it (name, URL, status, action, health). */
export function natInstanceOf(m: ManagedInstance): NatInstance {
  return {
    name: m.name ?? m.instance.split('/').pop()!,
    url: m.instance,
    instanceStatus: m.instanceStatus,
    currentAction: m.currentAction,
    health: m.instanceHealth?.[0]?.detailedHealthState,
  };
}

export interface Planned {
  desired: RouteSpec[];
  plan: RoutePlan;
  eligible: NatInstance[];
}

/** Desired routes and the plan from an observation (pure; the config picks mode and policy). */
export function planFrom(cfg: NatRoutesConfig, obs: Observed): Planned {
  const eligible = obs.instances.filter((i) => isEligible(i, cfg.requireHealthy));
  const desired = desiredRoutes({
    network: networkUrl(cfg),
    destinations: cfg.destinations,
    priority: cfg.priority,
    prefix: cfg.prefix,
    owner: migPath(cfg),
    mode: cfg.mode,
    ilb: cfg.ilbForwardingRule ? `https://www.googleapis.com/compute/v1/projects/${cfg.project}/regions/${cfg.region}/forwardingRules/${cfg.ilbForwardingRule}` : undefined,
    instances: obs.instances,
    requireHealthy: cfg.requireHealthy,
  });
  const zeroEligible = cfg.mode === 'instance' && eligible.length === 0;
  const plan = planRoutes(desired, obs.routes, { owner: migPath(cfg), policy: cfg.policy, zeroEligible });
  return { desired, plan, eligible };
}
