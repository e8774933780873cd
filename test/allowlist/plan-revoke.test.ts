/**
 * Revocations first, the rule budget and the result checks of the allowlist planner, as named
 * scenarios: what the steps are, in which order, and what is refused.
 */
import { describe, expect, it } from 'vitest';
import {
  desiredAllowlist,
  OWNER_MARKER,
  planAllowlist,
  planRevocationsOnly,
  type PolicyRule,
} from '../../shared/plan/allowlist.js';
import { planRevocations } from '../../shared/plan/allowlist-revoke.js';
import { allowedAfterEachStep, continuityViolations } from '../../shared/plan/allowlist-check.js';
import { checkQuota, quotaUse, ruleDelta } from '../../shared/plan/allowlist-quota.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { mappedIpv4, wideRangeReason } from '../../shared/allowlist/safety.js';
import { parseCidr, toCidrs } from '../../shared/net/cidr.js';
import { allowlistOf, DEFAULT_RULE, desired, hosts, kinds, planAndApply, SAFETY } from './helpers.js';

const rule = (priority: number, list: string, ranges: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({
  priority,
  action: 'allow',
  preview: false,
  description: `${OWNER_MARKER} ${list}`,
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } },
  ...extra,
});
const refusal = (fn: () => unknown): AllowlistSafetyError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('revocations first', () => {
  it('TestRevokeBeforeAdd: a revoked partner leaves before the rules for new entries are added', () => {
    const { rules } = planAndApply(desired({ partners: ['203.0.113.0/24', ...hosts(9)] }), [DEFAULT_RULE]);
    const { plan } = planAndApply(
      desired({ partners: [...hosts(9), ...hosts(30, 100)] }, { safety: { ...SAFETY, force: true } }),
      rules,
    );
    expect(plan.steps[0]).toMatchObject({ kind: 'patchRule', priority: 1000 });
    // After the first step the partner is gone, whatever happens to the adds after it.
    const states = allowedAfterEachStep(rules, plan.steps).map(toCidrs);
    expect(states[0]).toContain('203.0.113.0/24');
    expect(states[1]).not.toContain('203.0.113.0/24');
    expect(plan.steps.slice(1).every((s) => s.kind === 'addRule' || s.kind === 'patchRule')).toBe(true);
  });

  it('TestRevokedListFirst: the rule of a list gone from the file is emptied in the first step (here re-used for the new rule)', () => {
    const { rules } = planAndApply(desired({ old: ['192.0.2.0/28'], partners: hosts(10) }), [DEFAULT_RULE]);
    const oldAt = rules.find((r) => r.description === `${OWNER_MARKER} old`)!.priority;
    const { plan } = planAndApply(
      desired({ partners: [...hosts(10), ...hosts(10, 50)] }, { safety: { ...SAFETY, force: true } }),
      rules,
    );
    expect(plan.steps[0]!.priority).toBe(oldAt);
    expect(toCidrs(allowedAfterEachStep(rules, plan.steps)[1]!)).not.toContain('192.0.2.0/28');
  });

  it('TestNarrowed: narrowing a range trims it in place, in one patch', () => {
    const { rules } = planAndApply(desired({ partners: ['198.51.100.0/24', ...hosts(3, 200)] }), [DEFAULT_RULE]);
    const { plan, rules: after } = planAndApply(
      desired({ partners: ['198.51.100.0/26', ...hosts(3, 200)] }, { safety: { ...SAFETY, force: true } }),
      rules,
    );
    expect(kinds(plan)).toEqual(['patchRule@1000']);
    expect(after[0]!.match!.config!.srcIpRanges).toContain('198.51.100.0/26');
  });

  it('TestReplaceFused: dropping one entry and adding another in the same rule is still one call', () => {
    const { rules } = planAndApply(desired({ partners: hosts(25) }), [DEFAULT_RULE]);
    const { plan } = planAndApply(
      desired({ partners: [...hosts(25).filter((_, i) => i !== 12), '192.0.2.1/32'] }),
      rules,
    );
    expect(kinds(plan)).toEqual(['patchRule@1001']);
  });

  it('TestRemoveThenReaddFused: a revoked rule whose priority the new list takes becomes one patch', () => {
    const { rules } = planAndApply(desired({ a: hosts(3) }), [DEFAULT_RULE]);
    const { plan } = planAndApply(desired({ b: ['192.0.2.0/28'] }, { safety: { ...SAFETY, force: true } }), rules);
    expect(kinds(plan)).toEqual(['patchRule@1000']);
    expect(plan.steps[0]).toMatchObject({ list: 'b' });
  });

  it('TestSplitOverflow: revoking one address from a /24 splits it; pieces beyond ten go into a new rule added first', () => {
    const current = [rule(1000, 'a', ['10.0.0.0/24']), DEFAULT_RULE];
    const pieces = cidrsWithout('10.0.0.0/24', [
      '10.0.0.1/32',
      '10.0.0.3/32',
      '10.0.0.5/32',
      '10.0.0.7/32',
      '10.0.0.9/32',
    ]);
    expect(pieces).toHaveLength(11);
    const want = desired({ a: pieces });
    const { plan, rules } = planAndApply(want, current);
    expect(kinds(plan).slice(0, 2)).toEqual(['addRule@1001', 'patchRule@1000']);
    expect(continuityViolations(current, plan.steps)).toEqual([]);
    expect(planAllowlist(want, rules).steps).toEqual([]);
  });

  it('TestEnforcedToPreview: turning a list to preview stops enforcing in the first step (the revocation and the preview rule are one patch)', () => {
    const { rules } = planAndApply(desired({ partners: hosts(5) }), [DEFAULT_RULE]);
    const preview = {
      ...desired({ partners: hosts(5) }, { safety: { ...SAFETY, force: true } }),
      lists: [{ name: 'partners', preview: true, cidrs: hosts(5) }],
    };
    const { plan, rules: after } = planAndApply(preview, rules);
    expect(kinds(plan)).toEqual(['patchRule@1000']);
    expect(toCidrs(allowedAfterEachStep(rules, plan.steps)[1]!)).toEqual([]);
    expect(after.find((r) => r.priority !== DEFAULT_RULE.priority)).toMatchObject({ preview: true });
  });

  it('TestUpsertOnlyRevokesNothing', () => {
    const { rules } = planAndApply(desired({ partners: hosts(5) }), [DEFAULT_RULE]);
    expect(planAllowlist(desired({ partners: hosts(2) }, { mode: 'upsert-only' }), rules).steps).toEqual([]);
    expect(planRevocationsOnly(desired({ partners: hosts(2) }, { mode: 'upsert-only' }), rules).steps).toEqual([]);
  });
});

