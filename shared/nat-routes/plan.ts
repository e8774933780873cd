/**
 * natRoutes' plan, pure: the route planner's input from the configuration and one observation,
 * and its plan. No I/O and no clock (the observation carries `now`); apply.ts turns the plan into
 * the kernel's phases.
 */
import type { NatRoutesView } from '../config/nat-routes.js';
import { isEligible, planRoutes, type NatInstance, type PlanInput, type RoutePlan } from '../plan/routes.js';
import { forwardingRuleUrl, migPath, networkUrl } from '../gcp/paths.js';
import type { Observed } from './observe.js';

export interface Planned {
  plan: RoutePlan;
  eligible: NatInstance[];
}

/** The planner's input from the config and an observation. */
export function planInput(cfg: NatRoutesView, obs: Observed): PlanInput {
  return {
    network: networkUrl(cfg.project, cfg.network),
    destinations: cfg.destinations,
    priority: cfg.priority,
    prefix: cfg.prefix,
    owner: migPath(cfg),
    mode: cfg.mode,
    ilb: cfg.ilbForwardingRule ? forwardingRuleUrl(cfg.project, cfg.region, cfg.ilbForwardingRule) : undefined,
    instances: obs.instances,
    gone: obs.gone,
    departed: obs.departed ?? [],
    routes: obs.routes,
    now: obs.now,
    holds: { joinMs: cfg.joinHoldMs, unhealthyMs: cfg.unhealthyHoldMs },
    requireHealthy: cfg.requireHealthy,
    policy: cfg.policy,
  };
}

/** The plan from an observation (the config picks mode, policy and holds). */
export function planFrom(cfg: NatRoutesView, obs: Observed): Planned {
  const plan = planRoutes(planInput(cfg, obs));
  return { plan, eligible: obs.instances.filter((i) => isEligible(i, cfg.requireHealthy)) };
}
