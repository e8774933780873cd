/**
 * The static safety rules of an allowlist, shared by the file validator (so `netreflex validate`
 * catches them before upload) and the planner (so a resolved source or a programmatic caller
 * cannot bypass them).
 */
import { FAMILY_BITS, type IpRange, type ParsedCidr } from '../net/cidr.js';
import type { AllowlistSafety } from './schema.js';

/**
 * Why this range is refused without `allowWorldOpen`, or undefined when it is acceptable.
 * World-open means the whole family (`*`, 0.0.0.0/0, ::/0); too wide means a prefix shorter than
 * `minPrefixLength` — both are the mistakes that turn an allowlist into no list at all.
 */
export function wideRangeReason(range: ParsedCidr, safety: AllowlistSafety): string | undefined {
  if (safety.allowWorldOpen) return undefined;
  if (range.prefixLength === 0) {
    return `${range.cidr} opens the endpoint to the whole ${familyName(range)} internet; set safety.allowWorldOpen: true if that is really meant`;
  }
  const min = range.family === 4 ? safety.minPrefixLength.ipv4 : safety.minPrefixLength.ipv6;
  if (range.prefixLength < min) {
    return `${range.cidr} is wider than the minimum prefix /${min} for ${familyName(range)}; lower safety.minPrefixLength.${range.family === 4 ? 'ipv4' : 'ipv6'} or set safety.allowWorldOpen: true if that is really meant`;
  }
  return undefined;
}

/** True when the merged set covers a whole family: many narrow entries can add up to the world. */
export function coversWholeFamily(set: readonly IpRange[]): IpRange | undefined {
  return set.find((r) => r.first === 0n && r.last === (1n << BigInt(FAMILY_BITS[r.family])) - 1n);
}

function familyName(range: { family: 4 | 6 }): string {
  return range.family === 4 ? 'IPv4' : 'IPv6';
}