describe('planRevocationsOnly (a stalled sync, an ownership conflict)', () => {
  it('trims the owned rules only, never adds, and leaves conflicting rules alone', () => {
    const foreign: PolicyRule = {
      priority: 1500,
      action: 'deny(403)',
      description: 'hand-made',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/24'] } },
    };
    const strayMarked = rule(500, 'partners', ['192.0.2.99/32']);
    const current = [rule(1000, 'partners', [...hosts(4), '192.0.2.10/32']), foreign, strayMarked, DEFAULT_RULE];
    const plan = planRevocationsOnly(desired({ partners: hosts(4) }), current);
    expect(kinds(plan)).toEqual(['patchRule@1000']);
    expect(plan.conflicts).toHaveLength(2);
    expect(plan.summary.allowedRemoved).toEqual(['192.0.2.10/32']);
    expect(plan.summary.allowedAdded).toEqual([]);
    expect(
      planRevocationsOnly(desired({ partners: [...hosts(4), '192.0.2.10/32', ...hosts(3, 50)] }), current).steps,
    ).toEqual([]);
  });
});

describe('the rule budget', () => {
  const counts = [
    { policy: 'a', rules: 5, advanced: 0 },
    { policy: 'b', rules: 10, advanced: 2 },
  ];

  it('follows the count along the steps: the peak is what must fit, not only the end', () => {
    const add = { kind: 'addRule' } as never;
    const remove = { kind: 'removeRule' } as never;
    const patch = { kind: 'patchRule' } as never;
    expect(ruleDelta([add, add, remove, remove, remove])).toEqual({ net: -1, peak: 2 });
    expect(ruleDelta([remove, add])).toEqual({ net: 0, peak: 0 });
    expect(ruleDelta([patch])).toEqual({ net: 0, peak: 0 });
    const use = quotaUse(
      counts,
      [
        { policy: 'a', steps: [add, add, remove] },
        { policy: 'b', steps: [add, add] },
      ],
      18,
    );
    expect(use).toMatchObject({
      now: 15,
      advanced: 2,
      peak: 18,
      after: 18,
      policies: [
        { policy: 'a', after: 6 },
        { policy: 'b', after: 12 },
      ],
    });
    expect(() => checkQuota(use, 'p')).not.toThrow();
    const over = refusal(() => checkQuota({ ...use, budget: 17 }, 'p'));
    expect(over.refusal).toBe('quota');
    expect(over.message).toMatch(
      /needs 18 security policy rules in project p at its peak \(15 now across all its security policies, 18 at the end\), over the budget of 17/,
    );
    expect(over.details).toEqual(['a: 5 → 6 rules', 'b: 10 → 12 rules']);
  });
});

