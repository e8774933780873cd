/**
 * Configuration of peeringRanges (the PSA capacity, wiring and preflight before a Vertex run). The
 * keys are the environment variable names; Terraform sets exactly these (test/terraform checks it).
 */
import { z } from 'zod';
import { list, loadEnv } from './env.js';
import { commonConfig, commonEnv, projectNumberEnv, resourceName, topologyEnv, type CommonConfig } from './common.js';
import { cidr } from '../net/cidr-schema.js';
import { DEFAULT_RANGE_OPTIONS, type RangePlanOptions } from '../plan/ranges.js';

const { NETREFLEX_NETWORK, NETREFLEX_PEERING, NETREFLEX_NAT_MIG, NETREFLEX_NAT_ROUTER, NETREFLEX_NAT_NAME } = topologyEnv;

export const peeringRangesEnv = z.object({
  ...commonEnv,
  /** Service Networking and Vertex AI name networks by project NUMBER. */
  ...projectNumberEnv,
  NETREFLEX_NETWORK,
  NETREFLEX_PEERING,
  /** Pools new PSA ranges are carved from, tried in order. */
  NETREFLEX_PSA_POOL: list(cidr).default([...DEFAULT_RANGE_OPTIONS.pools]),
  /** Existing PSA ranges (global address names) Vertex may use besides the ones netreflex creates. */
  NETREFLEX_VERTEX_RANGES: list(resourceName).default([...DEFAULT_RANGE_OPTIONS.vertexRangeNames]),
  /** Ranges in use elsewhere (on-premises, other VPCs, VPNs) that no new range may overlap. */
  NETREFLEX_RESERVED_RANGES: list(cidr).default([]),
  NETREFLEX_PSA_FIREWALL: resourceName.default(DEFAULT_RANGE_OPTIONS.firewall),
  NETREFLEX_NAT_MIG,
  NETREFLEX_NAT_ROUTER,
  NETREFLEX_NAT_NAME,
});

export interface PeeringRangesConfig extends CommonConfig {
  projectNumber: string;
  network: string;
  natMig: string;
  natRouter: string;
  natName: string;
  reservedRanges: string[];
  /** Planner options (pools, names, peering, firewall, metadata key). */
  plan: RangePlanOptions;
}

export function loadPeeringRangesConfig(env: Record<string, string | undefined>): PeeringRangesConfig {
  const e = loadEnv(peeringRangesEnv, env, 'peeringRanges');
  return {
    ...commonConfig(e),
    projectNumber: e.NETREFLEX_PROJECT_NUMBER,
    network: e.NETREFLEX_NETWORK,
    natMig: e.NETREFLEX_NAT_MIG,
    natRouter: e.NETREFLEX_NAT_ROUTER,
    natName: e.NETREFLEX_NAT_NAME,
    reservedRanges: e.NETREFLEX_RESERVED_RANGES,
    plan: {
      ...DEFAULT_RANGE_OPTIONS,
      pools: e.NETREFLEX_PSA_POOL,
      vertexRangeNames: e.NETREFLEX_VERTEX_RANGES,
      peering: e.NETREFLEX_PEERING,
      firewall: e.NETREFLEX_PSA_FIREWALL,
    },
  };
}
