import { describe, expect, it } from 'vitest';
import { planAllowlist, desiredAllowlist, OWNER_MARKER, type PolicyRule } from '../../shared/plan/allowlist.js';
import { allowedAfterEachStep, applyAllowlistSteps, continuityViolations } from '../../shared/plan/allowlist-check.js';
import { orderSteps } from '../../shared/plan/allowlist-order.js';
import { allowRule } from '../../shared/plan/allowlist-rules.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { rangeSetOf, toCidrs } from '../../shared/net/cidr.js';
import { allowlistOf, DEFAULT_RULE, desired, hosts, kinds, planAndApply, SAFETY } from './helpers.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return err.refusal;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('planAllowlist scenarios', () => {
  it('TestIdempotency: plan(x, x) is empty', () => {
    const want = desired({ partners: hosts(25), office: ['203.0.113.0/28'] });
    const { rules } = planAndApply(want, [DEFAULT_RULE]);
    expect(planAllowlist(want, rules).steps).toEqual([]);
  });

  it('TestSyncFirstRound: 25 ranges become 3 rules at the bottom of the band, default rule untouched', () => {
    const { plan, rules } = planAndApply(desired({ partners: hosts(25) }), [DEFAULT_RULE]);
    expect(kinds(plan)).toEqual(['addRule@1000', 'addRule@1001', 'addRule@1002']);
    expect(rules.find((r) => r.priority === 2147483647)).toEqual(DEFAULT_RULE);
    expect(rules[0]!.description).toBe(`${OWNER_MARKER} partners`);
    expect(plan.summary.rulesAdded).toBe(3);
  });

  it('TestAddOne: adding one entry changes exactly one rule', () => {
    const { rules } = planAndApply(desired({ partners: hosts(25) }), [DEFAULT_RULE]);
    const { plan } = planAndApply(desired({ partners: [...hosts(25), '192.0.2.1/32'] }), rules);
    expect(kinds(plan)).toEqual(['patchRule@1002']);
  });

  it('TestRemoveOne: removing one entry changes exactly one rule, the others keep their ranges', () => {
    const { rules } = planAndApply(desired({ partners: hosts(25) }), [DEFAULT_RULE]);
    const fewer = hosts(25).filter((_, i) => i !== 3);
    const { plan, rules: after } = planAndApply(desired({ partners: fewer }), rules);
    expect(kinds(plan)).toEqual(['patchRule@1000']);
    expect(after.find((r) => r.priority === 1001)).toEqual(rules.find((r) => r.priority === 1001));
  });

  it('TestReplaceOne: swapping one entry for another is one patch (the hole is refilled)', () => {
    const { rules } = planAndApply(desired({ partners: hosts(25) }), [DEFAULT_RULE]);
    const swapped = [...hosts(25).filter((_, i) => i !== 12), '192.0.2.1/32'];
    const { plan } = planAndApply(desired({ partners: swapped }), rules);
    expect(kinds(plan)).toEqual(['patchRule@1001']);
  });

  it('TestMergeAdjacent: an entry that merges two held ranges keeps continuity', () => {
    const { rules } = planAndApply(desired({ partners: ['198.51.100.0/25', ...hosts(15, 100)] }), [DEFAULT_RULE]);
    const { rules: after } = planAndApply(desired({ partners: ['198.51.100.0/24', ...hosts(15, 100)] }), rules);
    expect(after.flatMap((r) => r.match?.config?.srcIpRanges ?? [])).toContain('198.51.100.0/24');
  });

  it('TestExpiry: an entry whose expiry has passed is dropped, one that has not stays', () => {
    const allowlist = allowlistOf(`
version: 1
policies: [inference-policy]
lists:
  partners:
    entries:
      - { cidr: 198.51.100.0/24, description: partner A }
      - { ip: 192.0.2.10, description: contractor, expires: 2025-06-01 }
      - { ip: 192.0.2.20, description: auditor, expires: "2025-06-01T12:00:00+09:00" }
`);
    const before = desiredAllowlist(allowlist, { policy: 'inference-policy', now: new Date('2025-05-31T23:59:59Z') });
    expect(before.lists[0]!.cidrs).toEqual(['192.0.2.10/32', '192.0.2.20/32', '198.51.100.0/24']);
    const at = desiredAllowlist(allowlist, { policy: 'inference-policy', now: new Date('2025-06-01T00:00:00Z') });
    expect(at.lists[0]!.cidrs).toEqual(['192.0.2.20/32', '198.51.100.0/24']);
    expect(at.expiredEntries).toBe(1);
    const after = desiredAllowlist(allowlist, { policy: 'inference-policy', now: new Date('2025-06-01T03:00:00Z') });
    expect(after.lists[0]!.cidrs).toEqual(['198.51.100.0/24']);
  });

  it('TestBandFull: more ranges than the band holds is refused before anything', () => {
    const want = desired({ partners: hosts(31) }, { priorities: { from: 1000, to: 1002 } });
    expect(refusal(() => planAllowlist(want, [DEFAULT_RULE]))).toBe('band-full');
    expect(
      planAllowlist(desired({ partners: hosts(30) }, { priorities: { from: 1000, to: 1002 } }), [DEFAULT_RULE]).steps,
    ).toHaveLength(3);
  });

  it('TestWorldOpenRefused: /0, * and short prefixes need allowWorldOpen; many entries adding up to /0 too', () => {
    const allowlistWith = (entry: string, allow = false) =>
      allowlistOf(`
version: 1
policies: [p]
safety: { allowWorldOpen: ${allow} }
lists: { l: { entries: [ { cidr: "${entry}", description: d } ] } }
`);
    expect(() => allowlistWith('0.0.0.0/0')).toThrow(/whole IPv4/);
    expect(() => allowlistWith('*')).toThrow(/whole/);
    expect(() => allowlistWith('10.0.0.0/8')).toThrow(/minimum prefix \/16/);
    const open = desiredAllowlist(allowlistWith('*', true), { policy: 'p', now: new Date() });
    expect(open.lists[0]!.cidrs).toEqual(['0.0.0.0/0', '::/0']);
    const sneaky = allowlistOf(`
version: 1
policies: [p]
safety: { minPrefixLength: { ipv4: 1 } }
lists: { l: { entries: [ { cidr: 0.0.0.0/1, description: a }, { cidr: 128.0.0.0/1, description: b } ] } }
`);
    expect(refusal(() => desiredAllowlist(sneaky, { policy: 'p', now: new Date() }))).toBe('world-open');
  });

  it('TestRemovalShareRefused and forced', () => {
    const { rules } = planAndApply(desired({ partners: hosts(20) }), [DEFAULT_RULE]);
    const truncated = desired({ partners: hosts(9) });
    expect(refusal(() => planAllowlist(truncated, rules))).toBe('removal-share');
    expect(refusal(() => planAllowlist(desired({}), rules))).toBe('removal-share');
    expect(planAllowlist(desired({ partners: hosts(10) }), rules).steps).toHaveLength(1); // exactly 50% is allowed
    const forced = planAndApply({ ...truncated, safety: { ...SAFETY, force: true } }, rules);
    expect(kinds(forced.plan)).toEqual(['patchRule@1000', 'removeRule@1001']);
    expect(planAllowlist(truncated, rules, { force: true }).steps).toHaveLength(2);
  });

  it('TestRemovalShareByAddresses: dropping one /16 among many /32s is refused', () => {
    const { rules } = planAndApply(desired({ partners: ['10.1.0.0/16', ...hosts(9)] }), [DEFAULT_RULE]);
    expect(refusal(() => planAllowlist(desired({ partners: hosts(9) }), rules))).toBe('removal-share');
  });

  it('TestUnownedRuleInBand and TestMarkedRuleOutsideBand are ownership conflicts', () => {
    const handWritten: PolicyRule = {
      priority: 1500,
      action: 'allow',
      description: 'bob added this',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['192.0.2.1/32'] } },
    };
    expect(refusal(() => planAllowlist(desired({ partners: hosts(2) }), [DEFAULT_RULE, handWritten]))).toBe(
      'ownership-conflict',
    );
    const stray: PolicyRule = { ...handWritten, priority: 500, description: `${OWNER_MARKER} partners` };
    expect(refusal(() => planAllowlist(desired({ partners: hosts(2) }), [DEFAULT_RULE, stray]))).toBe(
      'ownership-conflict',
    );
    const outside: PolicyRule = { ...handWritten, priority: 500 };
    expect(kinds(planAllowlist(desired({ partners: hosts(2) }), [DEFAULT_RULE, outside]))).toEqual(['addRule@1000']);
  });

  it('TestIPv6: ranges of both families share rules and merge per family', () => {
    const { plan, rules } = planAndApply(
      desired({ partners: ['2001:db8::/49', '2001:db8:0:8000::/49', '198.51.100.0/24'] }),
      [DEFAULT_RULE],
    );
    expect(kinds(plan)).toEqual(['addRule@1000']);
    expect(rules[0]!.match!.config!.srcIpRanges).toEqual(['2001:db8::/49', '2001:db8:0:8000::/49', '198.51.100.0/24']);
  });

  it('TestUpsertOnly: adds, never removes, never stops enforcing', () => {
    const { rules } = planAndApply(desired({ partners: hosts(12), old: ['192.0.2.0/28'] }), [DEFAULT_RULE]);
    const want = desired({ partners: [...hosts(3), '203.0.113.9/32'] }, { mode: 'upsert-only' });
    const { plan, rules: after } = planAndApply(want, rules);
    expect(plan.steps.every((s) => s.kind !== 'removeRule')).toBe(true);
    expect(plan.summary.allowedRemoved).toEqual([]);
    expect(after.flatMap((r) => r.match?.config?.srcIpRanges ?? [])).toContain('192.0.2.0/28');
    expect(planAllowlist(want, after).steps).toEqual([]);
  });

  it('TestListRemoved: a list gone from the file loses its rules (sync)', () => {
    const { rules } = planAndApply(desired({ partners: hosts(12), old: ['192.0.2.0/30'] }), [DEFAULT_RULE]);
    const { plan } = planAndApply(desired({ partners: hosts(12) }), rules);
    expect(kinds(plan)).toEqual(['removeRule@1002']);
  });

  it('TestPreview: switching a list to preview is a removal of enforcement (guarded), switching back adds', () => {
    const { rules } = planAndApply(desired({ partners: hosts(5) }), [DEFAULT_RULE]);
    const preview = {
      ...desired({ partners: hosts(5) }),
      lists: [{ name: 'partners', preview: true, cidrs: hosts(5) }],
    };
    expect(refusal(() => planAllowlist(preview, rules))).toBe('removal-share');
    const first = planAndApply(preview, [DEFAULT_RULE]);
    expect(first.rules[0]!.preview).toBe(true);
    expect(kinds(planAllowlist(desired({ partners: hosts(5) }), first.rules))).toEqual(['patchRule@1000']);
  });

  it('TestCloudNatSource: the resolved NAT IP is allowed; an unresolved source refuses', () => {
    const allowlist = allowlistOf(`
version: 1
policies: [inference-policy]
lists:
  pipelines:
    entries:
      - cloudNat: { router: nat-router, nat: nat-egress, region: asia-northeast1 }
        description: Vertex AI Pipelines egress
`);
    const resolved = new Map([['cloudNat:asia-northeast1/nat-router/nat-egress', ['203.0.113.5']]]);
    const want = desiredAllowlist(allowlist, { policy: 'inference-policy', now: new Date(), resolved });
    expect(want.lists[0]!.cidrs).toEqual(['203.0.113.5/32']);
    expect(refusal(() => desiredAllowlist(allowlist, { policy: 'inference-policy', now: new Date() }))).toBe(
      'unresolved-source',
    );
    expect(
      refusal(() =>
        desiredAllowlist(allowlist, {
          policy: 'inference-policy',
          now: new Date(),
          resolved: new Map([['cloudNat:asia-northeast1/nat-router/nat-egress', []]]),
        }),
      ),
    ).toBe('unresolved-source');
  });

  it('TestNonCanonicalCurrent: a rule holding 203.0.113.5 (no /32) is not rewritten', () => {
    const rule: PolicyRule = {
      priority: 1000,
      action: 'allow',
      preview: false,
      description: `${OWNER_MARKER} nat`,
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.5'] } },
    };
    expect(planAllowlist(desired({ nat: ['203.0.113.5/32'] }), [DEFAULT_RULE, rule]).steps).toEqual([]);
  });

  it('allowedAfterEachStep shows the allowed set at every prefix', () => {
    const { plan } = planAndApply(desired({ partners: hosts(2) }), [DEFAULT_RULE]);
    const states = allowedAfterEachStep([DEFAULT_RULE], plan.steps).map(toCidrs);
    expect(states).toEqual([[], hosts(2)]);
    expect(() => applyAllowlistSteps([DEFAULT_RULE], [...plan.steps, ...plan.steps])).toThrow(
      /already has that priority/,
    );
  });
});

