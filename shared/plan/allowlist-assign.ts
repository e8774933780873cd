/**
 * Stable assignment of CIDRs to rules: the reason one added entry costs one `patchRule` and not a
 * rewrite of every rule after it (which re-chunking a sorted list would do).
 *
 * 1. Every range a rule already holds and that is still desired stays in that rule.
 * 2. Each remaining desired range goes to a rule of its list with room, preferring the rule that
 *    dropped a range it overlaps (a merge or split then stays one atomic patch, which keeps
 *    make-before-break free of bridges), then rules that change anyway (they lost a range, turn
 *    preview on or off, or carry another description), then untouched rules, lowest priority first.
 * 3. Only when no rule of the list has room is a new rule opened at the lowest free priority of the
 *    band; when none is free, a rule that is about to become empty (its list is gone) is reused.
 */
import { AllowlistSafetyError } from '../allowlist/errors.js';
import { compareRanges, parseCidr, type ParsedCidr } from '../net/cidr.js';
import type { DesiredAllowlist, DesiredList } from './allowlist-desired.js';
import { MAX_RANGES_PER_RULE, ownerDescription, type OwnedRule, type PriorityBand } from './allowlist-rules.js';

/** One rule's final state; `before` is absent for a rule to add. */
export interface RuleState {
  readonly priority: number;
  list: string;
  readonly before?: OwnedRule;
  /** Ranges the rule keeps, in its current order. */
  kept: string[];
  /** Ranges placed into it by this plan. */
  readonly added: string[];
  preview: boolean;
}

export function room(state: RuleState): number {
  return MAX_RANGES_PER_RULE - state.kept.length - state.added.length;
}

/** Final states of every owned rule plus the rules to add. Throws AllowlistSafetyError('band-full'). */
export function assignRules(desired: DesiredAllowlist, owned: readonly OwnedRule[]): RuleState[] {
  checkCapacity(desired, owned.length);
  // Stryker disable ArrayDeclaration: equivalent, keepRanges sets kept of every state
  const states = owned.map((rule): RuleState => ({
    priority: rule.priority,
    list: rule.list,
    before: rule,
    kept: [],
    added: [],
    preview: rule.rule.preview === true,
  }));
  // Stryker restore ArrayDeclaration
  const allocator = new PriorityAllocator(
    desired.priorities,
    owned.map((r) => r.priority),
    states,
  );
  const wanted = new Map(desired.lists.map((l) => [l.name, { list: l, cidrs: new Set(l.cidrs) }]));
  const pending = new Map<string, string[]>();
  for (const state of states) keepRanges(state, wanted.get(state.list), desired.mode, pending);
  for (const list of desired.lists) {
    const claimed = new Set(states.filter((s) => s.list === list.name).flatMap((s) => s.kept));
    place(list, dedupe([...(pending.get(list.name) ?? []), ...list.cidrs], claimed), states, allocator, desired.mode);
  }
  return states;
}

/** Refuses before planning when even a perfect packing cannot fit the band. */
function checkCapacity(desired: DesiredAllowlist, ownedCount: number): void {
  const band = desired.priorities;
  const size = band.to - band.from + 1;
  const needed = desired.lists.reduce((n, l) => n + Math.ceil(l.cidrs.length / MAX_RANGES_PER_RULE), 0);
  if (needed > size) {
    const ranges = desired.lists.reduce((n, l) => n + l.cidrs.length, 0);
    throw new AllowlistSafetyError(
      'band-full',
      `The allowlist needs ${needed} rules (${ranges} ranges after merging, ${MAX_RANGES_PER_RULE} per ` +
        `rule, one list per rule) but the band ${band.from}–${band.to} holds ${size} (${ownedCount} in use); ` +
        `nothing was planned. Widen priorities, merge entries into wider ranges, or remove some.`,
    );
  }
}