describe('safety on the result', () => {
  it('judges IPv4-mapped IPv6 as IPv4', () => {
    expect(toCidrs([mappedIpv4(parseCidr('::ffff:0:0/96'))!])).toEqual(['0.0.0.0/0']);
    expect(toCidrs([mappedIpv4(parseCidr('::ffff:c000:200/120'))!])).toEqual(['192.0.2.0/24']);
    expect(mappedIpv4(parseCidr('2001:db8::/32'))).toBeUndefined();
    expect(mappedIpv4(parseCidr('192.0.2.0/24'))).toBeUndefined();
    expect(wideRangeReason(parseCidr('::ffff:c000:200/120'), SAFETY)).toBeUndefined();
    expect(wideRangeReason(parseCidr('::ffff:c000:0/112'), SAFETY)).toBeUndefined();
    expect(wideRangeReason(parseCidr('::ffff:c000:0/111'), SAFETY)).toMatch(
      /192\.0\.0\.0\/15 is wider than the minimum prefix \/16 for IPv4/,
    );
    expect(wideRangeReason(parseCidr('::ffff:0:0/96'), { ...SAFETY, allowWorldOpen: true })).toBeUndefined();
  });

  it('checks the merged ranges of every list of the policy; a single too-wide entry is reported once', () => {
    const yaml = `version: 1\npolicies: [p]\nlists:\n  a: { entries: [ { cidr: 10.0.0.0/17, description: a }, { cidr: 10.0.128.0/17, description: b }, { cidr: 10.1.0.0/16, description: c } ] }\n  b: { entries: [ { cidr: 172.16.0.0/12, description: d } ] }\n`;
    expect(() => allowlistOf(yaml)).toThrow(/172\.16\.0\.0\/12 is wider than the minimum prefix/);
    const merged = `version: 1\npolicies: [p]\nlists:\n  a: { entries: [ { cidr: 10.0.0.0/17, description: a }, { cidr: 10.0.128.0/17, description: b } ] }\n  b: { entries: [ { cidr: 10.1.0.0/16, description: c } ] }\n`;
    const err = refusal(() => desiredAllowlist(allowlistOf(merged), { policy: 'p', now: new Date() }));
    expect(err.details).toEqual([
      'policy p: lists a, b merge into 10.0.0.0/15 is wider than the minimum prefix /16 for IPv4; lower safety.minPrefixLength.ipv4 or set safety.allowWorldOpen: true if that is really meant',
    ]);
  });

  it('records the expired entries with what they allowed, and their addresses only where no live entry keeps them', () => {
    const allowlist = allowlistOf(
      `version: 1\npolicies: [p]\nlists:\n  a:\n    entries:\n      - { cidr: 198.51.100.0/24, description: live }\n      - { ip: 198.51.100.7, description: covered, expires: 2025-01-01 }\n      - { ip: 192.0.2.7, description: gone, expires: 2025-01-01 }\n`,
    );
    const want = desiredAllowlist(allowlist, { policy: 'p', now: new Date('2026-01-01T00:00:00Z') });
    expect(want.expired.map((e) => [e.path, e.entry, e.cidrs, e.expires])).toEqual([
      ['lists.a.entries[1]', '198.51.100.7', ['198.51.100.7/32'], '2025-01-01T00:00:00.000Z'],
      ['lists.a.entries[2]', '192.0.2.7', ['192.0.2.7/32'], '2025-01-01T00:00:00.000Z'],
    ]);
    expect(want.expiredCidrs).toEqual(['192.0.2.7/32']);
    expect(want.expiredEntries).toBe(2);
  });

  it('an expiry is never a removal-share refusal, a truncated file still is', () => {
    const { rules } = planAndApply(desired({ partners: ['198.51.100.0/24', '192.0.2.1/32'] }), [DEFAULT_RULE]);
    const expiring = desired({ partners: ['192.0.2.1/32'] }, { expiredCidrs: ['198.51.100.0/24'] });
    expect(kinds(planAllowlist(expiring, rules))).toEqual(['patchRule@1000']);
    expect(refusal(() => planAllowlist(desired({ partners: ['192.0.2.1/32'] }), rules)).refusal).toBe('removal-share');
    // Only the part that expired is exempt.
    expect(
      refusal(() =>
        planAllowlist(desired({ partners: ['192.0.2.1/32'] }, { expiredCidrs: ['198.51.100.0/26'] }), rules),
      ).refusal,
    ).toBe('removal-share');
  });
});

