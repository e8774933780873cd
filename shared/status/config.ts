/**
 * What `netreflex status` looks at, from the environment (the same variable names the functions
 * and the workflow use, so one shell setup serves them all).
 */
import * as z from 'zod';
import { commonEnv, resourceName, topologyEnv } from '../config/common.js';
import { list, loadEnv } from '../config/env.js';
import type { StatusConfig } from './types.js';
import { loadArmorAllowlistConfig } from '../config/armor-allowlist.js';
import { loadNatRoutesView } from '../config/nat-routes.js';
import { loadPeeringRangesConfig } from '../config/peering-ranges.js';
import { ConfigError } from '../errors.js';
import { ipAddress } from './egress-check.js';

const statusEnv = z.object({
  ...commonEnv,
  ...topologyEnv,
  NETREFLEX_SECURITY_POLICY: list(resourceName).default(['inference-policy']),
  // The IPs the workflow's egress check asks about (terraform-bootstrap/workflows.tf sets them from the NAT's addresses).
  NETREFLEX_EGRESS_IPS: list(ipAddress).optional(),
});

export function loadStatusConfig(
  env: Record<string, string | undefined>,
  flags: { jobs?: number; nodesPerJob?: number } = {},
): StatusConfig {
  const e = loadEnv(statusEnv, env, 'netreflex status');
  return {
    project: e.NETREFLEX_PROJECT,
    region: e.NETREFLEX_REGION,
    ...(e.NETREFLEX_EMULATOR_HOST ? { emulatorHost: e.NETREFLEX_EMULATOR_HOST } : {}),
    network: e.NETREFLEX_NETWORK,
    peering: e.NETREFLEX_PEERING,
    mig: e.NETREFLEX_NAT_MIG,
    destinations: e.NETREFLEX_DESTINATIONS,
    natRouter: e.NETREFLEX_NAT_ROUTER,
    natName: e.NETREFLEX_NAT_NAME,
    securityPolicies: e.NETREFLEX_SECURITY_POLICY,
    ...(flags.jobs === undefined ? {} : { jobs: flags.jobs }),
    nodesPerJob: flags.nodesPerJob ?? 8,
    // With the config bucket known, the allowlist link also asks the allowlist sync whether it is stalled.
    ...(env.NETREFLEX_CONFIG_BUCKET ? { allowlist: loadArmorAllowlistConfig(env) } : {}),
    ranges: peeringRangesView(env),
    ...(e.NETREFLEX_EGRESS_IPS?.length ? { egressIps: e.NETREFLEX_EGRESS_IPS } : {}),
    // The routes are judged by natRoutes' own dry run, configured as natRoutes is.
    routes: loadNatRoutesView(env, 'netreflex status'),
  };
}

/**
 * peeringRanges' configuration, validated exactly as peeringRanges validates it, or why it cannot
 * be (the PSA ranges link then says so, UNKNOWN): status is still worth running without it.
 */
function peeringRangesView(env: Record<string, string | undefined>): StatusConfig['ranges'] {
  try {
    return { config: loadPeeringRangesConfig(env) };
  } catch (err) {
    // Unset is a link status cannot check; a value peeringRanges refuses is bad configuration (exit 2).
    if (
      err instanceof ConfigError &&
      err.problems.length &&
      err.problems.every((p) => p.endsWith(': required, not set'))
    )
      return { error: err.problems.join('; ') };
    throw err;
  }
}
