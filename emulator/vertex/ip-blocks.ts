/**
 * Where Vertex AI puts a training job's nodes in the consumer's Private Service Access ranges, and
 * when it cannot: the reason a run with too small ranges fails.
 *
 * Source: Vertex AI, "Use private IP for custom training", "Reserve IP ranges for custom training"
 * (https://cloud.google.com/vertex-ai/docs/training/using-private-ip): the maximum number of
 * parallel training jobs per reserved range, "assuming the range is used almost exclusively by
 * Vertex AI":
 *
 * | nodes per job | /16 | /17 | /18 |
 * |---------------|-----|-----|-----|
 * | ≤ 8           | 63  | 31  | 15  |
 * | ≤ 16          | 31  | 15  | 7   |
 * | ≤ 32          | 15  | 7   | 3   |
 *
 * The model that gives exactly that table: a job of ≤ 8 nodes takes an aligned /22 of one range
 * (≤ 16 a /21, ≤ 32 a /20: the block doubles with the node tier), and in each range the lowest block
 * of the job's size is kept back (/16 = 64 × /22 → 63 jobs). Above 32 nodes the page gives no
 * number; the emulator keeps doubling (≤ 64 nodes → /19), an extrapolation. A job may use any of
 * its reserved ranges (`reservedIpRanges`, else every range on the connection) but only one of them.
 * Blocks are held from the moment the job is created (QUEUED) until it ends, so jobs queued on the
 * same ranges count as well as running ones.
 *
 * When no range has a free block the job fails as Service Networking refuses a producer that runs
 * out of allocated space: `FAILED_PRECONDITION` (9) "Couldn't find free blocks in allocated IP
 * ranges. Please allocate new ranges for this service provider." (Cloud SQL troubleshooting,
 * https://cloud.google.com/sql/docs/postgres/troubleshooting, "Failed to create subnetwork";
 * code 9 as reported in GoogleCloudPlatform/magic-modules#10365).
 */
import { addressCidr, ipv4Interval } from '../compute/addresses.js';
import type { Resource } from '../store.js';

export const IP_EXHAUSTED_CODE = 9;
export const IP_EXHAUSTED_MESSAGE =
  "Failed to create subnetwork. Couldn't find free blocks in allocated IP ranges. Please allocate new ranges for this service provider.";

/** Prefix length of the block one job of `nodes` nodes takes: /22 for ≤ 8, one bit less per doubling. */
export function jobBlockPrefix(nodes: number): number {
  let tier = 8;
  let prefix = 22;
  while (nodes > tier) {
    tier *= 2;
    prefix -= 1;
  }
  return prefix;
}

export interface HeldBlock {
  job: string;
  network: string;
  range: string;
  start: number;
  prefix: number;
}

/** The blocks the active jobs of every network hold. */
export class IpBlocks {
  private readonly held = new Map<string, HeldBlock>();

  /**
   * Reserves a block for `job` (`nodes` nodes) in the first of `ranges` (allocated-range addresses
   * of `network`) that has one free; undefined when none has.
   */
  allocate(job: string, network: string, nodes: number, ranges: readonly Resource[]): HeldBlock | undefined {
    if (nodes < 1) return undefined;
    const prefix = jobBlockPrefix(nodes);
    const size = 2 ** (32 - prefix);
    for (const range of ranges) {
      const span = ipv4Interval(addressCidr(range));
      if (!span) continue;
      const taken = [...this.held.values()].filter((b) => b.network === network);
      // The lowest block of the job's size stays back: start one block in.
      for (let start = span[0] + size; start + size <= span[1]; start += size) {
        if (taken.some((b) => b.start < start + size && start < b.start + 2 ** (32 - b.prefix))) continue;
        const block = { job, network, range: range.name, start, prefix };
        this.held.set(job, block);
        return block;
      }
    }
    return undefined;
  }

  release(job: string): void {
    this.held.delete(job);
  }

  /** Jobs holding a block in the allocated range `range` of `network`. */
  usersOf(network: string, range: string): string[] {
    return [...this.held.values()].filter((b) => b.network === network && b.range === range).map((b) => b.job);
  }
}
