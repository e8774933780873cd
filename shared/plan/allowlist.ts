/**
 * The Cloud Armor allowlist planner: desired lists + the policy's current rules → ordered steps.
 * Pure (no SDK, no I/O, no clock): `desiredAllowlist(config, {policy, now, resolved})` builds the
 * input, `planAllowlist(desired, rules)` plans, the apply code runs the steps in order.
 *
 * Decision table (per rule of the policy; band = `priorities`, marker = "netreflex:allowlist <list>"):
 *
 *   rule                          | list desired? | sync                                  | upsert-only
 *   ------------------------------+---------------+---------------------------------------+-------------------------
 *   outside band, no marker       | -             | untouched (incl. default 2147483647)  | untouched
 *   outside band, marker          | -             | REFUSE ownership-conflict             | REFUSE
 *   inside band, no marker        | -             | REFUSE ownership-conflict             | REFUSE
 *   inside band, marker           | no            | removeRule (phase 3)                  | untouched
 *   inside band, marker           | yes           | keep desired ranges, drop the rest,   | keep all ranges, add new
 *                                 |               | add new ones while room → patchRule   | ones while room → patchRule
 *                                 |               | (phase 1 if it only adds, else 2);    | (phase 1)
 *                                 |               | nothing left → removeRule (phase 3)   |
 *   (none) desired range unplaced | yes           | addRule at lowest free priority (1)   | addRule (phase 1)
 *   body already as desired       | yes           | nothing (plan(x, x) is empty)         | nothing
 *
 * Refusals (AllowlistSafetyError, nothing planned, policy left as is):
 *   world-open         `*`, a /0, a prefix shorter than minPrefixLength, or entries adding up to a
 *                      whole family, unless safety.allowWorldOpen (checked in desiredAllowlist);
 *   unresolved-source  a symbolic source with no addresses (syncing would drop its callers);
 *   removal-share      the sync removes more than maxRemovalShare of the currently allowed
 *                      addresses of either family, unless safety.force (or options.force);
 *   band-full          more rules needed than the band has priorities;
 *   ownership-conflict see the table.
 *
 * Removal share is measured in addresses, per family (IPv4 and IPv6 apart, since one IPv6 /64
 * outweighs the whole IPv4 space): dropping a partner's /16 is a bigger change than dropping a
 * dozen /32s, and counting entries would let "one entry" hide a /8. Turning enforced rules into
 * preview counts as removal: with a default deny, a rule in preview lets nobody through.
 *
 * `dry-run` is the caller's: plan, print, do not apply.
 */
import {
  addressCount,
  aggregate,
  intersect,
  isSubset,
  rangeSetOf,
  subtract,
  toCidrs,
  type IpFamily,
  type RangeSet,
} from '../net/cidr.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import type { AllowlistMode } from '../allowlist/schema.js';
import { assignRules, type RuleState } from './allowlist-assign.js';
import type { DesiredAllowlist } from './allowlist-desired.js';
import { orderSteps, type AllowlistStep, type RuleChange } from './allowlist-order.js';
import {
  allowedBy,
  allowRule,
  isEnforcedAllow,
  ownedRules,
  partitionRules,
  ruleRanges,
  type OwnedRule,
  type PolicyRule,
} from './allowlist-rules.js';
import { enforcedWant, planRevocations } from './allowlist-revoke.js';

export { desiredAllowlist, type DesiredAllowlist } from './allowlist-desired.js';
export type { AllowlistStep } from './allowlist-order.js';
export { OWNER_MARKER, type PolicyRule } from './allowlist-rules.js';

export interface PlanAllowlistOptions {
  /** Overrides the removal-share guard for this run (e.g. `netreflex apply --force`); the file's safety.force does the same. */
  readonly force?: boolean;
}

export interface AllowlistPlan {
  readonly policy: string;
  readonly mode: AllowlistMode;
  /** In make-before-break order; apply them one by one, stop at the first failure. */
  readonly steps: readonly AllowlistStep[];
  readonly summary: AllowlistPlanSummary;
}

export interface AllowlistPlanSummary {
  readonly rulesAdded: number;
  readonly rulesPatched: number;
  readonly rulesRemoved: number;
  /** Addresses newly allowed / no longer allowed, as minimal CIDR lists. */
  readonly allowedAdded: readonly string[];
  readonly allowedRemoved: readonly string[];
  readonly expiredEntries: number;
}

/** Plans the steps that make the owned rules of the policy allow exactly the desired lists. */
export function planAllowlist(
  desired: DesiredAllowlist,
  currentRules: readonly PolicyRule[],
  options: PlanAllowlistOptions = {},
): AllowlistPlan {
  const owned = ownedRules(currentRules, desired.priorities);
  const before = allowedBy(owned.map((o) => o.rule));
  const revoke =
    desired.mode === 'sync'
      ? planRevocations(desired, owned, new Set(currentRules.map((r) => r.priority)), before)
      : [];
  // After the revocations the owned rules allow exactly what they allowed and some enforced list still wants.
  const stage = revoke.length
    ? planStage(desired, applyToOwned(owned, revoke), intersect(before, enforcedWant(desired)))
    : planStage(desired, owned, before);
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, upsert-only never stops allowing anything and an empty policy has nothing to remove; this skips the count
  if (desired.mode === 'sync' && before.length) checkRemovalShare(before, stage.after(), desired, options);
  const steps = fuse(revoke, stage.steps);
  return {
    policy: desired.policy,
    mode: desired.mode,
    steps,
    summary: summarize(steps, before, stage.after, desired.expiredEntries),
  };
}

