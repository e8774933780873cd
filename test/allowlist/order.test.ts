/**
 * orderSteps on hand-built rule changes: the phases, the order inside each, dependency order
 * between shrinking patches, and the temporary bridge rules a cycle needs — what they hold, where
 * they go in the band, and the refusal when the band has no room for one.
 */
import { describe, expect, it } from 'vitest';
import {
  orderSteps,
  type AllowlistStep,
  type OrderContext,
  type RuleChange,
} from '../../shared/plan/allowlist-order.js';
import { allowRule, type PolicyRule } from '../../shared/plan/allowlist-rules.js';
import { continuityViolations } from '../../shared/plan/allowlist-check.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { intersect, rangeSetOf, toCidrs } from '../../shared/net/cidr.js';

interface Spec {
  readonly priority: number;
  readonly before?: readonly string[];
  readonly after?: readonly string[];
}

const BAND = { from: 1000, to: 1999 };

function change({ priority, before, after }: Spec): RuleChange {
  return {
    priority,
    list: 'a',
    ...(before ? { before: allowRule(priority, 'a', before, false) } : {}),
    ...(after ? { after: allowRule(priority, 'a', after, false) } : {}),
    allowedBefore: rangeSetOf(before ?? []),
    allowedAfter: rangeSetOf(after ?? []),
  };
}

/** The context planAllowlist gives orderSteps: `unchanged` rules hold their ranges throughout. */
function plan(
  specs: readonly Spec[],
  unchanged: readonly PolicyRule[] = [],
  band = BAND,
): { steps: AllowlistStep[]; current: PolicyRule[] } {
  const held = unchanged.flatMap((r) => r.match!.config!.srcIpRanges!);
  const ctx: OrderContext = {
    before: rangeSetOf([...held, ...specs.flatMap((s) => s.before ?? [])]),
    after: () => rangeSetOf([...held, ...specs.flatMap((s) => s.after ?? [])]),
    stable: () =>
      rangeSetOf([...held, ...specs.flatMap((s) => (s.before && s.after ? intersectCidrs(s.before, s.after) : []))]),
    band,
    used: new Set([...unchanged.map((r) => r.priority), ...specs.map((s) => s.priority)]),
  };
  const current = [
    ...unchanged,
    ...specs.flatMap((s) => (s.before ? [allowRule(s.priority, 'a', s.before, false)] : [])),
  ];
  return { steps: orderSteps(specs.map(change), ctx), current };
}

function intersectCidrs(a: readonly string[], b: readonly string[]): string[] {
  return toCidrs(intersect(rangeSetOf(a), rangeSetOf(b)));
}

const names = (steps: readonly AllowlistStep[]) =>
  steps.map((s) => `${s.kind}@${s.priority}${'bridge' in s && s.bridge ? ' bridge' : ''}`);
const ranges = (step: AllowlistStep) =>
  step.kind === 'removeRule' ? step.before.match!.config!.srcIpRanges! : step.rule.match.config.srcIpRanges;
const host = (i: number) => `192.0.2.${i}/32`;
const A = '10.0.1.0/24';
const B = '10.0.2.0/24';

function refusal(fn: () => unknown): AllowlistSafetyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('orderSteps', () => {
  it('adds and growing patches first, then removals, each phase by priority whatever order the changes come in', () => {
    const { steps, current } = plan([
      { priority: 1003, after: [host(3)] },
      { priority: 1002, before: [host(20)] },
      { priority: 1000, before: [host(1)], after: [host(1), host(2)] },
      { priority: 1001, before: [host(10)] },
    ]);
    expect(names(steps)).toEqual(['patchRule@1000', 'addRule@1003', 'removeRule@1001', 'removeRule@1002']);
    expect(continuityViolations(current, steps)).toEqual([]);
  });

  it('runs shrinking patches in dependency order, not priority order: each after the patch that adds its dropped addresses', () => {
    // 1000 drops A (1001 adds it) and adds D; 1001 drops B (1002 adds it); 1002 drops C, which nobody keeps.
    const { steps, current } = plan([
      { priority: 1000, before: [A, host(1)], after: ['10.0.9.0/24', host(1)] },
      { priority: 1001, before: [B, host(2)], after: [A, host(2)] },
      { priority: 1002, before: ['10.0.3.0/24', host(3)], after: [B, host(3)] },
    ]);
    expect(names(steps)).toEqual(['patchRule@1002', 'patchRule@1001', 'patchRule@1000']);
    expect(continuityViolations(current, steps)).toEqual([]);
  });

  it('breaks a cycle with one bridge holding only what nothing else keeps: not what a stable rule or an added rule holds', () => {
    const S = '10.0.5.0/24'; // held throughout by the unchanged rule at 1005
    const G = '10.0.6.0/24'; // added by the new rule at 1006
    const { steps, current } = plan(
      [
        { priority: 1000, before: [A, S, G, host(1)], after: [B, host(1)] },
        { priority: 1001, before: [B, host(2)], after: [A, host(2)] },
        { priority: 1006, after: [G] },
      ],
      [allowRule(1005, 'a', [S], false)],
    );
    expect(names(steps)).toEqual([
      'addRule@1006',
      'addRule@1002 bridge',
      'patchRule@1000',
      'patchRule@1001',
      'removeRule@1002 bridge',
    ]);
    expect(ranges(steps[1]!)).toEqual([A]);
    expect(ranges(steps[4]!)).toEqual([A]);
    expect(continuityViolations(current, steps)).toEqual([]);
  });

  it('splits a bridge into rules of at most ten ranges, each added and removed as a bridge', () => {
    const many = Array.from({ length: 20 }, (_, i) => host(i * 2));
    const { steps, current } = plan([
      { priority: 1000, before: [...many, host(101)], after: [B, host(101)] },
      { priority: 1001, before: [B, host(103)], after: [...many, host(103)] },
    ]);
    expect(names(steps)).toEqual([
      'addRule@1002 bridge',
      'addRule@1003 bridge',
      'patchRule@1000',
      'patchRule@1001',
      'removeRule@1002 bridge',
      'removeRule@1003 bridge',
    ]);
    expect([ranges(steps[0]!), ranges(steps[1]!)]).toEqual([many.slice(0, 10), many.slice(10)]);
    expect(steps.filter((s) => 'bridge' in s && s.bridge)).toHaveLength(4);
    expect(continuityViolations(current, steps)).toEqual([]);
  });

  const cycle: Spec[] = [
    { priority: 1000, before: [A, host(1)], after: [B, host(1)] },
    { priority: 1001, before: [B, host(2)], after: [A, host(2)] },
  ];

  it('takes the last priority of the band for a bridge when it is the only one free', () => {
    const { steps } = plan(cycle, [], { from: 1000, to: 1002 });
    expect(names(steps)).toEqual(['addRule@1002 bridge', 'patchRule@1000', 'patchRule@1001', 'removeRule@1002 bridge']);
  });

  it('refuses band-full when a cycle needs a bridge and every priority of the band is taken', () => {
    const err = refusal(() => plan(cycle, [allowRule(1002, 'a', [host(50)], false)], { from: 1000, to: 1002 }));
    expect(err.refusal).toBe('band-full');
    expect(err.message).toBe(
      'This rotation needs a temporary bridge rule to avoid a lock-out window, but the band 1000–1002 has no free priority; nothing was planned. Widen priorities.',
    );
  });
});
