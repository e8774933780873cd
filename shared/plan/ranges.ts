/**
 * Peered-range preparation before a Vertex AI pipeline run: the pure plan.
 *
 * desired: the Vertex ranges hold `parallelJobs` concurrent jobs of `nodesPerJob` nodes, and every
 * one of them is wired — a `VPC_PEERING` global address, named on the Service Networking
 * connection, allowed by the firewall rule that lets PSA ranges reach the NAT VMs, listed in the
 * NAT MIG metadata (so every NAT VM has a return route to it), and the peering exports custom
 * routes (so the producer VPC imports the routes to the NAT VMs).
 *
 * Decision table:
 *
 * | observed                                           | plan                                           |
 * |----------------------------------------------------|------------------------------------------------|
 * | capacity ≥ required, all wired                     | no change (plan(x, x) is empty)                |
 * | capacity ≥ required, a range not wired somewhere   | only the missing wiring steps                  |
 * | capacity < required                                | one new range of the minimal size, then wiring |
 * | new range would be larger than every pool          | ConfigError (ask for fewer jobs / wider pool)  |
 * | no free aligned block of that size in the pools    | SafetyError (nothing to apply)                 |
 *
 * Which ranges are Vertex's: `VPC_PEERING` addresses named in `vertexRangeNames` or starting with
 * `namePrefix`. Other PSA ranges (Cloud SQL, Memorystore…) are avoided but never handed to Vertex,
 * because only Vertex's ranges get NAT return routes. A new range's name is derived from its CIDR
 * and allocation is lowest-address-first, so a retry after a failure mid-way sees the address it
 * created, counts it, and only finishes the wiring: it never allocates twice.
 */
import { SafetyError, ConfigError } from '../errors.js';
import { jobsPerRange, nodeTier, prefixForJobs } from './capacity.js';
import { type Ipv4Block, findFreeBlock, formatIpv4Block } from '../net/ipv4-blocks.js';
import { type RangeWithBlock, parseObserved, takenBlocks, vertexRanges } from './ranges-observed.js';
import { wiringChanges } from './ranges-wiring.js';
import { rangeWarnings } from './ranges-warnings.js';
import {
  DEFAULT_RANGE_OPTIONS,
  type ObservedNetwork,
  type RangePlan,
  type RangePlanOptions,
  type RangeRequest,
  parseRangeRequest,
} from './ranges-types.js';

export * from './ranges-types.js';

/**
 * Plans what to create and patch so that the run described by `input` has room and a return path.
 * Pure: reads only its arguments. Throws ConfigError for a request to fix, SafetyError when the
 * pools are exhausted.
 */
export function planRanges(input: RangeRequest, observed: ObservedNetwork, options: Partial<RangePlanOptions> = {}): RangePlan {
  const request = parseRangeRequest(input);
  const opts: RangePlanOptions = { ...DEFAULT_RANGE_OPTIONS, ...options };
  const tier = nodeTier(request.nodesPerJob);
  const existing = vertexRanges(observed, opts, request.nodesPerJob);
  const counted = existing.reduce((sum, r) => sum + r.jobs, 0);
  const shortfall = request.parallelJobs - counted;
  const added = shortfall > 0 ? [allocateRange(shortfall, request.nodesPerJob, observed, opts)] : [];
  const used = [...existing, ...added];
  const connected = new Set(observed.connection?.reservedPeeringRanges ?? []);
  return {
    reservedIpRanges: used.filter((r) => r.jobs > 0).map((r) => r.name),
    ranges: used.map(({ block: _block, ...range }) => range),
    allocate: added.map(({ name, cidr }) => ({ name, cidr })),
    capacity: {
      nodesPerJobTier: tier,
      required: request.parallelJobs,
      before: existing.filter((r) => connected.has(r.name)).reduce((sum, r) => sum + r.jobs, 0),
      after: used.reduce((sum, r) => sum + r.jobs, 0),
    },
    changes: wiringChanges(request.network, used, observed, opts),
    warnings: rangeWarnings(request, existing, observed, opts),
  };
}

/** The deterministic name of the range netreflex allocates for `block`: `netreflex-psa-10-99-0-0-16`. */
export function rangeName(block: Ipv4Block, namePrefix: string): string {
  return `${namePrefix}${formatIpv4Block(block).replace(/[./]/g, '-')}`;
}

/**
 * One new range of the smallest size that covers `shortfall` jobs, at the lowest free aligned
 * address of the first pool that has one. One range rather than several smaller ones keeps the
 * connection, firewall and NAT routes short; a /16 already holds 63 jobs of ≤ 8 nodes.
 */
function allocateRange(shortfall: number, nodesPerJob: number, observed: ObservedNetwork, opts: RangePlanOptions): RangeWithBlock {
  const prefix = prefixForJobs(shortfall, nodesPerJob);
  const pools = parsePools(opts.pools);
  const fitting = pools.filter((p) => p.prefix <= prefix);
  if (fitting.length === 0) throw tooLargeError(shortfall, nodesPerJob, prefix, pools);
  const taken = takenBlocks(observed);
  for (const pool of fitting) {
    const block = findFreeBlock(pool, prefix, taken);
    if (block) return newRange(block, nodesPerJob, observed, opts);
  }
  throw new SafetyError(
    `peered ranges: pool exhausted: no free aligned /${prefix} for ${shortfall} more concurrent jobs of ≤ ${nodeTier(nodesPerJob)} nodes ` +
      `in ${opts.pools.join(', ')} (every block overlaps an address, subnet, route, peer-imported or reserved range). ` +
      'Nothing was changed. Widen or add a pool, release an unused range, or ask for fewer parallel jobs.',
  );
}

function newRange(block: Ipv4Block, nodesPerJob: number, observed: ObservedNetwork, opts: RangePlanOptions): RangeWithBlock {
  const name = rangeName(block, opts.namePrefix);
  const clash = observed.addresses.find((a) => a.name === name);
  if (clash) {
    throw new SafetyError(
      `peered ranges: global address "${name}" exists with ${clash.address}/${clash.prefixLength} (purpose ${clash.purpose ?? 'none'}), ` +
        `not ${formatIpv4Block(block)} as its name says; rename or delete it, then retry`,
    );
  }
  return { name, cidr: formatIpv4Block(block), jobs: jobsPerRange(block.prefix, nodesPerJob), isNew: true, block };
}

function parsePools(pools: readonly string[]): Ipv4Block[] {
  if (pools.length === 0) throw new ConfigError('peered ranges: no allocation pool configured; set at least one IPv4 CIDR such as 10.98.0.0/15');
  return pools.map((p) => {
    const block = parseObserved(p, 'allocation pool');
    if (!block) throw new ConfigError(`allocation pool ${p}: must be IPv4 (PSA ranges for Vertex are IPv4)`);
    return block;
  });
}

function tooLargeError(shortfall: number, nodesPerJob: number, prefix: number, pools: Ipv4Block[]): ConfigError {
  const largest = Math.min(...pools.map((p) => p.prefix));
  return new ConfigError(
    `peered ranges: ${shortfall} more concurrent jobs of ≤ ${nodeTier(nodesPerJob)} nodes need a /${prefix} range, larger than any pool ` +
      `(the largest, a /${largest}, holds at most ${jobsPerRange(largest, nodesPerJob)} such jobs); ` +
      'ask for fewer parallel jobs or configure a larger pool',
  );
}