describe('make-before-break ordering', () => {
  const fill = (base: number) => Array.from({ length: 9 }, (_, i) => `192.0.2.${base + i * 2}/32`);
  const rule = (priority: number, ranges: string[]): PolicyRule => ({
    priority,
    action: 'allow',
    preview: false,
    description: `${OWNER_MARKER} a`,
    match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } },
  });

  it('TestMergeAcrossFullRules: a widened range lands in the rule that held its narrower part, one patch each', () => {
    const current = [rule(1000, ['10.0.4.0/25', ...fill(0)]), rule(1001, ['10.0.0.0/25', ...fill(100)]), DEFAULT_RULE];
    const { plan } = planAndApply(desired({ a: ['10.0.0.0/24', '10.0.4.0/24', ...fill(0), ...fill(100)] }), current);
    expect(kinds(plan)).toEqual(['patchRule@1000', 'patchRule@1001']);
  });

  it('TestBridge: two patches that each need the other first get one temporary bridge rule', () => {
    const x = {
      before: rule(1000, ['10.0.4.0/25', ...fill(0)]),
      after: allowRule(1000, 'a', ['10.0.0.0/24', ...fill(0)], false),
    };
    const y = {
      before: rule(1001, ['10.0.0.0/25', ...fill(100)]),
      after: allowRule(1001, 'a', ['10.0.4.0/24', ...fill(100)], false),
    };
    const change = (c: typeof x, priority: number) => ({
      priority,
      list: 'a',
      ...c,
      allowedBefore: rangeSetOf(c.before.match!.config!.srcIpRanges!),
      allowedAfter: rangeSetOf(c.after.match.config.srcIpRanges),
    });
    const current = [x.before, y.before];
    const before = rangeSetOf(current.flatMap((r) => r.match!.config!.srcIpRanges!));
    const after = rangeSetOf([x, y].flatMap((c) => c.after.match.config.srcIpRanges));
    const stable = rangeSetOf([...fill(0), ...fill(100)]);
    const steps = orderSteps([change(x, 1000), change(y, 1001)], {
      before,
      after: () => after,
      stable: () => stable,
      band: { from: 1000, to: 1999 },
      used: new Set([1000, 1001]),
    });
    expect(steps.map((s) => `${s.kind}@${s.priority}`)).toEqual([
      'addRule@1002',
      'patchRule@1000',
      'patchRule@1001',
      'removeRule@1002',
    ]);
    expect(steps[0]).toMatchObject({ bridge: true, rule: { match: { config: { srcIpRanges: ['10.0.4.0/25'] } } } });
    expect(continuityViolations(current, steps)).toEqual([]);
  });
});
