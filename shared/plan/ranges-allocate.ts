/**
 * Allocation of new PSA ranges from the pools, fewest ranges first:
 *
 * 1. one range of the smallest size that covers the shortfall, at the lowest free aligned address
 *    of the first pool that has one (short lists on the connection, the firewall and the NAT
 *    metadata; lowest-first keeps the plan deterministic, so a retry finds the same block);
 * 2. when no single block fits, the largest free aligned block (never larger than the single one
 *    would be), then the next largest, … until the shortfall is covered. Each range keeps its own
 *    block back (capacity.ts), so two /18s hold 30 jobs of ≤ 8 nodes where one /17 holds 31: more
 *    ranges are used only when fewer cannot be had;
 * 3. "exhausted" only when the free blocks of every pool together cannot cover it, and the
 *    refusal lists what is free so the operator can decide (ask for less, widen a pool).
 *
 * A request that even empty pools could never hold is a ConfigError (400): the request or the
 * pools must change, not the address plan.
 *
 * Both refusals are typed (`PoolExhausted`, `PoolTooSmall`), so the planner can tell a shortfall
 * that only other runs' current demand causes (`PoolBusy`: 503, retry once they end) from one that
 * stays with nothing else running (422 / 400).
 */
import { ConfigError, SafetyError } from '../errors.js';
import { jobBlockPrefix, jobsPerRange, nodeTier, prefixForJobs } from './capacity.js';
import { type Ipv4Block, findFreeBlock, formatIpv4Block } from '../net/ipv4-blocks.js';
import { type RangeWithBlock, parseObserved, takenBlocks } from './ranges-observed.js';
import type { ObservedNetwork, RangePlanOptions } from './ranges-types.js';
import { rangeName } from './ranges-names.js';

/** New ranges that together hold `shortfall` more jobs of `nodesPerJob` nodes on `network`. */
export function allocateRanges(
  shortfall: number,
  nodesPerJob: number,
  network: string,
  observed: ObservedNetwork,
  opts: RangePlanOptions,
): RangeWithBlock[] {
  const pools = parsePools(opts.pools);
  const ceiling = pools.reduce((sum, p) => sum + jobsPerRange(p.prefix, nodesPerJob), 0);
  if (ceiling < shortfall) throw tooLarge(shortfall, nodesPerJob, ceiling, opts);
  const taken = takenBlocks(observed);
  const single = prefixForJobs(shortfall, nodesPerJob);
  const one = firstFree(pools, single, taken);
  if (one) return [newRange(one, nodesPerJob, network, observed, opts)];
  const picked: RangeWithBlock[] = [];
  let left = shortfall;
  // Stryker disable next-line ArithmeticOperator: a smaller block holds no job, so taking one leaves `left` as it is and ends in the same refusal
  const smallest = jobBlockPrefix(nodesPerJob) - 1; // the smallest range that holds one job
  // Stryker disable next-line ArithmeticOperator: no block of `single` is free, so no larger aligned block (which holds two of them) is either
  for (let prefix = single + 1; left > 0 && prefix <= smallest;) {
    const block = firstFree(pools, prefix, [...taken, ...picked.map((r) => r.block)]);
    if (!block) {
      prefix += 1;
      continue;
    }
    const range = newRange(block, nodesPerJob, network, observed, opts);
    picked.push(range);
    left -= range.jobs;
    // the rest may now fit a smaller single block: never take more than what is left needs
    prefix = Math.max(prefix, left > 0 ? prefixForJobs(left, nodesPerJob) : prefix);
  }
  if (left > 0) throw exhausted(shortfall, nodesPerJob, pools, taken, opts);
  return picked;
}

function firstFree(pools: readonly Ipv4Block[], prefix: number, taken: readonly Ipv4Block[]): Ipv4Block | undefined {
  for (const pool of pools) {
    const block = findFreeBlock(pool, prefix, taken);
    if (block) return block;
  }
  return undefined;
}

function newRange(
  block: Ipv4Block,
  nodesPerJob: number,
  network: string,
  observed: ObservedNetwork,
  opts: RangePlanOptions,
): RangeWithBlock {
  const name = rangeName(block, opts.namePrefix, network);
  const clash = observed.addresses.find((a) => a.name === name);
  if (clash) {
    throw new SafetyError(
      `peeringRanges: global address "${name}" exists with ${clash.address}/${clash.prefixLength} (purpose ${clash.purpose ?? 'none'}), ` +
        `not ${formatIpv4Block(block)} as its name says; rename or delete it, then retry`,
    );
  }
  return { name, cidr: formatIpv4Block(block), jobs: jobsPerRange(block.prefix, nodesPerJob), isNew: true, block };
}

