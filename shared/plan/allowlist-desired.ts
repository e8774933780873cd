/**
 * Desired state of one policy's allowlist: the file's lists targeting it, with expired entries
 * dropped, symbolic sources replaced by their resolved addresses, and each list merged into its
 * minimal CIDR set. Pure: the clock (`now`) and the resolved sources are passed in.
 */
import { aggregate, parseCidr, toCidrs, type ParsedCidr } from '../net/cidr.js';
import type { AllowlistConfig, AllowlistEntry, AllowlistList, ResolvedSources } from '../allowlist/config.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import { isExpiredAt } from '../allowlist/expiry.js';
import type { AllowlistMode, AllowlistSafety } from '../allowlist/schema.js';
import { coversWholeFamily, wideRangeReason } from '../allowlist/safety.js';
import type { PriorityBand } from './allowlist-rules.js';

export interface DesiredList {
  readonly name: string;
  readonly preview: boolean;
  /** Minimal CIDR set of the list's unexpired entries (contained and adjacent ranges merged). */
  readonly cidrs: readonly string[];
}

export interface DesiredAllowlist {
  readonly policy: string;
  readonly mode: AllowlistMode;
  readonly priorities: PriorityBand;
  readonly safety: AllowlistSafety;
  readonly lists: readonly DesiredList[];
  /** Entries dropped because `expires <= now`. */
  readonly expiredEntries: number;
}

export interface DesiredOptions {
  readonly policy: string;
  readonly now: Date;
  /** Addresses of each symbolic source, by `sourceKey`; every source the lists use must be present. */
  readonly resolved?: ResolvedSources;
}

/** Builds the desired allowlist of `policy`. Throws AllowlistSafetyError ('world-open', 'unresolved-source'). */
export function desiredAllowlist(config: AllowlistConfig, options: DesiredOptions): DesiredAllowlist {
  const unresolved: string[] = [];
  const tooWide: string[] = [];
  let expiredEntries = 0;
  const lists = config.lists
    .filter((list) => list.policies.includes(options.policy))
    .map((list): DesiredList => {
      const live = list.entries.filter((e) => !isExpired(e, options.now));
      expiredEntries += list.entries.length - live.length;
      const ranges = live.flatMap((e) => entryRanges(e, options.resolved, unresolved));
      for (const r of ranges) pushIf(tooWide, wideRangeReason(r, config.safety));
      return desiredList(list, ranges, config.safety, tooWide);
    });
  if (unresolved.length) {
    throw new AllowlistSafetyError('unresolved-source', 'Some symbolic sources have no addresses; nothing was planned (a sync would remove their callers):', unresolved);
  }
  if (tooWide.length) throw new AllowlistSafetyError('world-open', 'The allowlist opens too much; nothing was planned:', tooWide);
  return { policy: options.policy, mode: config.mode, priorities: config.priorities, safety: config.safety, lists, expiredEntries };
}

/** An entry is gone at its expiry instant: `expires <= now`. */
export const isExpired = isExpiredAt;

function desiredList(list: AllowlistList, ranges: ParsedCidr[], safety: AllowlistSafety, tooWide: string[]): DesiredList {
  const set = aggregate(ranges);
  const whole = safety.allowWorldOpen ? undefined : coversWholeFamily(set);
  if (whole) tooWide.push(`list ${list.name}: its entries together cover every IPv${whole.family} address; set safety.allowWorldOpen: true if that is really meant`);
  return { name: list.name, preview: list.preview, cidrs: toCidrs(set) };
}

function entryRanges(entry: AllowlistEntry, resolved: ResolvedSources | undefined, unresolved: string[]): ParsedCidr[] {
  if (entry.kind === 'static') return entry.cidrs.map(parseCidr);
  const addresses = resolved?.get(entry.key);
  const name = `Cloud NAT ${entry.cloudNat.nat} on router ${entry.cloudNat.router}${entry.cloudNat.region ? ` in ${entry.cloudNat.region}` : ''} (${entry.where})`;
  if (!addresses || addresses.length === 0) {
    unresolved.push(`${name} resolved to ${addresses ? 'no IPs: give it MANUAL_ONLY static IPs' : 'nothing: resolve every source before planning'}`);
    return [];
  }
  return addresses.flatMap((text) => {
    try {
      return [parseCidr(text.trim())];
    } catch {
      unresolved.push(`${name} resolved to "${text}", which is not an IP address`);
      return [];
    }
  });
}

function pushIf(out: string[], message: string | undefined): void {
  if (message) out.push(message);
}
