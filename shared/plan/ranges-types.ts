/**
 * The shapes the peered-range planner reads and returns. The request is validated with zod at the
 * boundary (the HTTP function and the CLI call {@link parseRangeRequest}); observed state is what
 * the cloud wrappers read, already filtered to VPC A; options are configuration with defaults.
 */
import * as z from 'zod';
import { parseRequest } from '../util/parse-request.js';

/** Google's name pattern for networks (RFC 1035, 1–63 characters), as Compute enforces it. */
export const NETWORK_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A region, e.g. asia-northeast1. */
export const REGION_NAME = /^[a-z]+-[a-z]+[0-9]+$/;
/** A run id as a label value may carry it (lowercase letters, digits, `-` and `_`, at most 63). */
export const RUN_ID = /^[a-z0-9][-_a-z0-9]{0,62}$/;

/** `vpc-a`, `projects/p/global/networks/vpc-a` or its full URL → `vpc-a`; anything else as given. */
const networkName = (v: unknown) =>
  typeof v === 'string' ? (/(?:^|\/)projects\/[^/]+\/global\/networks\/([^/]+)$/.exec(v)?.[1] ?? v) : v;

/**
 * What a pipeline run asks for: how many jobs run at once and how big each one is. Strict: an
 * unknown field, a string where a number or boolean belongs, or a name that is not a Google name
 * is refused with the pattern it must match (names end up in API paths).
 */
export const rangeRequest = z.strictObject({
  parallelJobs: z
    .number('parallelJobs must be a number')
    .int('parallelJobs must be a whole number')
    .min(1, 'parallelJobs must be at least 1 (the number of pipeline components that run at the same time)')
    .max(100_000, 'parallelJobs must be at most 100000'),
  nodesPerJob: z
    .number('nodesPerJob must be a number')
    .int('nodesPerJob must be a whole number')
    .min(1, 'nodesPerJob must be at least 1 (every replica of every worker pool of one job)'),
  network: z.preprocess(
    networkName,
    z
      .string('network must be a string')
      .min(1, 'network must name VPC A (e.g. vpc-a)')
      .regex(
        NETWORK_NAME,
        `network must be a network name matching ${NETWORK_NAME.source} (or projects/PROJECT/global/networks/NAME)`,
      ),
  ),
  region: z
    .string('region must be a string')
    .min(1, 'region must be set (e.g. asia-northeast1)')
    .regex(REGION_NAME, `region must match ${REGION_NAME.source} (e.g. asia-northeast1)`),
  displayName: z
    .string('displayName must be a string')
    .max(128, 'displayName must be at most 128 characters')
    .optional(),
  /** The run this preparation is for (the workflow's execution id); its PipelineJob carries it as a label. */
  runId: z.string('runId must be a string').regex(RUN_ID, `runId must match ${RUN_ID.source}`).optional(),
  /** Concurrent connections the run opens to one destination IP:port; defaults to jobs × nodes. */
  connectionsPerDestination: z
    .number('connectionsPerDestination must be a number')
    .int('connectionsPerDestination must be a whole number')
    .min(0, 'connectionsPerDestination must be at least 0')
    .optional(),
});
export type RangeRequest = z.infer<typeof rangeRequest>;

/**
 * A prepared run that will not start after all (the workflow failed between the preparation and
 * its PipelineJob): its reservation is dropped at once instead of counting until it expires.
 */
export const releaseRequest = z.strictObject({
  runId: z.string('runId must be a string').regex(RUN_ID, `runId must match ${RUN_ID.source}`),
  network: rangeRequest.shape.network,
  region: rangeRequest.shape.region,
});
export type ReleaseRequest = z.infer<typeof releaseRequest>;

const REFUSAL = 'peeringRanges: the request is invalid; change these and retry:';

/** Validates a request, turning every problem into one ConfigError that lists what to change. */
export const parseRangeRequest = (input: unknown): RangeRequest => parseRequest(rangeRequest, input, REFUSAL);

/** Validates a release (`{"release": true, "runId": …}` without `release`), as strictly. */
export const parseReleaseRequest = (input: unknown): ReleaseRequest => parseRequest(releaseRequest, input, REFUSAL);

/**
 * Vertex jobs already running or queued on the network (or prepared for and not started yet):
 * they share the ranges with this run. `estimated` when netreflex did not start it and can only
 * count what the API shows of it.
 */
export interface ObservedDemand {
  /** What it is, for the report: a PipelineJob or CustomJob name, or `reservation <runId>`. */
  source: string;
  jobs: number;
  nodesPerJob: number;
  estimated: boolean;
  /** The ranges its jobs may take blocks in; absent: any Vertex range of the network. */
  ranges?: string[];
}

/** A global address as Compute returns it (`purpose: VPC_PEERING` for PSA allocated ranges). */
export interface ObservedAddress {
  name: string;
  address: string;
  prefixLength: number;
  purpose?: string;
}

export interface ObservedSubnet {
  name?: string;
  ipCidrRange: string;
  secondaryIpRanges?: { rangeName?: string; ipCidrRange: string }[];
}

/** Cloud NAT settings of the egress NAT, and how many NAT VMs share it. */
export interface ObservedNat {
  vmCount: number;
  minPortsPerVm: number;
  enableDynamicPortAllocation: boolean;
  maxPortsPerVm?: number;
}

