/**
 * What planAllowlist tells the user and what it rewrites: the removal-share refusal word for word
 * (both families, the percentages, the addresses, long lists cut), the summary's counts and address
 * lists, rules whose body drifted from what netreflex writes, rules holding
 * nothing it can read, and where a revocation's overflow rule goes while the sync is stalled.
 */
import { describe, expect, it } from 'vitest';
import { OWNER_MARKER, planAllowlist, planRevocationsOnly } from '../../shared/plan/allowlist.js';
import type { PolicyRule } from '../../shared/plan/allowlist-rules.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { DEFAULT_RULE, desired, hosts, kinds, planAndApply } from './helpers.js';

const rule = (priority: number, list: string, ranges: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({
  priority,
  action: 'allow',
  preview: false,
  description: `${OWNER_MARKER} ${list}`,
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } },
  ...extra,
});

function refusal(fn: () => unknown): AllowlistSafetyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('the removal-share refusal', () => {
  it('names every family over the limit with its share and the addresses it would stop allowing', () => {
    // IPv4: 2 of 3 /32s go (66.66 %); IPv6: the whole /48 goes (100 %).
    const current = [rule(1000, 'a', ['192.0.2.1/32', '192.0.2.3/32', '192.0.2.5/32', '2001:db8::/48'])];
    const err = refusal(() => planAllowlist(desired({ a: ['192.0.2.5/32'] }), current));
    expect(err.refusal).toBe('removal-share');
    expect(err.message.split('\n')).toEqual([
      'This sync would remove 66.66% of the IPv4 addresses and 100% of the IPv6 addresses inference-policy allows now (limit 50% per family; entries that expired do not count); nothing was planned. If the file is right (not truncated or mixed up), set safety.force: true for this one upload and remove it afterwards.',
      '  - would stop allowing (IPv4): 192.0.2.1/32, 192.0.2.3/32',
      '  - would stop allowing (IPv6): 2001:db8::/48',
    ]);
    expect(err.details).toEqual([
      'would stop allowing (IPv4): 192.0.2.1/32, 192.0.2.3/32',
      'would stop allowing (IPv6): 2001:db8::/48',
    ]);
  });

  it('names only the family over the limit, with the limit the file sets', () => {
    const current = [rule(1000, 'a', ['192.0.2.1/32', '192.0.2.3/32', '2001:db8::/48', '2001:db8:1::/48'])];
    const want = desired(
      { a: ['2001:db8::/48'] },
      {
        safety: { minPrefixLength: { ipv4: 16, ipv6: 48 }, allowWorldOpen: false, maxRemovalShare: 0.25, force: false },
      },
    );
    const err = refusal(() => planAllowlist(want, current));
    expect(err.message).toMatch(
      /^This sync would remove 100% of the IPv4 addresses and 50% of the IPv6 addresses inference-policy allows now \(limit 25% per family;/,
    );
    const only4 = refusal(() => planAllowlist(desired({ a: ['2001:db8::/48', '2001:db8:1::/48'] }), current));
    expect(only4.message).toMatch(
      /^This sync would remove 100% of the IPv4 addresses inference-policy allows now \(limit 50% per family;/,
    );
    expect(only4.details).toEqual(['would stop allowing (IPv4): 192.0.2.1/32, 192.0.2.3/32']);
  });

  it('lists ten addresses and says how many more', () => {
    const ten = hosts(10);
    const eleven = hosts(11, 20);
    const keep = hosts(1, 100);
    expect(refusal(() => planAllowlist(desired({ a: keep }), [rule(1000, 'a', [...ten, ...keep])])).details).toEqual([
      `would stop allowing (IPv4): ${ten.join(', ')}`,
    ]);
    const current = [rule(1000, 'a', eleven.slice(0, 10)), rule(1001, 'a', [eleven[10]!, ...keep])];
    expect(refusal(() => planAllowlist(desired({ a: keep }), current)).details).toEqual([
      `would stop allowing (IPv4): ${eleven.slice(0, 10).join(', ')} and 1 more`,
    ]);
  });
});

describe('the plan summary', () => {
  it('counts the rules added, patched and removed, and the addresses gained and lost', () => {
    // b's rule goes, a's grows, d's is new at the lowest free priority.
    const current = [rule(1001, 'a', hosts(3)), rule(1002, 'c', hosts(4, 20)), rule(1003, 'b', hosts(2, 10))];
    const { plan } = planAndApply(
      desired({ a: [...hosts(3), '203.0.113.0/28'], c: hosts(4, 20), d: ['198.18.0.0/24'] }),
      current,
      { force: true },
    );
    expect(kinds(plan)).toEqual(['removeRule@1003', 'addRule@1000', 'patchRule@1001']);
    expect([plan.summary.rulesAdded, plan.summary.rulesPatched, plan.summary.rulesRemoved]).toEqual([1, 1, 1]);
    expect(plan.summary.allowedAdded).toEqual(['198.18.0.0/24', '203.0.113.0/28']);
    expect(plan.summary.allowedRemoved).toEqual(hosts(2, 10));
  });
});

describe('rules whose body drifted', () => {
  it('rewrites a marked rule whose action, description or duplicated ranges differ from what netreflex writes', () => {
    const ranges = hosts(2);
    const wrongAction = rule(1000, 'a', ranges, { action: 'deny(403)' });
    expect(kinds(planAllowlist(desired({ a: ranges }), [wrongAction], { force: true }))).toEqual(['patchRule@1000']);
    const edited = rule(1000, 'a', ranges, { description: `${OWNER_MARKER} a (edited by hand)` });
    const { plan, rules } = planAndApply(desired({ a: ranges }), [edited]);
    expect(kinds(plan)).toEqual(['patchRule@1000']);
    expect(rules[0]!.description).toBe(`${OWNER_MARKER} a`);
    const twice = rule(1000, 'a', [ranges[0]!, ranges[0]!, ranges[1]!]);
    const fixed = planAndApply(desired({ a: ranges }), [twice]);
    expect(kinds(fixed.plan)).toEqual(['patchRule@1000']);
    expect(fixed.rules[0]!.match!.config!.srcIpRanges).toEqual(ranges);
    expect(planAllowlist(desired({ a: ranges }), fixed.rules).steps).toEqual([]);
  });

  it('sync removes a marked rule holding nothing it can read; upsert-only leaves it', () => {
    const unreadable = rule(1000, 'a', ['not a range']);
    expect(kinds(planAllowlist(desired({ b: hosts(1) }), [unreadable, DEFAULT_RULE]))).toEqual([
      'addRule@1001',
      'removeRule@1000',
    ]);
    expect(kinds(planAllowlist(desired({ b: hosts(1) }, { mode: 'upsert-only' }), [unreadable, DEFAULT_RULE]))).toEqual(
      ['addRule@1001'],
    );
  });
});

describe('planRevocationsOnly', () => {
  it('puts the overflow of a split rule at a priority no rule of the policy holds', () => {
    // Revoking one address of a /24 in a full rule leaves 8 pieces + 9 others: a new rule takes the rest.
    const others = hosts(9, 100);
    const current = [rule(1000, 'a', ['10.9.0.0/24', ...others]), rule(1001, 'b', hosts(1, 200)), DEFAULT_RULE];
    const pieces = [
      '10.9.0.0/25',
      '10.9.0.128/26',
      '10.9.0.192/27',
      '10.9.0.224/28',
      '10.9.0.240/29',
      '10.9.0.248/30',
      '10.9.0.252/31',
      '10.9.0.254/32',
    ];
    const plan = planRevocationsOnly(desired({ a: [...pieces, ...others], b: hosts(1, 200) }), current);
    expect(kinds(plan)).toEqual(['addRule@1002', 'patchRule@1000']);
  });
});