/** `cidr` minus single addresses, as a minimal CIDR list. */
function cidrsWithout(cidr: string, holes: readonly string[]): string[] {
  const range = parseCidr(cidr);
  const out: string[] = [];
  let first = range.first;
  for (const hole of holes.map(parseCidr).sort((a, b) => (a.first < b.first ? -1 : 1))) {
    if (hole.first > first) out.push(...toCidrs([{ family: 4, first, last: hole.first - 1n }]));
    first = hole.last + 1n;
  }
  out.push(...toCidrs([{ family: 4, first, last: range.last }]));
  return out;
}

describe('planRevocations, rule by rule', () => {
  const enforced = (ranges: string[], priority = 1000) => ({
    priority,
    list: 'a',
    rule: rule(priority, 'a', ranges),
    ranges,
  });
  const used = (...p: number[]) => new Set([...p, DEFAULT_RULE.priority]);

  it('works out what the rules allow when not told', () => {
    expect(planRevocations(desired({ a: hosts(2) }), [enforced(hosts(3))], used(1000)).map((s) => s.kind)).toEqual([
      'patchRule',
    ]);
  });

  it('judges against the enforced lists only: an address only a preview list still names is revoked', () => {
    const want = { ...desired({}), lists: [{ name: 'a', preview: true, cidrs: hosts(3) }] };
    expect(planRevocations(want, [enforced(hosts(3))], used(1000)).map((s) => `${s.kind}@${s.priority}`)).toEqual([
      'removeRule@1000',
    ]);
  });

  it('leaves preview and non-allow rules alone: they let nobody through, so there is nothing to revoke in them', () => {
    const preview = { priority: 1001, list: 'a', rule: rule(1001, 'a', hosts(3), { preview: true }), ranges: hosts(3) };
    const deny = {
      priority: 1002,
      list: 'a',
      rule: rule(1002, 'a', hosts(3), { action: 'deny(403)' }),
      ranges: hosts(3),
    };
    const steps = planRevocations(
      desired({ a: hosts(1) }),
      [enforced(hosts(3)), preview, deny],
      used(1000, 1001, 1002),
    );
    expect(steps.map((s) => `${s.kind}@${s.priority}`)).toEqual(['patchRule@1000']);
  });

  it('puts the pieces beyond ten of a split rule in new rules of ten, added first', () => {
    // Two /28s and two /29s each lose their first address: 10 ranges become 20.
    const ranges = ['10.0.0.0/28', '10.0.1.0/28', '10.0.2.0/29', '10.0.3.0/29', ...hosts(6)];
    const holes = ['10.0.0.0/32', '10.0.1.0/32', '10.0.2.0/32', '10.0.3.0/32'];
    const want = desired({ a: [...ranges.slice(0, 4).flatMap((r, i) => cidrsWithout(r, [holes[i]!])), ...hosts(6)] });
    const steps = planRevocations(want, [enforced(ranges)], used(1000));
    expect(steps.map((s) => `${s.kind}@${s.priority}`)).toEqual(['addRule@1001', 'patchRule@1000']);
    expect(steps.map((s) => (s.kind === 'removeRule' ? 0 : s.rule.match.config.srcIpRanges.length))).toEqual([10, 10]);
    expect(continuityViolations([rule(1000, 'a', ranges)], steps)).toEqual([]);
  });

  it('takes the last priority of the band for the overflow, and refuses band-full when there is none', () => {
    const pieces = cidrsWithout('10.0.0.0/24', [
      '10.0.0.1/32',
      '10.0.0.3/32',
      '10.0.0.5/32',
      '10.0.0.7/32',
      '10.0.0.9/32',
    ]);
    const tight = desired({ a: pieces }, { priorities: { from: 1000, to: 1001 } });
    expect(
      planRevocations(tight, [enforced(['10.0.0.0/24'])], used(1000)).map((s) => `${s.kind}@${s.priority}`),
    ).toEqual(['addRule@1001', 'patchRule@1000']);
    const full = refusal(() => planRevocations(tight, [enforced(['10.0.0.0/24'])], used(1000, 1001)));
    expect([full.refusal, full.message]).toEqual([
      'band-full',
      'Revoking part of a range of list a splits it into more than 10 ranges, and the band 1000–1001 has no free priority for the rest; nothing was planned. Widen priorities.',
    ]);
  });

  it('finds what to cut in each family, whatever the other family holds', () => {
    // Revoked: IPv4 ranges below and a low IPv6 address: the search for each range must stay in its family.
    const ranges = ['192.0.2.0/28', '198.51.100.0/28', '203.0.113.0/28', '::2/128', '2001:db8::/64', '2001:db8:1::/64'];
    const steps = planRevocations(
      desired({ a: ['192.0.2.0/29', '198.51.100.0/28', '2001:db8::/65'] }),
      [enforced(ranges)],
      used(1000),
    );
    expect(steps).toHaveLength(1);
    expect(steps[0]!.kind === 'patchRule' && steps[0]!.rule.match.config.srcIpRanges).toEqual([
      '192.0.2.0/29',
      '198.51.100.0/28',
      '2001:db8::/65',
    ]);
    const v6only = planRevocations(
      desired({ a: ['192.0.2.0/28', '198.51.100.0/28', '203.0.113.0/28', '2001:db8::/64', '2001:db8:1::/64'] }),
      [enforced(ranges)],
      used(1000),
    );
    expect(v6only[0]!.kind === 'patchRule' && v6only[0]!.rule.match.config.srcIpRanges).toEqual([
      '192.0.2.0/28',
      '198.51.100.0/28',
      '203.0.113.0/28',
      '2001:db8::/64',
      '2001:db8:1::/64',
    ]);
  });
});

