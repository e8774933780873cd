/** Allowlist steps as people read them, and rule equality as Cloud Armor evaluates it (shared/plan/allowlist-steps.ts). */
import { describe, expect, it } from 'vitest';
import { describeStep, sameRule, sameRules } from '../../shared/plan/allowlist-steps.js';
import { allowRule, ownerDescription } from '../../shared/plan/allowlist-rules.js';
import type { AllowlistStep, PolicyRule } from '../../shared/plan/allowlist.js';

const A = '198.51.100.0/24';
const B = '203.0.113.0/24';
const C = '192.0.2.0/24';

const srcIps = (srcIpRanges: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({
  priority: 1000,
  action: 'allow',
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges } },
  ...extra,
});

describe('describeStep', () => {
  it('an add: every range of the new rule is added, nothing removed, its preview shown', () => {
    const step: AllowlistStep = {
      kind: 'addRule',
      priority: 1000,
      list: 'egress',
      rule: allowRule(1000, 'egress', [A, B], false),
    };
    expect(describeStep(step)).toEqual({
      kind: 'addRule',
      priority: 1000,
      list: 'egress',
      preview: false,
      ranges: 2,
      added: [A, B],
      removed: [],
    });
  });

  it('an add in preview reports preview: true', () => {
    const step: AllowlistStep = {
      kind: 'addRule',
      priority: 1001,
      list: 'canary',
      rule: allowRule(1001, 'canary', [C], true),
    };
    expect(describeStep(step)).toEqual({
      kind: 'addRule',
      priority: 1001,
      list: 'canary',
      preview: true,
      ranges: 1,
      added: [C],
      removed: [],
    });
  });

  it('a bridge add carries bridge: true', () => {
    const step: AllowlistStep = {
      kind: 'addRule',
      priority: 1999,
      list: 'partners',
      rule: allowRule(1999, 'partners', [A], false),
      bridge: true,
    };
    expect(describeStep(step)).toEqual({
      kind: 'addRule',
      priority: 1999,
      list: 'partners',
      bridge: true,
      preview: false,
      ranges: 1,
      added: [A],
      removed: [],
    });
  });

  it('a step whose bridge key is present but not true is no bridge (no bridge key in the summary)', () => {
    const step = {
      kind: 'addRule',
      priority: 1000,
      list: 'egress',
      rule: allowRule(1000, 'egress', [A], false),
      bridge: undefined,
    } as AllowlistStep;
    const summary = describeStep(step);
    expect(summary).toEqual({
      kind: 'addRule',
      priority: 1000,
      list: 'egress',
      preview: false,
      ranges: 1,
      added: [A],
      removed: [],
    });
    expect('bridge' in summary).toBe(false);
  });

  it('a patch: only the ranges that come are added, only those that go are removed, the kept ones counted', () => {
    const step: AllowlistStep = {
      kind: 'patchRule',
      priority: 1002,
      list: 'partners',
      rule: allowRule(1002, 'partners', [A, C], false),
      before: allowRule(1002, 'partners', [A, B], false),
    };
    expect(describeStep(step)).toEqual({
      kind: 'patchRule',
      priority: 1002,
      list: 'partners',
      preview: false,
      ranges: 2,
      added: [C],
      removed: [B],
    });
  });

  it('a patch compares canonical CIDRs: host bits, duplicates and case in the old rule do not count as changes', () => {
    const step: AllowlistStep = {
      kind: 'patchRule',
      priority: 1002,
      list: 'partners',
      rule: allowRule(1002, 'partners', ['198.51.100.0/24', '2001:db8::/32'], true),
      before: srcIps(['198.51.100.7/24', '198.51.100.0/24', '2001:DB8::/32'], {
        description: ownerDescription('partners'),
      }),
    };
    expect(describeStep(step)).toEqual({
      kind: 'patchRule',
      priority: 1002,
      list: 'partners',
      preview: true,
      ranges: 2,
      added: [],
      removed: [],
    });
  });

  it('a removal: every old range is removed, the rule left with 0 ranges and no preview key', () => {
    const step: AllowlistStep = {
      kind: 'removeRule',
      priority: 1003,
      list: 'legacy',
      before: allowRule(1003, 'legacy', [B, C, B], false),
    };
    const summary = describeStep(step);
    expect(summary).toEqual({
      kind: 'removeRule',
      priority: 1003,
      list: 'legacy',
      ranges: 0,
      added: [],
      removed: [B, C],
    });
    expect('preview' in summary).toBe(false);
    expect('bridge' in summary).toBe(false);
  });

  it('a bridge removal carries bridge: true and removes the bridged ranges', () => {
    const step: AllowlistStep = {
      kind: 'removeRule',
      priority: 1999,
      list: 'partners',
      before: allowRule(1999, 'partners', [A], false),
      bridge: true,
    };
    expect(describeStep(step)).toEqual({
      kind: 'removeRule',
      priority: 1999,
      list: 'partners',
      bridge: true,
      ranges: 0,
      added: [],
      removed: [A],
    });
  });
});