/** The free blocks of the pools together cannot hold the shortfall (422: nothing was changed). */
export class PoolExhausted extends SafetyError {}

/** Even empty pools could never hold the shortfall (400: ask for less or widen a pool). */
export class PoolTooSmall extends ConfigError {}

/**
 * The pools cannot hold this run *now*, but would with nothing else on the network: the shortfall
 * is the other runs' current demand (running or queued Vertex jobs, runs prepared and not started).
 * Temporary, so a 503 (`failureKind`): the caller retries and fits once they end.
 */
export class PoolBusy extends Error {
  override readonly name = 'PoolBusy';
  readonly failureKind = 'transient';
  constructor(
    /** What holds the capacity now: each other run's `source` (a Vertex job, `reservation <runId>`). */
    readonly waitingFor: readonly string[],
    requested: number,
    nodesPerJob: number,
    /** The refusal the pools give with the other runs counted (what is free, how much is missing). */
    readonly shortNow: string,
  ) {
    super(
      `peeringRanges: ${requested} concurrent jobs of ≤ ${nodeTier(nodesPerJob)} nodes fit the pools with nothing else on the network, ` +
        `but not beside what runs or is prepared there now: ${waitingFor.join(', ')}. Nothing was changed; ` +
        'retry once they end (the workflow waits and retries).',
    );
  }
}

export function parsePools(pools: readonly string[]): Ipv4Block[] {
  if (pools.length === 0)
    throw new ConfigError(
      'peeringRanges: no allocation pool configured; set at least one IPv4 CIDR such as 10.98.0.0/15',
    );
  return pools.map((p) => {
    const block = parseObserved(p, 'allocation pool');
    if (!block) throw new ConfigError(`allocation pool ${p}: must be IPv4 (PSA ranges for Vertex are IPv4)`);
    return block;
  });
}

/** Every free aligned block a greedy largest-first walk finds, for the exhaustion message. */
export function freeBlocks(
  pools: readonly Ipv4Block[],
  nodesPerJob: number,
  taken: readonly Ipv4Block[],
): { cidr: string; jobs: number }[] {
  const found: Ipv4Block[] = [];
  const smallest = jobBlockPrefix(nodesPerJob) - 1;
  for (const pool of pools) {
    for (let prefix = pool.prefix; prefix <= smallest;) {
      const block = findFreeBlock(pool, prefix, [...taken, ...found]);
      if (block) found.push(block);
      else prefix += 1;
    }
  }
  return found.map((b) => ({ cidr: formatIpv4Block(b), jobs: jobsPerRange(b.prefix, nodesPerJob) }));
}

function exhausted(
  shortfall: number,
  nodesPerJob: number,
  pools: readonly Ipv4Block[],
  taken: readonly Ipv4Block[],
  opts: RangePlanOptions,
): PoolExhausted {
  const free = freeBlocks(pools, nodesPerJob, taken);
  const total = free.reduce((sum, f) => sum + f.jobs, 0);
  const listed = free.length
    ? `free: ${free
        .slice(0, 12)
        .map((f) => `${f.cidr} (${f.jobs})`)
        .join(', ')}${free.length > 12 ? `, … ${free.length - 12} more` : ''}, ${total} job(s) in all`
    : 'no free block holds even one such job';
  return new PoolExhausted(
    `peeringRanges: pool exhausted: ${shortfall} more concurrent jobs of ≤ ${nodeTier(nodesPerJob)} nodes do not fit in ${opts.pools.join(', ')} ` +
      `(${listed}; every other block overlaps an address, subnet, route, peer-imported or reserved range). ` +
      'Nothing was changed. Widen or add a pool, release an unused range, or ask for fewer parallel jobs.',
  );
}

function tooLarge(shortfall: number, nodesPerJob: number, ceiling: number, opts: RangePlanOptions): PoolTooSmall {
  return new PoolTooSmall(
    `peeringRanges: ${shortfall} more concurrent jobs of ≤ ${nodeTier(nodesPerJob)} nodes are more than the pools ${opts.pools.join(', ')} could ever hold ` +
      `(at most ${ceiling} such jobs, even empty); ask for fewer parallel jobs or configure a larger pool`,
  );
}
