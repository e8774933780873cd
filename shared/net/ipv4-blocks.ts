/**
 * Aligned IPv4 block math for allocating Private Service Access ranges.
 *
 * A PSA allocated range is a global address with an `address` and a `prefixLength`, and Compute
 * rejects one whose address is not aligned to its size. So allocation here works on aligned blocks
 * only: a block is `start` (an unsigned 32-bit integer) plus `prefix`, with `start` a multiple of
 * the block size. Parsing goes through the strict parser of ip-range.ts; IPv6 inputs parse to `undefined` because they can
 * never collide with an IPv4 pool (IPv6 subnets and routes are simply irrelevant here).
 */
import { parseCidr, type ParsedCidr } from './ip-range.js';

/** An aligned IPv4 CIDR block. `start` is the network address as an unsigned 32-bit integer. */
export interface Ipv4Block {
  readonly start: number;
  readonly prefix: number;
}

/** Number of addresses in a block of this prefix length (2^32 for /0, 1 for /32). */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** One past the last address of the block (may be 2^32). */
export function blockEnd(block: Ipv4Block): number {
  return block.start + blockSize(block.prefix);
}

/**
 * Parses `10.98.0.0/21` (or a bare address, read as /32) into a block. Host bits are cleared, so
 * a route to `10.1.2.3/16` is treated as the whole /16 it touches. Returns `undefined` for IPv6;
 * throws a RangeError naming the text when it is neither. Parsing goes through the strict,
 * cached parser of shared/net/ip-range.ts: a crowded address plan is 20,000 ranges, and
 * ipaddr.js made parsing most of the planning time (`npm run bench`, range allocation).
 */
export function parseIpv4Block(text: string): Ipv4Block | undefined {
  let parsed: ParsedCidr;
  try {
    parsed = parseCidr(text.trim());
  } catch {
    throw new RangeError(`"${text}" is not an IP range (expected e.g. 10.98.0.0/21)`);
  }
  if (parsed.family !== 4) return undefined;
  return { start: Number(parsed.first), prefix: parsed.prefixLength };
}

/** Formats a block as `a.b.c.d/p`. */
export function formatIpv4Block(block: Ipv4Block): string {
  return `${numberToIpv4(block.start)}/${block.prefix}`;
}

/** The dotted address of an unsigned 32-bit integer. */
export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** True when the two blocks share at least one address. */
export function overlaps(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.start < blockEnd(b) && b.start < blockEnd(a);
}

/** True when every address of `inner` is in `outer`. */
export function contains(outer: Ipv4Block, inner: Ipv4Block): boolean {
  return outer.prefix <= inner.prefix && outer.start <= inner.start && blockEnd(inner) <= blockEnd(outer);
}

/** The smallest multiple of `size` that is ≥ `value`. */
function alignUp(value: number, size: number): number {
  return Math.ceil(value / size) * size;
}

/** Sorted, merged `[start, end)` intervals of the given blocks. */
function mergedIntervals(blocks: readonly Ipv4Block[]): [number, number][] {
  const sorted = blocks.map((b): [number, number] => [b.start, blockEnd(b)]).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/**
 * The lowest aligned block of `prefix` inside `pool` that overlaps none of `taken`, or `undefined`
 * when there is none. Walks the gaps between the merged taken intervals, so the cost is
 * O(n log n) in the number of taken blocks, whatever the pool size. Lowest-first keeps the address
 * plan compact and makes the choice deterministic, which is what lets a retry find the same block.
 */
export function findFreeBlock(pool: Ipv4Block, prefix: number, taken: readonly Ipv4Block[]): Ipv4Block | undefined {
  if (prefix < pool.prefix || prefix > 32) return undefined;
  const size = blockSize(prefix);
  let cursor = pool.start;
  for (const [start, end] of [...mergedIntervals(taken), [blockEnd(pool), blockEnd(pool)] as [number, number]]) {
    const candidate = alignUp(cursor, size);
    if (candidate + size <= Math.min(start, blockEnd(pool))) return { start: candidate, prefix };
    cursor = Math.max(cursor, end);
    if (cursor >= blockEnd(pool)) return undefined;
  }
  return undefined;
}
