/**
 * The static safety rules of an allowlist, shared by the file validator (so `netreflex validate`
 * catches them before upload) and the planner (so a resolved source or a programmatic caller
 * cannot bypass them).
 *
 * They judge what a policy will let through, not only each line: the ranges of every list that
 * targets a policy are merged first (16,384 neighbouring /16s are one 0.0.0.0/2, two lists can add
 * up to a whole family), and IPv4-mapped IPv6 (`::ffff:0:0/96`, RFC 4291 §2.5.5.2) is judged as
 * the IPv4 it stands for — `::ffff:0:0/96` is every IPv4 address, whatever its IPv6 prefix says.
 */
import {
  aggregate,
  FAMILY_BITS,
  intersect,
  parseCidr,
  rangeSize,
  toCidrs,
  type IpRange,
  type ParsedCidr,
  type RangeSet,
} from '../net/cidr.js';
import type { AllowlistSafety } from './schema.js';

/** `::ffff:0:0/96`: IPv6 addresses that carry an IPv4 address in their last 32 bits. */
export const IPV4_MAPPED: IpRange = { family: 6, first: 0xffff_0000_0000n, last: 0xffff_ffff_ffffn };

/** The IPv4 addresses an IPv6 range reaches through the IPv4-mapped block, as an IPv4 range. */
export function mappedIpv4(range: IpRange): IpRange | undefined {
  if (range.family !== 6) return undefined;
  const part = intersect([range], [IPV4_MAPPED])[0];
  return part ? { family: 4, first: part.first - IPV4_MAPPED.first, last: part.last - IPV4_MAPPED.first } : undefined;
}

/** A set as the safety rules see it: the IPv4 it reaches through mapped IPv6 added to its IPv4. */
export function judged(set: Iterable<IpRange>): RangeSet {
  const ranges = [...set];
  const mapped = ranges.flatMap((r) => {
    const v4 = mappedIpv4(r);
    return v4 ? [v4] : [];
  });
  return aggregate([...ranges, ...mapped]);
}

/**
 * Why this range is refused without `allowWorldOpen`, or undefined when it is acceptable.
 * World-open means the whole family (`*`, 0.0.0.0/0, ::/0); too wide means a prefix shorter than
 * `minPrefixLength` — both are the mistakes that turn an allowlist into no list at all. An IPv6
 * range that reaches IPv4-mapped addresses is judged for those as IPv4 too.
 */
export function wideRangeReason(range: ParsedCidr, safety: AllowlistSafety): string | undefined {
  if (safety.allowWorldOpen) return undefined;
  const own = prefixReason(range, safety);
  if (own) return own;
  const v4 = mappedIpv4(range);
  if (!v4) return undefined;
  const reasons = toCidrs([v4])
    .map((c) => prefixReason(parseCidr(c), safety))
    .filter((r): r is string => r !== undefined);
  return reasons.length
    ? `${range.cidr} reaches IPv4 through IPv4-mapped addresses (::ffff:0:0/96) and is judged as IPv4: ${reasons[0]}`
    : undefined;
}

function prefixReason(range: ParsedCidr, safety: AllowlistSafety): string | undefined {
  if (range.prefixLength === 0) {
    return `${range.cidr} opens the endpoint to the whole ${familyName(range)} internet; set safety.allowWorldOpen: true if that is really meant`;
  }
  const min = range.family === 4 ? safety.minPrefixLength.ipv4 : safety.minPrefixLength.ipv6;
  if (range.prefixLength < min) {
    return (
      `${range.cidr} is wider than the minimum prefix /${min} for ${familyName(range)}; lower ` +
      `safety.minPrefixLength.${range.family === 4 ? 'ipv4' : 'ipv6'} or set safety.allowWorldOpen: true ` +
      `if that is really meant`
    );
  }
  return undefined;
}

/** Canonical CIDRs a reported range stands for (itself and the IPv4 it reaches when mapped), for `mergedProblems`. */
export function reportedAs(range: IpRange & { cidr: string }): string[] {
  const v4 = mappedIpv4(range);
  return [range.cidr, ...(v4 ? toCidrs([v4]) : [])];
}

/** True when the merged set covers a whole family: many narrow entries can add up to the world. */
export function coversWholeFamily(set: readonly IpRange[]): IpRange | undefined {
  return set.find((r) => r.first === 0n && r.last === (1n << BigInt(FAMILY_BITS[r.family])) - 1n);
}

export interface ListRanges {
  readonly name: string;
  readonly ranges: readonly IpRange[];
}

/**
 * What the lists targeting `policy` open together, merged and judged: every merged range wider
 * than the minimum (or world-open), and a whole family covered. `alreadyReported` holds the
 * canonical CIDRs of single entries whose own problem was reported already, so one /8 entry is not
 * reported twice. Empty when `allowWorldOpen` is set.
 */
export function mergedProblems(
  policy: string,
  lists: readonly ListRanges[],
  safety: AllowlistSafety,
  alreadyReported: ReadonlySet<string> = new Set(),
): string[] {
  if (safety.allowWorldOpen) return [];
  const merged = judged(lists.flatMap((l) => l.ranges));
  const contributors = (range: IpRange) =>
    lists.filter((l) => intersect(judged(l.ranges), [range]).length > 0).map((l) => l.name);
  const problems: string[] = [];
  const whole = coversWholeFamily(merged);
  if (whole && !toCidrs([whole]).every((c) => alreadyReported.has(c)))
    problems.push(
      `policy ${policy}: lists ${contributors(whole).join(', ')} together cover every IPv${whole.family} ` +
        `address; set safety.allowWorldOpen: true if that is really meant`,
    );
  const narrowest = { 4: safety.minPrefixLength.ipv4, 6: safety.minPrefixLength.ipv6 };
  for (const range of merged) {
    // A CIDR shorter than /min holds at least 2^(bits − min + 1) addresses: smaller ranges cannot contain one.
    if (range === whole || rangeSize(range) < 1n << BigInt(FAMILY_BITS[range.family] - narrowest[range.family] + 1))
      continue;
    for (const cidr of toCidrs([range])) {
      if (alreadyReported.has(cidr)) continue;
      const reason = prefixReason(parseCidr(cidr), safety);
      if (reason) problems.push(`policy ${policy}: lists ${contributors(range).join(', ')} merge into ${reason}`);
    }
  }
  return problems;
}

function familyName(range: { family: 4 | 6 }): string {
  return range.family === 4 ? 'IPv4' : 'IPv6';
}
