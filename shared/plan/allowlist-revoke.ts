/**
 * Revocations first. A removal no remaining add depends on — an entry revoked, expired or
 * narrowed — must not wait behind the adds of the same sync: if an add then fails (quota, a
 * transient error that outlasts the retries), the revoked address would stay allowed. So every
 * sync in `sync` mode starts with these steps, planned from the current rules alone:
 *
 *   each owned, enforced allow rule keeps exactly the part of its ranges that some enforced list
 *   of the policy still allows; a rule left with nothing is removed.
 *
 * Dropping an address no enforced list allows can never lock out a caller who stays allowed, so
 * the steps are safe in any order. The only add they can need is when trimming splits a range into
 * more than 10 pieces: the pieces beyond the rule's 10 go into new rules of the same list, added
 * first. Preview and non-allow rules let nobody through, so there is nothing to revoke in them.
 *
 * The same steps are all a sync does while the live file is refused or missing (planned against
 * the last applied file, so its entries still leave when they expire) and what it does to the
 * rules it provably owns while another rule of the policy is in an ownership conflict.
 */
import { AllowlistSafetyError } from '../allowlist/errors.js';
import { aggregate, parseCidr, subtract, toCidrs, type IpRange, type RangeSet } from '../net/cidr.js';
import type { DesiredAllowlist } from './allowlist-desired.js';
import type { AllowlistStep } from './allowlist-order.js';
import {
  allowedBy,
  allowRule,
  isEnforcedAllow,
  MAX_RANGES_PER_RULE,
  type OwnedRule,
  type PriorityBand,
} from './allowlist-rules.js';

/** Addresses the enforced lists of `desired` allow. */
export function enforcedWant(desired: DesiredAllowlist): RangeSet {
  return aggregate(desired.lists.filter((l) => !l.preview).flatMap((l) => l.cidrs.map(parseCidr)));
}

/**
 * The revocation steps for `owned` (ascending priority): adds for split overflow, then patches and
 * removals. `used` holds every priority the policy has, so new rules take free ones of the band;
 * `allowed` is what the owned rules let through now, when the caller has it.
 */
export function planRevocations(
  desired: DesiredAllowlist,
  owned: readonly OwnedRule[],
  used: ReadonlySet<number>,
  allowed: RangeSet = allowedBy(owned.map((o) => o.rule)),
): AllowlistStep[] {
  const revoked = subtract(allowed, enforcedWant(desired));
  // Stryker disable next-line ConditionalExpression: a shortcut; with nothing revoked the loop plans nothing either.
  if (revoked.length === 0) return [];
  const taken = new Set(used);
  const adds: AllowlistStep[] = [];
  const trims: AllowlistStep[] = [];
  for (const rule of owned) {
    if (!isEnforcedAllow(rule.rule)) continue;
    const kept = keptRanges(rule.ranges, revoked);
    if (kept === rule.ranges) continue;
    if (kept.length === 0) {
      trims.push({ kind: 'removeRule', priority: rule.priority, list: rule.list, before: rule.rule });
      continue;
    }
    for (let i = MAX_RANGES_PER_RULE; i < kept.length; i += MAX_RANGES_PER_RULE) {
      const priority = freePriority(desired.priorities, taken, rule.list);
      adds.push({
        kind: 'addRule',
        priority,
        list: rule.list,
        rule: allowRule(priority, rule.list, kept.slice(i, i + MAX_RANGES_PER_RULE), false),
      });
    }
    trims.push({
      kind: 'patchRule',
      priority: rule.priority,
      list: rule.list,
      rule: allowRule(rule.priority, rule.list, kept.slice(0, MAX_RANGES_PER_RULE), false),
      before: rule.rule,
    });
  }
  return [...adds, ...trims];
}

/**
 * Each range without its revoked addresses: as it is when none are in it, else what is left of it
 * (possibly nothing). Answers `ranges` itself when nothing changes. A range of an enforced rule is
 * inside `allowed`, so "minus the revoked part" is exactly "the part some enforced list still wants".
 */
function keptRanges(ranges: readonly string[], revoked: RangeSet): readonly string[] {
  let changed = false;
  const kept = ranges.flatMap((cidr) => {
    const range = parseCidr(cidr);
    const cut = overlapping(revoked, range);
    if (cut.length === 0) return [cidr];
    changed = true;
    return toCidrs(subtract([range], cut));
  });
  return changed ? kept : ranges;
}

/** The ranges of the normalized set `set` that may overlap `range` (binary search: a 100,000-range set stays cheap). */
function overlapping(set: RangeSet, range: IpRange): RangeSet {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = set[mid]!;
    if (r.family < range.family || (r.family === range.family && r.last < range.first)) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < set.length && set[end]!.family === range.family && set[end]!.first <= range.last) end++;
  // Stryker disable next-line MethodExpression: the window only saves time; cutting with the whole set gives the same ranges.
  return set.slice(lo, end);
}

function freePriority(band: PriorityBand, taken: Set<number>, list: string): number {
  for (let p = band.from; p <= band.to; p++) {
    if (!taken.has(p)) {
      taken.add(p);
      return p;
    }
  }
  throw new AllowlistSafetyError(
    'band-full',
    `Revoking part of a range of list ${list} splits it into more than ${MAX_RANGES_PER_RULE} ranges, ` +
      `and the band ${band.from}–${band.to} has no free priority for the rest; nothing was planned. Widen priorities.`,
  );
}