/**
 * Only the revocations: what a sync does while the live file is refused or missing (planned against
 * the last applied file, whose entries must still leave when they expire) and, under an ownership
 * conflict, to the rules netreflex provably owns — the conflicting rules are left alone. Never adds
 * an address, so neither the removal share nor the world-open rules apply. `upsert-only` files
 * never remove anything, so they revoke nothing here either.
 */
export function planRevocationsOnly(
  desired: DesiredAllowlist,
  currentRules: readonly PolicyRule[],
): AllowlistPlan & { readonly conflicts: readonly string[] } {
  const { owned, conflicts } = partitionRules(currentRules, desired.priorities);
  const before = allowedBy(owned.map((o) => o.rule));
  const steps =
    desired.mode === 'sync'
      ? planRevocations(desired, owned, new Set(currentRules.map((r) => r.priority)), before)
      : [];
  const after = lazy(() => (steps.length ? intersect(before, enforcedWant(desired)) : before));
  return {
    policy: desired.policy,
    mode: desired.mode,
    steps,
    summary: summarize(steps, before, after, desired.expiredEntries),
    conflicts,
  };
}

/**
 * The steps from `owned` to the desired lists: stable assignment, then make-before-break order.
 * After the revocations, so what is left to do only adds addresses or moves them between rules.
 */
function planStage(
  desired: DesiredAllowlist,
  owned: readonly OwnedRule[],
  before: RangeSet,
): { steps: AllowlistStep[]; after: () => RangeSet } {
  const states = assignRules(desired, owned);
  const changes = states.flatMap((s) => ruleChange(s, desired.mode));
  const after = lazy(() => allowedBy(states.flatMap((s) => (s.kept.length + s.added.length ? [finalRule(s)] : []))));
  const stable = lazy(() => aggregate(states.flatMap(stableRanges)));
  const used = new Set(states.map((s) => s.priority));
  return { steps: orderSteps(changes, { before, after, stable, band: desired.priorities, used }), after };
}

/** The owned rules once `steps` (revocations: rules netreflex writes) have run, without re-reading every rule. */
function applyToOwned(owned: readonly OwnedRule[], steps: readonly AllowlistStep[]): OwnedRule[] {
  const byPriority = new Map(owned.map((o) => [o.priority, o]));
  for (const step of steps) {
    if (step.kind === 'removeRule') byPriority.delete(step.priority);
    else
      byPriority.set(step.priority, {
        priority: step.priority,
        list: step.list,
        rule: step.rule,
        ranges: step.rule.match.config.srcIpRanges,
      });
  }
  return [...byPriority.values()].sort((a, b) => a.priority - b.priority);
}

/**
 * One call instead of two where a rule is first trimmed by a revocation and then only grows (an
 * entry replaced by another in the same rule), or removed and then re-added at the same priority:
 * the final body in the revocation's place. It still drops the revoked addresses first, and adding
 * earlier is always safe, so the fused plan keeps both promises.
 */
function fuse(revoke: readonly AllowlistStep[], rest: readonly AllowlistStep[]): AllowlistStep[] {
  // Stryker disable next-line ConditionalExpression: equivalent, with no revocation the loop below keeps every step
  if (revoke.length === 0) return [...rest];
  const out = [...revoke];
  const byPriority = new Map(out.map((s, i) => [s.priority, i]));
  const remaining = rest.filter((step) => {
    const i = byPriority.get(step.priority);
    if (i === undefined) return true;
    const first = out[i]!;
    if (
      first.kind === 'patchRule' &&
      step.kind === 'patchRule' &&
      isSubset(allowedBy([step.before]), allowedBy([step.rule]))
    ) {
      out[i] = { ...first, list: step.list, rule: step.rule };
      return false;
    }
    if (first.kind === 'removeRule' && step.kind === 'addRule' && !step.bridge) {
      out[i] = { kind: 'patchRule', priority: step.priority, list: step.list, rule: step.rule, before: first.before };
      return false;
    }
    return true;
  });
  return [...out, ...remaining];
}

function lazy<T>(compute: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    // Stryker disable next-line ConditionalExpression: equivalent, computing again gives the same value (the functions are pure); this only caches
    if (!done) {
      value = compute();
      // Stryker disable next-line BooleanLiteral: equivalent, as above
      done = true;
    }
    return value as T;
  };
}

function finalRule(state: RuleState): ReturnType<typeof allowRule> {
  return allowRule(state.priority, state.list, [...state.kept, ...state.added], state.preview);
}

