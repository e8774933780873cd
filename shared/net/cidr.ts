/**
 * IPv4/IPv6 CIDR arithmetic for netreflex: the one import for parsing, merging and comparing
 * address ranges. Intervals live in `ip-range.ts`, set algebra in `range-set.ts`; this module adds
 * the string-level helpers the allowlist planner and the CLI speak.
 *
 * Host bits: `parseCidr` clears them and sets `hadHostBits`, it never fails on them. Whether that
 * is acceptable is the caller's policy: the allowlist file and the environment refuse them (an
 * entry like `198.51.100.7/24` more often means the host than the whole /24, and guessing wider
 * opens access), while addresses read back from Cloud Armor or resolved from Cloud NAT are
 * normalized silently.
 */
import { aggregate, subtract, contains, toCidrs, type RangeSet } from './range-set.js';
import { parseCidr } from './ip-range.js';

export * from './ip-range.js';
export * from './range-set.js';

/** Parses CIDR/address strings into a normalized range set. Throws `CidrSyntaxError` on bad text. */
export function rangeSetOf(cidrs: Iterable<string>): RangeSet {
  const ranges = [];
  for (const text of cidrs) ranges.push(parseCidr(text));
  return aggregate(ranges);
}

/** The minimal CIDR list covering the same addresses as `cidrs` (contained and adjacent merged). */
export function aggregateCidrs(cidrs: Iterable<string>): string[] {
  return toCidrs(rangeSetOf(cidrs));
}

/** The minimal CIDR list of the addresses in `a` and not in `b`. */
export function subtractCidrs(a: Iterable<string>, b: Iterable<string>): string[] {
  return toCidrs(subtract(rangeSetOf(a), rangeSetOf(b)));
}

/** True when every address of `cidr` is covered by the union of `cidrs`. */
export function cidrsContain(cidrs: Iterable<string>, cidr: string): boolean {
  return contains(rangeSetOf(cidrs), parseCidr(cidr));
}
