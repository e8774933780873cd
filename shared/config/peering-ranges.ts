/**
 * Configuration of peeringRanges (the PSA capacity, wiring and preflight before a Vertex run). The
 * keys are the environment variable names; Terraform sets exactly these (test/terraform checks it).
 */
import * as z from 'zod';
import { intFromString, list, loadEnv } from './env.js';
import { commonConfig, commonEnv, projectNumberEnv, resourceName, topologyEnv, type CommonConfig } from './common.js';
import { cidr } from '../net/cidr-schema.js';
import { DEFAULT_RANGE_OPTIONS, type RangePlanOptions } from '../plan/ranges.js';

const { NETREFLEX_NETWORK, NETREFLEX_PEERING, NETREFLEX_NAT_MIG, NETREFLEX_NAT_ROUTER, NETREFLEX_NAT_NAME } =
  topologyEnv;

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
  /** The bucket holding each network's lease and the reservations of prepared runs (shared/peering-ranges/lease.ts). */
  NETREFLEX_STATE_BUCKET: z
    .string()
    .regex(/^[a-z0-9][-_.a-z0-9]{1,61}[a-z0-9]$/, 'must be a Cloud Storage bucket name'),
  /** How long a lease holds without renewal (a dead holder blocks the network at most this long). */
  NETREFLEX_RANGES_LEASE_TTL_SECONDS: intFromString(2, 600).default(60),
});

/** How long a preparation waits for another one on the same network before answering 503. */
const LEASE_WAIT_MS = 240_000;
/**
 * How long a prepared run's jobs count against the ranges before its PipelineJob shows up: the
 * workflow syncs routes and checks the allowlist in between (minutes), and a run that never starts
 * stops counting after this.
 */
const RESERVATION_TTL_MS = 30 * 60_000;

export interface PeeringRangesConfig extends CommonConfig {
  projectNumber: string;
  network: string;
  natMig: string;
  natRouter: string;
  natName: string;
  reservedRanges: string[];
  stateBucket: string;
  leaseTtlMs: number;
  leaseWaitMs: number;
  reservationTtlMs: number;
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
    stateBucket: e.NETREFLEX_STATE_BUCKET,
    leaseTtlMs: e.NETREFLEX_RANGES_LEASE_TTL_SECONDS * 1000,
    leaseWaitMs: LEASE_WAIT_MS,
    reservationTtlMs: RESERVATION_TTL_MS,
    plan: {
      ...DEFAULT_RANGE_OPTIONS,
      pools: e.NETREFLEX_PSA_POOL,
      vertexRangeNames: e.NETREFLEX_VERTEX_RANGES,
      peering: e.NETREFLEX_PEERING,
      firewall: e.NETREFLEX_PSA_FIREWALL,
    },
  };
}
