/**
 * Sets of addresses as sorted, disjoint, non-adjacent interval lists ("normalized range sets").
 *
 * Every function here takes any ranges and returns a normalized set, so callers never have to
 * think about overlap: merging contained and adjacent ranges is `aggregate`, and the minimal CIDR
 * list of a set is `toCidrs(aggregate(x))`. Hand-written because it is the product: the planner
 * runs these on every sync, and one linear sweep over bigint intervals is what makes 100k entries
 * cheap (string-based CIDR libraries re-parse on every operation).
 */
import { compareRanges, rangeSize, rangeToCidrs, type IpFamily, type IpRange } from './ip-range.js';

/** A normalized range set: sorted by family then address, no two ranges overlapping or touching. */
export type RangeSet = readonly IpRange[];

/** Merges contained, overlapping and adjacent ranges into the normalized set of their union. */
export function aggregate(ranges: Iterable<IpRange>): RangeSet {
  const sorted = [...ranges].sort(compareRanges);
  const out: IpRange[] = [];
  let current: IpRange | undefined;
  for (const range of sorted) {
    if (current && current.family === range.family && range.first <= current.last + 1n) {
      if (range.last > current.last) current = { family: current.family, first: current.first, last: range.last };
      continue;
    }
    if (current) out.push(current);
    current = { family: range.family, first: range.first, last: range.last };
  }
  if (current) out.push(current);
  return out;
}

/** Addresses in `a` and not in `b` (both normalized). One merge-like sweep. */
export function subtract(a: RangeSet, b: RangeSet): RangeSet {
  const out: IpRange[] = [];
  let j = 0;
  for (const range of a) {
    let first = range.first;
    while (j < b.length && before(b[j]!, range.family, first)) j++;
    let k = j;
    while (first <= range.last) {
      const cut = b[k];
      if (!cut || cut.family !== range.family || cut.first > range.last) {
        out.push({ family: range.family, first, last: range.last });
        break;
      }
      if (cut.first > first) out.push({ family: range.family, first, last: cut.first - 1n });
      first = cut.last + 1n;
      k++;
    }
  }
  return out;
}

/** Addresses in both sets (both normalized). */
export function intersect(a: RangeSet, b: RangeSet): RangeSet {
  return subtract(a, subtract(a, b));
}

/** Union of normalized sets. */
export function union(...sets: RangeSet[]): RangeSet {
  return aggregate(sets.flat());
}

/** True when every address of `range` is in the normalized set. Binary search: O(log n). */
export function contains(set: RangeSet, range: IpRange): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = set[mid]!;
    if (before(candidate, range.family, range.first)) lo = mid + 1;
    else if (after(candidate, range.family, range.first)) hi = mid - 1;
    else return candidate.last >= range.last;
  }
  return false;
}

/** True when every address of `inner` is in `outer` (both normalized). */
export function isSubset(inner: RangeSet, outer: RangeSet): boolean {
  return subtract(inner, outer).length === 0;
}

/** Number of addresses in a normalized set, optionally of one family only. */
export function addressCount(set: RangeSet, family?: IpFamily): bigint {
  let n = 0n;
  for (const range of set) if (family === undefined || range.family === family) n += rangeSize(range);
  return n;
}

/** The minimal CIDR list of a normalized set (greedy per interval, which is optimal). */
export function toCidrs(set: RangeSet): string[] {
  return set.flatMap(rangeToCidrs);
}

/** `range` ends before the address (family, first). */
function before(range: IpRange, family: IpFamily, first: bigint): boolean {
  return range.family < family || (range.family === family && range.last < first);
}

/** `range` starts after the address (family, first). */
function after(range: IpRange, family: IpFamily, first: bigint): boolean {
  return range.family > family || (range.family === family && range.first > first);
}
