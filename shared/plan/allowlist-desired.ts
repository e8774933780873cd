/**
 * Desired state of one policy's allowlist: the file's lists targeting it, with expired entries
 * dropped, symbolic sources replaced by their resolved addresses, and each list merged into its
 * minimal CIDR set. Pure: the clock (`now`) and the resolved sources are passed in.
 *
 * The world-open and minimum-prefix rules judge each entry and then the result: the ranges of
 * every list of the policy merged together, IPv4-mapped IPv6 judged as IPv4 (shared/allowlist/safety.ts).
 */
import { aggregate, parseCidr, subtract, toCidrs, tryParseCidr, type ParsedCidr } from '../net/cidr.js';
import type { Allowlist, AllowlistEntry, AllowlistList, ResolvedSources } from '../allowlist/model.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import { isExpiredAt } from '../allowlist/expiry.js';
import type { AllowlistMode, AllowlistSafety } from '../allowlist/schema.js';
import { mergedProblems, reportedAs, wideRangeReason } from '../allowlist/safety.js';
import type { PriorityBand } from './allowlist-rules.js';

export interface DesiredList {
  readonly name: string;
  readonly preview: boolean;
  /** Minimal CIDR set of the list's unexpired entries (contained and adjacent ranges merged). */
  readonly cidrs: readonly string[];
}

/** An entry the clock has dropped, named the way the file names it (for the log and `netreflex status`). */
export interface ExpiredEntry {
  readonly list: string;
  /** `cidr`/`ip` text, or `cloudNat router/nat`. */
  readonly entry: string;
  readonly description: string;
  /** ISO 8601 instant. */
  readonly expires: string;
  /** What it allowed (a Cloud NAT's IPs when they are known). */
  readonly cidrs: readonly string[];
  /** `file:line:column` of the entry. */
  readonly where: string;
  /** `lists.partners.entries[2]`. */
  readonly path?: string;
}

export interface DesiredAllowlist {
  readonly policy: string;
  readonly mode: AllowlistMode;
  readonly priorities: PriorityBand;
  readonly safety: AllowlistSafety;
  readonly lists: readonly DesiredList[];
  /** Entries dropped because `expires <= now`. */
  readonly expiredEntries: number;
  readonly expired: readonly ExpiredEntry[];
  /**
   * Addresses only expired entries allowed (no live entry of any list of the policy does): their
   * removal is the file's own dated decision, so it never counts against `maxRemovalShare`.
   */
  readonly expiredCidrs: readonly string[];
}

export interface DesiredOptions {
  readonly policy: string;
  readonly now: Date;
  /** Addresses of each symbolic source, by `sourceKey`; every source the lists use must be present. */
  readonly resolved?: ResolvedSources;
}

/** Builds the desired allowlist of `policy`. Throws AllowlistSafetyError ('world-open', 'unresolved-source'). */
export function desiredAllowlist(allowlist: Allowlist, options: DesiredOptions): DesiredAllowlist {
  const unresolved: string[] = [];
  const tooWide: string[] = [];
  const reported = new Set<string>();
  const expired: ExpiredEntry[] = [];
  const expiredRanges: ParsedCidr[] = [];
  const merged: { name: string; ranges: ParsedCidr[] }[] = [];
  const lists = allowlist.lists
    .filter((list) => list.policies.includes(options.policy))
    .map((list): DesiredList => {
      const live = list.entries.filter((e) => !isExpired(e, options.now));
      for (const e of list.entries)
        if (isExpired(e, options.now)) expired.push(expiredEntry(list, e, options.resolved));
      // Stryker disable LogicalOperator: live entries added here are subtracted again below.
      for (const e of list.entries)
        if (e.kind === 'static' && isExpired(e, options.now)) expiredRanges.push(...e.cidrs.map(parseCidr));
      // Stryker restore LogicalOperator
      const ranges = live.flatMap((e) => entryRanges(e, options.resolved, unresolved));
      for (const r of ranges) {
        const reason = wideRangeReason(r, allowlist.safety);
        if (!reason) continue;
        tooWide.push(reason);
        for (const cidr of reportedAs(r)) reported.add(cidr);
      }
      merged.push({ name: list.name, ranges });
      return { name: list.name, preview: list.preview, cidrs: toCidrs(aggregate(ranges)) };
    });
  if (unresolved.length) {
    throw new AllowlistSafetyError(
      'unresolved-source',
      'Some symbolic sources have no addresses; nothing was planned (a sync would remove their callers):',
      unresolved,
    );
  }
  tooWide.push(...mergedProblems(options.policy, merged, allowlist.safety, reported));
  if (tooWide.length)
    throw new AllowlistSafetyError('world-open', 'The allowlist opens too much; nothing was planned:', [
      ...new Set(tooWide),
    ]);
  const expiredCidrs = expiredRanges.length
    ? toCidrs(subtract(aggregate(expiredRanges), aggregate(merged.flatMap((l) => l.ranges))))
    : [];
  return {
    policy: options.policy,
    mode: allowlist.mode,
    priorities: allowlist.priorities,
    safety: allowlist.safety,
    lists,
    expiredEntries: expired.length,
    expired,
    expiredCidrs,
  };
}

/** An entry is gone at its expiry instant: `expires <= now`. */
export const isExpired = isExpiredAt;

function expiredEntry(list: AllowlistList, e: AllowlistEntry, resolved: ResolvedSources | undefined): ExpiredEntry {
  const entry = e.kind === 'static' ? e.input : `cloudNat ${e.cloudNat.router}/${e.cloudNat.nat}`;
  const cidrs =
    e.kind === 'static'
      ? e.cidrs
      : (resolved?.get(e.key) ?? []).flatMap((ip) => (tryParseCidr(ip.trim()) ? [tryParseCidr(ip.trim())!.cidr] : []));
  return {
    list: list.name,
    entry,
    description: e.description,
    expires: e.expires!.toISOString(),
    cidrs,
    where: e.where,
    ...(e.path ? { path: e.path } : {}),
  };
}

function entryRanges(entry: AllowlistEntry, resolved: ResolvedSources | undefined, unresolved: string[]): ParsedCidr[] {
  if (entry.kind === 'static') return entry.cidrs.map(parseCidr);
  const addresses = resolved?.get(entry.key);
  const { nat, router, region } = entry.cloudNat;
  const name = `Cloud NAT ${nat} on router ${router}${region ? ` in ${region}` : ''} (${entry.where})`;
  if (!addresses || addresses.length === 0) {
    unresolved.push(
      `${name} resolved to ${addresses ? 'no IPs: give it MANUAL_ONLY static IPs' : 'nothing: resolve every source before planning'}`,
    );
    // Stryker disable next-line ArrayDeclaration: an unresolved source refuses the plan, so its ranges are never used.
    return [];
  }
  return addresses.flatMap((text) => {
    try {
      return [parseCidr(text.trim())];
    } catch {
      unresolved.push(`${name} resolved to "${text}", which is not an IP address`);
      // Stryker disable next-line ArrayDeclaration: an unresolved source refuses the plan, so its ranges are never used.
      return [];
    }
  });
}