/** The change for one rule, or nothing when its body is already as desired. */
function ruleChange(state: RuleState, mode: AllowlistMode): RuleChange[] {
  const before = state.before?.rule;
  const empty = state.kept.length + state.added.length === 0;
  // Stryker disable next-line ConditionalExpression,BooleanLiteral,ArrayDeclaration: unreachable, a rule the plan opens always takes a range; kept as the guard it is
  if (empty && !before) return [];
  if (empty && mode === 'upsert-only') return [];
  const after = empty ? undefined : finalRule(state);
  if (before && after && sameBody(before, after)) return [];
  const allowedBefore = lazy(() => (before ? allowedBy([before]) : []));
  const allowedAfter = lazy(() => (after ? allowedBy([after]) : []));
  return [
    {
      priority: state.priority,
      list: state.list,
      ...(before ? { before } : {}),
      ...(after ? { after } : {}),
      get allowedBefore() {
        return allowedBefore();
      },
      get allowedAfter() {
        return allowedAfter();
      },
    },
  ];
}

/** Equal as Cloud Armor sees it: same action, preview, marker, and the same set of canonical ranges. */
function sameBody(rule: PolicyRule, want: ReturnType<typeof allowRule>): boolean {
  if (rule.action !== 'allow' || (rule.preview === true) !== want.preview || rule.description !== want.description)
    return false;
  if (rule.match?.versionedExpr !== 'SRC_IPS_V1') return false;
  const have = ruleRanges(rule).map((r) => r.cidr);
  const wanted = want.match.config.srcIpRanges;
  // Every wanted range (distinct) among as many ranges: the same set, no duplicates.
  return have.length === wanted.length && wanted.every((c) => have.includes(c));
}

/** Ranges a rule holds before and after, in a rule that stays enforced: allowed throughout. */
function stableRanges(state: RuleState): RangeSet {
  const before = state.before?.rule;
  if (!before || !isEnforcedAllow(before) || state.preview) return [];
  return allowedBy([allowRule(state.priority, state.list, state.kept, false)]);
}

function checkRemovalShare(
  before: RangeSet,
  after: RangeSet,
  desired: DesiredAllowlist,
  options: PlanAllowlistOptions,
): void {
  if (options.force || desired.safety.force) return;
  const removed = subtract(subtract(before, after), rangeSetOf(desired.expiredCidrs));
  const over = ([4, 6] as const satisfies readonly IpFamily[]).flatMap((family) => {
    const total = addressCount(before, family);
    const gone = addressCount(removed, family);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a family with no address removes none (exceeds(0, 0) is false); this avoids the division in the message
    return total > 0n && exceeds(gone, total, desired.safety.maxRemovalShare) ? [{ family, total, gone }] : [];
  });
  if (over.length === 0) return;
  const shares = over.map((o) => `${percent(o.gone, o.total)} of the IPv${o.family} addresses`).join(' and ');
  throw new AllowlistSafetyError(
    'removal-share',
    `This sync would remove ${shares} ${desired.policy} allows now (limit ` +
      `${Math.round(desired.safety.maxRemovalShare * 100)}% per family; entries that expired do not ` +
      `count); nothing was planned. If the file is right (not truncated or mixed up), set safety.force: ` +
      `true for this one upload and remove it afterwards.`,
    over.map(
      (o) =>
        `would stop allowing (IPv${o.family}): ${summarizeCidrs(toCidrs(removed.filter((r) => r.family === o.family)))}`,
    ),
  );
}

/** gone / total > share, in exact integer arithmetic (shares to 1e-6). */
function exceeds(gone: bigint, total: bigint, share: number): boolean {
  return gone * 1_000_000n > total * BigInt(Math.round(share * 1_000_000));
}

function percent(part: bigint, total: bigint): string {
  return `${Number((part * 10_000n) / total) / 100}%`;
}

function summarizeCidrs(cidrs: readonly string[]): string {
  return cidrs.length > 10 ? `${cidrs.slice(0, 10).join(', ')} and ${cidrs.length - 10} more` : cidrs.join(', ');
}

/** Counts now; the CIDR lists are computed when read (a 100k-entry first sync should not pay for them). */
function summarize(
  steps: readonly AllowlistStep[],
  before: RangeSet,
  after: () => RangeSet,
  expiredEntries: number,
): AllowlistPlanSummary {
  const count = (kind: AllowlistStep['kind']) =>
    steps.filter((s) => s.kind === kind && !('bridge' in s && s.bridge)).length;
  let added: string[] | undefined;
  let removed: string[] | undefined;
  return {
    rulesAdded: count('addRule'),
    rulesPatched: count('patchRule'),
    rulesRemoved: count('removeRule'),
    get allowedAdded() {
      return (added ??= toCidrs(subtract(after(), before)));
    },
    get allowedRemoved() {
      return (removed ??= toCidrs(subtract(before, after())));
    },
    expiredEntries,
  };
}
