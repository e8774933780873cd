/**
 * evaluateRanges (the verdict every observer shares) against a reference that judges one address
 * at a time the way Cloud Armor's documentation says: the highest-priority non-preview rule that
 * matches decides; a CEL rule reached first is unknown; no match is denied. The ranges it answers
 * cover the input exactly once, and every address in a part gets the part's verdict.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateIp, evaluateRanges } from '../../shared/plan/armor-verdict.js';
import { cidrsContain, rangeSetOf, toCidrs } from '../../shared/net/cidr.js';
import type { SecurityPolicyRule } from '../../shared/gcp/security-policies.js';

const block = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom(24, 25, 26, 28, 30, 32))
  .map(([host, prefix]) => {
    const size = 2 ** (32 - prefix);
    return `10.0.0.${Math.floor(host / size) * size}/${prefix}`;
  });
const rule = fc.record({
  priority: fc.integer({ min: 0, max: 50 }),
  action: fc.constantFrom('allow', 'deny(403)', 'deny(404)'),
  preview: fc.boolean(),
  cel: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), // a CEL rule one time in five
  srcIpRanges: fc.array(block, { minLength: 1, maxLength: 3 }),
});
interface GenRule {
  priority: number;
  action: string;
  preview: boolean;
  cel: boolean;
  srcIpRanges: string[];
}
const policyOf = (rules: GenRule[]) => ({
  rules: rules.map((r): SecurityPolicyRule => ({
    priority: r.priority,
    action: r.action,
    preview: r.preview,
    match: r.cel
      ? { expr: { expression: 'true' } }
      : { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: r.srcIpRanges } },
  })),
});

/** One address, judged rule by rule: the reference. */
function reference(policy: { rules: SecurityPolicyRule[] }, ip: string): string {
  const rules = policy.rules.filter((r) => r.preview !== true).sort((a, b) => a.priority - b.priority);
  for (const r of rules) {
    if (r.match?.versionedExpr !== 'SRC_IPS_V1') return `unknown@${r.priority}`;
    if (cidrsContain(r.match.config!.srcIpRanges!, `${ip}/32`))
      return `${r.action.startsWith('allow') ? 'allow' : 'deny'}@${r.priority}`;
  }
  return 'deny@none';
}

describe('evaluateRanges', () => {
  it('gives every address of the input the verdict the one-address reference gives it', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 6 }), fc.array(block, { minLength: 1, maxLength: 3 }), (rules, input) => {
        const policy = policyOf(rules);
        const parts = evaluateRanges(policy, rangeSetOf(input));
        const covered = toCidrs(rangeSetOf(parts.flatMap((p) => toCidrs(p.ranges))));
        expect(covered).toEqual(toCidrs(rangeSetOf(input)));
        for (const part of parts)
          for (const cidr of toCidrs(part.ranges)) {
            const [base, prefix] = cidr.split('/');
            const last = base!.split('.').map(Number);
            last[3]! += 2 ** (32 - Number(prefix)) - 1;
            for (const ip of [base!, last.join('.')]) {
              const v = part.verdict;
              expect(`${v.decision}@${v.rule?.priority ?? 'none'}`, `${ip} in ${cidr}`).toBe(reference(policy, ip));
              expect(evaluateIp(policy, ip)).toEqual(v);
            }
          }
      }),
    );
  });

  it('`*` matches every address of both families', () => {
    const policy = {
      rules: [
        { priority: 1, action: 'deny(403)', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } } },
      ],
    };
    expect(evaluateIp(policy, '2001:db8::1')).toMatchObject({ decision: 'deny', rule: { priority: 1 } });
    expect(evaluateIp(policy, '203.0.113.5')).toMatchObject({ decision: 'deny', rule: { priority: 1 } });
  });
});