/** Everything the planner avoids or wires, read from VPC A and its neighbours. */
export interface ObservedNetwork {
  /** Global addresses of VPC A (any purpose: all are avoided; `VPC_PEERING` ones may be used). */
  addresses: readonly ObservedAddress[];
  /** The Service Networking connection; `null` when VPC A is not connected yet. */
  connection: { reservedPeeringRanges: readonly string[] } | null;
  subnets: readonly ObservedSubnet[];
  routeDestRanges: readonly string[];
  /** Ranges VPC A imports over its peerings (including the producer's subnets). */
  peerImportedRanges: readonly string[];
  /** Configured ranges used elsewhere (on-premises, other VPCs, VPNs). */
  reservedRanges: readonly string[];
  /** The firewall rule's `sourceRanges`; `null` when the rule does not exist. */
  firewallSourceRanges: readonly string[] | null;
  /** The return-path ranges published in the NAT MIG's metadata. */
  migRanges: readonly string[];
  exportCustomRoutes: boolean;
  /** `null` when the Cloud NAT could not be read; the port check is then skipped with a warning. */
  nat: ObservedNat | null;
  /** Other runs on the network that the ranges must hold besides this one (none when absent). */
  demand?: readonly ObservedDemand[];
}

/** Configuration of the planner; every field has a default in {@link DEFAULT_RANGE_OPTIONS}. */
export interface RangePlanOptions {
  /** Where new ranges are carved from, tried in order. */
  pools: readonly string[];
  /** Prefix of the ranges netreflex creates; a range named so is netreflex's and used for Vertex. */
  namePrefix: string;
  /** Existing ranges (by name) that Vertex may use too, e.g. the Terraform-made base range. */
  vertexRangeNames: readonly string[];
  peering: string;
  firewall: string;
  /** The NAT MIG metadata key holding the comma-separated return-path ranges. */
  metadataKey: string;
}

/**
 * Defaults for the sample topology. The pool 10.98.0.0/15 (10.98.0.0–10.99.255.255) sits next to
 * subnet A (10.95/16) and subnet B (10.97/16), already holds the base range `vertex-psa-range`
 * 10.98.0.0/21, and is large enough for one /16 range (63 jobs of ≤ 8 nodes) beside it.
 */
export const DEFAULT_RANGE_OPTIONS: RangePlanOptions = {
  pools: ['10.98.0.0/15'],
  namePrefix: 'netreflex-psa-',
  vertexRangeNames: ['vertex-psa-range'],
  peering: 'servicenetworking-googleapis-com',
  firewall: 'allow-psa-to-nat',
  metadataKey: 'netreflex-psa-ranges',
};

/**
 * One step of the plan, in apply order: an address must exist before the connection names it, and
 * the connection before the firewall and return routes matter. Every list is the FULL new value
 * (existing entries first, additions appended), so applying it can never drop a range.
 */
export type RangeChange =
  | { kind: 'createAddress'; name: string; cidr: string; address: string; prefixLength: number; network: string }
  | { kind: 'patchConnection'; create: boolean; reservedPeeringRanges: string[]; added: string[] }
  | { kind: 'patchFirewall'; firewall: string; sourceRanges: string[]; added: string[] }
  | { kind: 'setMigMetadata'; key: string; value: string; ranges: string[]; added: string[] }
  | { kind: 'enablePeeringExport'; peering: string };

export const RANGE_WARNING_CODES = [
  'nat-ports',
  'nat-no-vms',
  'nat-unknown',
  'range-not-found',
  'range-overlap',
  'firewall-missing',
] as const;
export type RangeWarningCode = (typeof RANGE_WARNING_CODES)[number];

export interface RangeWarning {
  code: RangeWarningCode;
  message: string;
}

/**
 * A Vertex range of the network, kept wired by every preparation, with the jobs of the requested
 * size it holds; the run's own are `reservedIpRanges`.
 */
export interface PlannedRange {
  name: string;
  cidr: string;
  jobs: number;
  /** True when this plan allocates it. */
  isNew: boolean;
}

export interface RangePlan {
  /** Pass these as the PipelineJob's `reservedIpRanges`. */
  reservedIpRanges: string[];
  ranges: PlannedRange[];
  /** Ranges to allocate now (fewest first: one when one block fits). */
  allocate: { name: string; cidr: string }[];
  capacity: {
    /** The documented tier the request's node count was rounded up to. */
    nodesPerJobTier: number;
    /** Jobs of the tier the ranges must hold: this request plus everything else on them. */
    required: number;
    /** This request's own parallel jobs. */
    requested: number;
    /**
     * The other runs on the network that may use this run's ranges (those not confined to ranges of
     * their own), in jobs of this request's tier (a smaller job takes a whole block).
     */
    others: number;
    /** True when some of the demand is an estimate (runs netreflex did not start). */
    estimated: boolean;
    /** Everything else seen on the network, each with the ranges it is confined to if it is. */
    demand: ObservedDemand[];
    /** Ranges other runs are confined to: left to them, never handed to this run. */
    leftToOthers: string[];
    /** Jobs this run's ranges already on the connection hold. */
    before: number;
    /** Jobs this run's ranges hold once the plan is applied. */
    after: number;
  };
  changes: RangeChange[];
  warnings: RangeWarning[];
}