/** Step 1: keep what is still desired (sync) or everything (upsert-only); overflow of an over-full rule is re-placed. */
function keepRanges(
  state: RuleState,
  wanted: { list: DesiredList; cidrs: ReadonlySet<string> } | undefined,
  mode: DesiredAllowlist['mode'],
  pending: Map<string, string[]>,
): void {
  const before = state.before!;
  if (mode === 'upsert-only') {
    state.kept = [...before.ranges];
    if (wanted) state.preview = state.preview && wanted.list.preview;
  } else {
    state.kept = wanted ? before.ranges.filter((c) => wanted.cidrs.has(c)) : [];
    if (wanted) state.preview = wanted.list.preview;
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, splicing a rule of ten or fewer moves nothing
  if (state.kept.length > MAX_RANGES_PER_RULE) {
    const overflow = state.kept.splice(MAX_RANGES_PER_RULE);
    pending.set(state.list, [...(pending.get(state.list) ?? []), ...overflow]);
  }
}

function dedupe(fresh: readonly string[], claimed: ReadonlySet<string>): string[] {
  const seen = new Set(claimed);
  return fresh.filter((c) => (seen.has(c) ? false : (seen.add(c), true)));
}

/**
 * Steps 2 and 3 for one list. Every candidate is a rule of this list: its existing rules, and the
 * rules opened for it here (a reused rule takes the list's name).
 */
function place(
  list: DesiredList,
  fresh: readonly string[],
  states: RuleState[],
  allocator: PriorityAllocator,
  mode: DesiredAllowlist['mode'],
): void {
  // Stryker disable next-line ConditionalExpression: equivalent, the loop below places nothing; this skips building the index
  if (fresh.length === 0) return;
  const mine = states.filter((s) => s.list === list.name);
  const homes = new DroppedIndex(mine);
  // Stryker disable next-line MethodExpression: equivalent, a changing rule listed twice is passed over the second time, full
  const candidates = [...mine.filter((s) => changes(s)), ...mine.filter((s) => !changes(s))];
  let next = 0;
  for (const cidr of fresh) {
    while (next < candidates.length && room(candidates[next]!) === 0) next++;
    let target = homes.find(cidr) ?? candidates[next];
    if (!target) {
      target = allocator.open(list, mode);
      candidates.push(target);
    }
    target.added.push(cidr);
  }
}

/** The ranges the rules of one list dropped, sorted, to find the rule a new overlapping range belongs in. */
class DroppedIndex {
  private readonly dropped: { range: ParsedCidr; state: RuleState }[];

  /** `states`: existing rules of one list. */
  constructor(states: readonly RuleState[]) {
    this.dropped = states
      .flatMap((state) => {
        const kept = new Set(state.kept);
        return state.before!.ranges.filter((c) => !kept.has(c)).map((c) => ({ range: parseCidr(c), state }));
      })
      .sort((a, b) => compareRanges(a.range, b.range));
  }

  /** A rule with room that dropped a range overlapping `cidr`. */
  find(cidr: string): RuleState | undefined {
    // Stryker disable next-line ConditionalExpression: equivalent, an empty index finds nothing either way; this skips parsing the range
    if (this.dropped.length === 0) return undefined;
    const range = parseCidr(cidr);
    for (let i = this.lowerBound(range); i < this.dropped.length; i++) {
      const { range: d, state } = this.dropped[i]!;
      if (d.family !== range.family || d.first > range.last) break;
      if (d.last >= range.first && room(state) > 0) return state;
    }
    return undefined;
  }

  /**
   * First index whose range might overlap. Exact when the dropped ranges are disjoint (the normal
   * case); with overlapping leftovers it may miss a home, which costs ordering work, never correctness.
   */
  private lowerBound(range: ParsedCidr): number {
    let lo = 0;
    let hi = this.dropped.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const d = this.dropped[mid]!.range;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the search only picks where the scan starts: starting earlier scans ranges find passes over, and another family's ranges are never homes
      if (d.family < range.family || (d.family === range.family && d.last < range.first)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** An existing rule (nothing is added to it yet) that will be patched or removed whatever else happens. */
function changes(state: RuleState): boolean {
  const before = state.before!;
  return (
    state.kept.length !== before.ranges.length ||
    state.preview !== (before.rule.preview === true) ||
    before.rule.description !== ownerDescription(state.list)
  );
}

/** Hands out the lowest free priorities of the band, then rules about to be emptied. */
class PriorityAllocator {
  private cursor: number;
  private readonly used: Set<number>;

  constructor(
    private readonly band: PriorityBand,
    used: readonly number[],
    private readonly states: RuleState[],
  ) {
    this.cursor = band.from;
    this.used = new Set(used);
  }

  /**
   * Called only once every rule of `list` is full, so a rule with nothing left in it belongs to
   * another list: one whose list is gone from the file, or whose ranges all moved away.
   */
  open(list: DesiredList, mode: DesiredAllowlist['mode']): RuleState {
    // Stryker disable next-line ConditionalExpression: equivalent, the cursor then stops past the band, where nothing is used, and the check below sees it
    while (this.cursor <= this.band.to && this.used.has(this.cursor)) this.cursor++;
    if (this.cursor <= this.band.to) {
      this.used.add(this.cursor);
      const state: RuleState = { priority: this.cursor, list: list.name, kept: [], added: [], preview: list.preview };
      this.states.push(state);
      return state;
    }
    const reusable =
      mode === 'sync' ? this.states.find((s) => s.before && s.kept.length === 0 && s.added.length === 0) : undefined;
    if (!reusable) {
      throw new AllowlistSafetyError(
        'band-full',
        `No free priority is left in the band ${this.band.from}–${this.band.to} for list ${list.name}; ` +
          `nothing was planned. Widen priorities (rules are only added before others are removed, so a full ` +
          `band needs spare room to rotate).`,
      );
    }
    reusable.list = list.name;
    reusable.preview = list.preview;
    return reusable;
  }
}