describe('the quota refusal', () => {
  it('lists only the policies the sync would change', () => {
    const use = quotaUse(
      [
        { policy: 'a', rules: 5, advanced: 0 },
        { policy: 'untouched', rules: 9, advanced: 0 },
      ],
      [{ policy: 'a', steps: [{ kind: 'addRule' } as never] }],
      14,
    );
    expect(refusal(() => checkQuota(use, 'p')).details).toEqual(['a: 5 → 6 rules']);
  });

  it('says, word for word, what the peak is, which quota it counts against and what to do', () => {
    const use = quotaUse(
      [{ policy: 'a', rules: 5, advanced: 0 }],
      [{ policy: 'a', steps: [{ kind: 'addRule' } as never] }],
      5,
    );
    expect(refusal(() => checkQuota(use, 'p')).message).toBe(
      'This sync needs 6 security policy rules in project p at its peak (5 now across all its security policies, ' +
        "6 at the end), over the budget of 5 (NETREFLEX_ARMOR_RULE_QUOTA; Cloud Armor's SECURITY_POLICY_RULES quota " +
        'counts every rule of every policy of the project); nothing was changed. Merge entries into wider ranges, ' +
        "remove some, or raise the project's quota and then the budget.\n  - a: 5 → 6 rules",
    );
  });
});
