/**
 * How many concurrent Vertex AI training jobs (each pipeline component is one) fit in the Private
 * Service Access ranges a PipelineJob may use.
 *
 * Source: Vertex AI documentation, "Use private IP for custom training", section "Reserve IP ranges
 * for custom training" (https://cloud.google.com/vertex-ai/docs/training/using-private-ip). Its
 * table, for a range used almost exclusively by Vertex AI:
 *
 * | nodes per job | /16 | /17 | /18 |
 * |---------------|-----|-----|-----|
 * | ≤ 8           | 63  | 31  | 15  |
 * | ≤ 16          | 31  | 15  | 7   |
 * | ≤ 32          | 15  | 7   | 3   |
 *
 * Derivation: every cell is `2^(b − p) − 1`, where `p` is the range's prefix length and `b` the
 * prefix of the block one job takes: a /22 (1024 addresses) for ≤ 8 nodes, a /21 for ≤ 16, a /20
 * for ≤ 32 — i.e. `b = 25 − log2(tier)`. A range holds `2^(b − p)` such blocks and one of them is
 * kept back (/16 → 64 blocks of /22 → 63 jobs). The same formula gives the sample topology's /21
 * exactly one 8-node job, which is what the seed article observed. Ranges smaller than two job
 * blocks hold no job of that tier.
 *
 * Node counts between tiers round up to the next tier (a 5-node job is planned as an 8-node job,
 * a 12-node job as 16): Vertex sizes the block by the tier, not the exact count. Above 32 nodes
 * per job the documentation gives no numbers, so the planner refuses rather than extrapolate.
 *
 * Several ranges: capacity is the sum over ranges, each range keeping its own block back. Vertex
 * places a job inside one range, so blocks never pool across ranges; if the reserve is really one
 * per connection this under-counts slightly, which is the safe direction.
 */
import { ConfigError } from '../errors.js';

/** The node-count tiers the Vertex table documents, smallest first. */
export const NODE_TIERS = [8, 16, 32] as const;
export type NodeTier = (typeof NODE_TIERS)[number];

/** Block prefix one job of each tier occupies (`25 − log2(tier)`). */
const JOB_BLOCK_PREFIX: Record<NodeTier, number> = { 8: 22, 16: 21, 32: 20 };

/**
 * The documented tier a job of `nodesPerJob` nodes falls into (rounded up). Throws ConfigError for
 * a count that is not a positive integer or is above the largest documented tier.
 */
export function nodeTier(nodesPerJob: number): NodeTier {
  if (!Number.isInteger(nodesPerJob) || nodesPerJob < 1) {
    throw new ConfigError(
      `nodes per job must be a positive integer (got ${nodesPerJob}); count every replica of every worker pool of one job`,
    );
  }
  const tier = NODE_TIERS.find((t) => nodesPerJob <= t);
  if (tier === undefined) {
    throw new ConfigError(
      `nodes per job ${nodesPerJob} is above ${NODE_TIERS.at(-1)}, the largest size the Vertex AI private IP capacity table documents; ` +
        `split the job into jobs of at most ${NODE_TIERS.at(-1)} nodes, or size the range by hand and pass its name in reservedIpRanges`,
    );
  }
  return tier;
}

/** The prefix length of the block one job of this many nodes occupies. */
export function jobBlockPrefix(nodesPerJob: number): number {
  return JOB_BLOCK_PREFIX[nodeTier(nodesPerJob)];
}

/** Concurrent jobs of `nodesPerJob` nodes that fit in one range of prefix `/prefixLength`. */
export function jobsPerRange(prefixLength: number, nodesPerJob: number): number {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new ConfigError(`prefix length must be an integer from 0 to 32 (got ${prefixLength})`);
  }
  const blockPrefix = jobBlockPrefix(nodesPerJob);
  // Stryker disable next-line EqualityOperator: at prefixLength === blockPrefix both branches are 0 (2^0 − 1)
  return prefixLength > blockPrefix ? 0 : 2 ** (blockPrefix - prefixLength) - 1;
}

/**
 * The largest prefix (smallest range) that holds `jobs` concurrent jobs of `nodesPerJob` nodes:
 * the inverse of {@link jobsPerRange}, `b − ⌈log2(jobs + 1)⌉`.
 */
export function prefixForJobs(jobs: number, nodesPerJob: number): number {
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new ConfigError(`parallel jobs must be a positive integer (got ${jobs})`);
  }
  const blockPrefix = jobBlockPrefix(nodesPerJob);
  let bits = 0;
  while (2 ** bits < jobs + 1) bits += 1;
  return blockPrefix - bits;
}

/** Concurrent jobs of `nodesPerJob` nodes that a set of ranges holds: the sum over the ranges. */
export function capacityOf(ranges: readonly { prefixLength: number }[], nodesPerJob: number): number {
  return ranges.reduce((sum, range) => sum + jobsPerRange(range.prefixLength, nodesPerJob), 0);
}

/**
 * The address space one job of `nodes` nodes takes, in /22 units (the block of a ≤ 8-node job):
 * 1 for ≤ 8 nodes, 2 for ≤ 16, 4 for ≤ 32 — doubling with the tier, as the table's blocks do.
 * Above the documented 32 nodes the block keeps doubling (an extrapolation, as for the local
 * Vertex AI).
 */
export function unitsOf(nodes: number): number {
  let units = 1;
  for (let size = 8; nodes > size; size *= 2) units *= 2;
  return units;
}

/**
 * Other jobs of mixed sizes, in blocks of `tier`-sized jobs: their /22 units together, rounded up
 * to whole blocks of ours. A ≤ 32-node job takes four ≤ 8-node blocks; four ≤ 8-node jobs take
 * one ≤ 32-node block — on the assumption, which is how aligned first-fit placement behaves, that
 * small jobs pack into the lowest free blocks rather than spread one per large block.
 */
export function blocksTakenBy(jobs: readonly { jobs: number; nodesPerJob: number }[], tier: NodeTier): number {
  const units = jobs.reduce((sum, j) => sum + j.jobs * unitsOf(j.nodesPerJob), 0);
  return Math.ceil(units / unitsOf(tier));
}
