/** The replay of allowlist steps: what tests and `netreflex plan` use to judge a plan at every step. */
import { describe, expect, it } from 'vitest';
import { applyAllowlistSteps, continuityViolations } from '../../shared/plan/allowlist-check.js';
import type { AllowlistStep } from '../../shared/plan/allowlist-order.js';
import { allowRule } from '../../shared/plan/allowlist-rules.js';
import { DEFAULT_RULE } from './helpers.js';

const a = allowRule(1000, 'a', ['192.0.2.0/28'], false);
const b = allowRule(1001, 'a', ['192.0.2.0/28'], false);

describe('applyAllowlistSteps', () => {
  it('refuses what Cloud Armor refuses: adding a taken priority, patching or removing a missing one', () => {
    expect(() => applyAllowlistSteps([a], [{ kind: 'addRule', priority: 1000, list: 'a', rule: a }])).toThrow(
      'addRule at 1000: a rule already has that priority',
    );
    expect(() =>
      applyAllowlistSteps([], [{ kind: 'patchRule', priority: 1000, list: 'a', rule: a, before: a }]),
    ).toThrow('patchRule at 1000: no rule has that priority');
    expect(() => applyAllowlistSteps([], [{ kind: 'removeRule', priority: 1000, list: 'a', before: a }])).toThrow(
      'removeRule at 1000: no rule has that priority',
    );
  });

  it('answers the rules by priority, a copy of each step body', () => {
    const rules = applyAllowlistSteps(
      [DEFAULT_RULE],
      [
        { kind: 'addRule', priority: 1001, list: 'a', rule: b },
        { kind: 'addRule', priority: 1000, list: 'a', rule: a },
      ],
    );
    expect(rules.map((r) => r.priority)).toEqual([1000, 1001, DEFAULT_RULE.priority]);
    expect(rules[0]).toEqual(a);
    expect(rules[0]).not.toBe(a);
  });
});

describe('continuityViolations', () => {
  it('names the step after which an address allowed before and after was denied, and what was denied', () => {
    const breakBeforeMake: AllowlistStep[] = [
      { kind: 'removeRule', priority: 1000, list: 'a', before: a },
      { kind: 'addRule', priority: 1001, list: 'a', rule: b },
    ];
    expect(continuityViolations([a], breakBeforeMake)).toEqual([{ step: 1, denied: ['192.0.2.0/28'] }]);
    expect(continuityViolations([a], [...breakBeforeMake].reverse())).toEqual([]);
  });
});
