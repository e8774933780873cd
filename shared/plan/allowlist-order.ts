/**
 * Make-before-break ordering of allowlist steps. Cloud Armor changes rules one call at a time, so
 * a sync is never atomic; the order must keep every address that is allowed both before and after
 * the sync allowed after every prefix of the steps:
 *
 *   phase 1  addRule, and patchRule that only add allowed addresses     (any order is safe)
 *   phase 2  patchRule that drop some allowed addresses                 (dependency order)
 *   phase 3  removeRule                                                 (everything final is in place)
 *
 * Within phase 2, a patch that drops addresses still allowed at the end (a range merged into a
 * wider one, or split into parts held elsewhere) must wait for the patches that add their new
 * home. Those dependencies are sorted topologically; a cycle (two rules each holding the other's
 * new home) is broken with a temporary "bridge" rule added in phase 1 and removed in phase 3.
 */
import { aggregate, intersect, isSubset, subtract, toCidrs, type RangeSet } from '../net/cidr.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import {
  allowRule,
  MAX_RANGES_PER_RULE,
  type AllowRuleBody,
  type PriorityBand,
  type PolicyRule,
} from './allowlist-rules.js';

export type AllowlistStep =
  | {
      readonly kind: 'addRule';
      readonly priority: number;
      readonly list: string;
      readonly rule: AllowRuleBody;
      readonly bridge?: true;
    }
  | {
      readonly kind: 'patchRule';
      readonly priority: number;
      readonly list: string;
      readonly rule: AllowRuleBody;
      readonly before: PolicyRule;
    }
  | {
      readonly kind: 'removeRule';
      readonly priority: number;
      readonly list: string;
      readonly before: PolicyRule;
      readonly bridge?: true;
    };

/** A rule change before ordering: `after` undefined means remove. */
export interface RuleChange {
  readonly priority: number;
  readonly list: string;
  readonly before?: PolicyRule;
  readonly after?: AllowRuleBody;
  /** Addresses this rule lets through before / after (enforced allow only). */
  readonly allowedBefore: RangeSet;
  readonly allowedAfter: RangeSet;
}

export interface OrderContext {
  /** Addresses allowed by the owned rules before and after the whole sync. */
  readonly before: RangeSet;
  readonly after: () => RangeSet;
  /** Addresses held by rules that keep them throughout (no change, or kept by their own patch). */
  readonly stable: () => RangeSet;
  readonly band: PriorityBand;
  /** Priorities already taken (by current or new rules). */
  readonly used: ReadonlySet<number>;
}

export function orderSteps(changes: readonly RuleChange[], ctx: OrderContext): AllowlistStep[] {
  const byPriority = [...changes].sort((a, b) => a.priority - b.priority);
  const grows = byPriority.filter((c) => c.after && (!c.before || isSubset(c.allowedBefore, c.allowedAfter)));
  const shrinks = byPriority.filter((c) => c.after && c.before && !isSubset(c.allowedBefore, c.allowedAfter));
  const removes = byPriority.filter((c) => !c.after);
  // Only shrinking patches need the coverage sets; a first sync (all adds) skips them entirely.
  const { ordered, bridges } = shrinks.length
    ? orderShrinks(
        shrinks,
        aggregate([...ctx.stable(), ...grows.flatMap((c) => [...c.allowedAfter])]),
        intersect(ctx.before, ctx.after()),
      )
    : { ordered: [], bridges: [] };
  const bridgeRules = bridgeSteps(bridges, ctx);
  return [
    ...grows.map(toStep),
    ...bridgeRules.map((b) => b.add),
    ...ordered.map(toStep),
    ...removes.map(toStep),
    ...bridgeRules.map((b) => b.remove),
  ];
}

function toStep(change: RuleChange): AllowlistStep {
  if (!change.after)
    return { kind: 'removeRule', priority: change.priority, list: change.list, before: change.before! };
  if (!change.before) return { kind: 'addRule', priority: change.priority, list: change.list, rule: change.after };
  return { kind: 'patchRule', priority: change.priority, list: change.list, rule: change.after, before: change.before };
}

interface Bridge {
  readonly list: string;
  readonly ranges: RangeSet;
}

/**
 * Kahn's algorithm over "X drops addresses whose new home Y adds". When only cycles are left, the
 * lowest-priority rule of them gets a bridge (its dependencies are then met) and the sort goes on,
 * so a cycle costs one bridge, not one per rule in it.
 */
function orderShrinks(
  shrinks: readonly RuleChange[],
  available: RangeSet,
  mustKeep: RangeSet,
): { ordered: RuleChange[]; bridges: Bridge[] } {
  const needs = new Map(shrinks.map((c) => [c, uncovered(c, available, mustKeep)]));
  const dependsOn = new Map(
    shrinks.map((c) => [
      c,
      shrinks.filter(
        (o) =>
          o !== c && needs.get(c)!.length > 0 && overlaps(needs.get(c)!, subtract(o.allowedAfter, o.allowedBefore)),
      ),
    ]),
  );
  const ordered: RuleChange[] = [];
  const bridges: Bridge[] = [];
  const done = new Set<RuleChange>();
  while (done.size < shrinks.length) {
    const ready = shrinks.filter((c) => !done.has(c) && dependsOn.get(c)!.every((d) => done.has(d)));
    if (ready.length === 0) {
      const stuck = shrinks.find((c) => !done.has(c))!;
      bridges.push({ list: stuck.list, ranges: needs.get(stuck)! });
      dependsOn.set(stuck, []);
      continue;
    }
    for (const change of ready) {
      ordered.push(change);
      done.add(change);
    }
  }
  return { ordered, bridges };
}

/** Addresses this patch drops that must stay allowed and that nothing stable or already added holds. */
function uncovered(change: RuleChange, available: RangeSet, mustKeep: RangeSet): RangeSet {
  const dropped = subtract(change.allowedBefore, change.allowedAfter);
  return subtract(subtract(intersect(dropped, mustKeep), available), change.allowedAfter);
}

function overlaps(a: RangeSet, b: RangeSet): boolean {
  return a.length > 0 && b.length > 0 && intersect(a, b).length > 0;
}

function bridgeSteps(bridges: readonly Bridge[], ctx: OrderContext): { add: AllowlistStep; remove: AllowlistStep }[] {
  const used = new Set(ctx.used);
  let cursor = ctx.band.from;
  const out: { add: AllowlistStep; remove: AllowlistStep }[] = [];
  for (const bridge of bridges) {
    const cidrs = toCidrs(bridge.ranges);
    for (let i = 0; i < cidrs.length; i += MAX_RANGES_PER_RULE) {
      while (cursor <= ctx.band.to && used.has(cursor)) cursor++;
      if (cursor > ctx.band.to) {
        throw new AllowlistSafetyError(
          'band-full',
          `This rotation needs a temporary bridge rule to avoid a lock-out window, but the band ` +
            `${ctx.band.from}–${ctx.band.to} has no free priority; nothing was planned. Widen priorities.`,
        );
      }
      used.add(cursor);
      const rule = allowRule(cursor, bridge.list, cidrs.slice(i, i + MAX_RANGES_PER_RULE), false);
      out.push({
        add: { kind: 'addRule', priority: cursor, list: bridge.list, rule, bridge: true },
        remove: { kind: 'removeRule', priority: cursor, list: bridge.list, before: rule, bridge: true },
      });
    }
  }
  return out;
}