describe('sameRule', () => {
  const rule = allowRule(1000, 'egress', [A, B], false);

  it('two absent rules are the same; an absent and a present one are not, either way round', () => {
    expect(sameRule(undefined, undefined)).toBe(true);
    expect(sameRule(undefined, rule)).toBe(false);
    expect(sameRule(rule, undefined)).toBe(false);
  });

  it('the same rule, and a copy with its ranges reordered, duplicated or written with host bits, are the same', () => {
    expect(sameRule(rule, rule)).toBe(true);
    expect(sameRule(rule, allowRule(1000, 'egress', [B, A, B], false))).toBe(true);
    expect(sameRule(rule, allowRule(1000, 'egress', ['198.51.100.9/24', '203.0.113.0/24'], false))).toBe(true);
  });

  it('priority is not compared: the same body at another priority is the same rule', () => {
    expect(sameRule(rule, allowRule(1500, 'egress', [A, B], false))).toBe(true);
  });

  it('a different action is a different rule', () => {
    expect(sameRule(rule, { ...rule, action: 'deny(403)' })).toBe(false);
  });

  it('preview true differs from false; an absent preview counts as false', () => {
    expect(sameRule(rule, allowRule(1000, 'egress', [A, B], true))).toBe(false);
    expect(sameRule(allowRule(1000, 'egress', [A, B], true), rule)).toBe(false);
    expect(sameRule(srcIps([A]), srcIps([A], { preview: false }))).toBe(true);
    expect(sameRule(srcIps([A], { preview: true }), srcIps([A], { preview: true }))).toBe(true);
  });

  it('a different description is a different rule; an absent description counts as empty', () => {
    expect(sameRule(rule, allowRule(1000, 'partners', [A, B], false))).toBe(false);
    expect(sameRule(srcIps([A]), srcIps([A], { description: '' }))).toBe(true);
    expect(sameRule(srcIps([A], { description: '' }), srcIps([A]))).toBe(true);
    expect(sameRule(srcIps([A]), srcIps([A], { description: 'x' }))).toBe(false);
  });

  it('one range more or less is a different rule, whichever side has it', () => {
    expect(sameRule(srcIps([A]), srcIps([A, B]))).toBe(false);
    expect(sameRule(srcIps([A, B]), srcIps([A]))).toBe(false);
  });

  it('as many ranges but not the same ones is a different rule', () => {
    expect(sameRule(srcIps([A, B]), srcIps([A, C]))).toBe(false);
    expect(sameRule(srcIps([A]), srcIps([B]))).toBe(false);
  });

  it('ranges are compared as parsed: "*" is both /0s, unparseable text is dropped', () => {
    expect(sameRule(srcIps(['*']), srcIps(['0.0.0.0/0', '::/0']))).toBe(true);
    expect(sameRule(srcIps([A, 'not-a-cidr']), srcIps([A]))).toBe(true);
  });
});

describe('sameRules', () => {
  const egress = allowRule(1000, 'egress', [A], false);
  const partners = allowRule(1001, 'partners', [B], false);

  it('the same rules in another order are the same set', () => {
    expect(sameRules([egress, partners], [partners, egress])).toBe(true);
    expect(sameRules([], [])).toBe(true);
  });

  it('a rule more on either side is a different set', () => {
    expect(sameRules([egress], [egress, partners])).toBe(false);
    expect(sameRules([egress, partners], [egress])).toBe(false);
    expect(sameRules([], [egress])).toBe(false);
  });

  it('one rule changed at its priority makes the set different', () => {
    expect(sameRules([egress, partners], [egress, allowRule(1001, 'partners', [C], false)])).toBe(false);
    expect(sameRules([egress, partners], [allowRule(1000, 'egress', [C], false), partners])).toBe(false);
  });

  it('rules are matched by priority: the same bodies at swapped priorities differ', () => {
    expect(
      sameRules([egress, partners], [allowRule(1001, 'egress', [A], false), allowRule(1000, 'partners', [B], false)]),
    ).toBe(false);
  });

  it('as many rules but one at a priority the other side lacks is a different set', () => {
    expect(sameRules([egress, partners], [egress, allowRule(1002, 'partners', [B], false)])).toBe(false);
  });
});
