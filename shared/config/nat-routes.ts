/**
 * Configuration of the natRoutes reconciler. The keys are the environment variable names; Terraform
 * sets exactly these (test/terraform checks it) and the README lists them.
 */
import * as z from 'zod';
import { boolFromString, intFromString, loadEnv } from './env.js';
import { commonConfig, commonEnv, projectNumberEnv, resourceName, topologyEnv, type CommonConfig } from './common.js';
import { ConfigError } from '../errors.js';
import { POLICIES, type Policy } from '../reconcile/plan.js';

export const ROUTE_MODES = ['instance', 'ilb'] as const;
export const EXPORT_MODES = ['ensure', 'verify-only'] as const;

const { NETREFLEX_NETWORK, NETREFLEX_NAT_MIG, NETREFLEX_DESTINATIONS, NETREFLEX_PEERING } = topologyEnv;

export const natRoutesEnv = z.object({
  ...commonEnv,
  /** MIG-initiated instance audit logs name the project by number. */
  ...projectNumberEnv,
  NETREFLEX_NETWORK,
  NETREFLEX_NAT_MIG,
  NETREFLEX_DESTINATIONS,
  NETREFLEX_ROUTE_PRIORITY: intFromString(0, 65535).default(900),
  NETREFLEX_ROUTE_PREFIX: z
    .string()
    .regex(/^[a-z][-a-z0-9]{0,19}$/, 'must be a lowercase prefix of at most 20 chars starting with a letter')
    .default('netreflex'),
  NETREFLEX_ROUTE_MODE: z.enum(ROUTE_MODES).default('instance'),
  NETREFLEX_ILB_FORWARDING_RULE: resourceName.optional(),
  NETREFLEX_ROUTE_POLICY: z.enum(POLICIES).default('sync'),
  NETREFLEX_PEERING,
  NETREFLEX_EXPORT_MODE: z.enum(EXPORT_MODES).default('ensure'),
  NETREFLEX_REQUIRE_HEALTHY: boolFromString.default(true),
  NETREFLEX_RESULT_TOPIC: resourceName.optional(),
  NETREFLEX_SETTLE_TIMEOUT_SECONDS: intFromString(0, 3600).default(240),
  NETREFLEX_SETTLE_POLL_MS: intFromString(10, 60_000).default(5_000),
  NETREFLEX_JOIN_HOLD_SECONDS: intFromString(0, 3600).default(0),
  NETREFLEX_UNHEALTHY_HOLD_SECONDS: intFromString(0, 3600).default(30),
});

export interface NatRoutesConfig extends CommonConfig {
  projectNumber: string;
  network: string;
  mig: string;
  destinations: string[];
  priority: number;
  prefix: string;
  mode: (typeof ROUTE_MODES)[number];
  ilbForwardingRule?: string;
  /** The kernel's policy over the plan (shared/reconcile/plan.ts): the one vocabulary of every reconciler. */
  policy: Policy;
  peering: string;
  exportMode: (typeof EXPORT_MODES)[number];
  requireHealthy: boolean;
  resultTopic?: string;
  /** The most one event may take, from arrival to answer (the reconcile coalescer); 0 = one pass, answered when it ends. */
  settleTimeoutMs: number;
  settlePollMs: number;
  /** Damping (shared/plan/route-holds.ts): eligible this long before an instance gets routes. */
  joinHoldMs: number;
  /** …and unhealthy (but RUNNING, idle) this long before it loses them. */
  unhealthyHoldMs: number;
}

/**
 * natRoutes' configuration for a reader that observes and plans the routes but serves no event
 * (`netreflex status`, which judges the routes by natRoutes' own dry run): the project number only
 * matches audit-log events to the project, so it is neither asked for nor held.
 */
export type NatRoutesView = Omit<NatRoutesConfig, 'projectNumber'>;

export function loadNatRoutesConfig(env: Record<string, string | undefined>): NatRoutesConfig {
  const e = loadEnv(natRoutesEnv, env, 'natRoutes');
  return { ...natRoutesView(e), projectNumber: e.NETREFLEX_PROJECT_NUMBER };
}

/** The view of natRoutes' configuration, validated exactly as natRoutes validates it; `who` names the reader in errors. */
export function loadNatRoutesView(env: Record<string, string | undefined>, who: string): NatRoutesView {
  return natRoutesView(loadEnv(natRoutesEnv.omit({ NETREFLEX_PROJECT_NUMBER: true }), env, who));
}

function natRoutesView(e: Omit<z.infer<typeof natRoutesEnv>, 'NETREFLEX_PROJECT_NUMBER'>): NatRoutesView {
  if (e.NETREFLEX_ROUTE_MODE === 'ilb' && !e.NETREFLEX_ILB_FORWARDING_RULE) {
    throw new ConfigError('natRoutes: invalid configuration in environment variables; fix these and restart:', [
      'NETREFLEX_ILB_FORWARDING_RULE: is required when NETREFLEX_ROUTE_MODE=ilb (the internal passthrough load balancer that is the next hop)',
    ]);
  }
  return {
    ...commonConfig(e),
    network: e.NETREFLEX_NETWORK,
    mig: e.NETREFLEX_NAT_MIG,
    destinations: e.NETREFLEX_DESTINATIONS,
    priority: e.NETREFLEX_ROUTE_PRIORITY,
    prefix: e.NETREFLEX_ROUTE_PREFIX,
    mode: e.NETREFLEX_ROUTE_MODE,
    ilbForwardingRule: e.NETREFLEX_ILB_FORWARDING_RULE,
    policy: e.NETREFLEX_ROUTE_POLICY,
    peering: e.NETREFLEX_PEERING,
    exportMode: e.NETREFLEX_EXPORT_MODE,
    requireHealthy: e.NETREFLEX_REQUIRE_HEALTHY,
    resultTopic: e.NETREFLEX_RESULT_TOPIC,
    settleTimeoutMs: e.NETREFLEX_SETTLE_TIMEOUT_SECONDS * 1000,
    settlePollMs: e.NETREFLEX_SETTLE_POLL_MS,
    joinHoldMs: e.NETREFLEX_JOIN_HOLD_SECONDS * 1000,
    unhealthyHoldMs: e.NETREFLEX_UNHEALTHY_HOLD_SECONDS * 1000,
  };
}
