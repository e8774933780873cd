/**
 * The edges of the one Cloud Armor verdict (shared/plan/armor-verdict.ts) the property test's
 * generated policies do not reach: a policy without rules, rules without a match or without
 * source ranges, actions other than allow and deny, and a CEL rule after every address is decided.
 */
import { describe, expect, it } from 'vitest';
import { evaluateIp, evaluateRanges } from '../../shared/plan/armor-verdict.js';
import { rangeSetOf } from '../../shared/net/cidr.js';
import type { SecurityPolicyRule } from '../../shared/gcp/security-policies.js';

const srcIps = (priority: number, action: string, srcIpRanges?: string[]): SecurityPolicyRule => ({
  priority,
  action,
  match: { versionedExpr: 'SRC_IPS_V1', config: srcIpRanges ? { srcIpRanges } : {} },
});
const cel = (priority: number): SecurityPolicyRule => ({
  priority,
  action: 'allow',
  match: { expr: { expression: "origin.region_code == 'JP'" } },
});

describe('evaluateRanges at its edges', () => {
  it('a policy with no rules denies every address, naming no rule', () => {
    expect(evaluateRanges({ rules: [] }, rangeSetOf(['203.0.113.0/24']))).toEqual([
      { ranges: rangeSetOf(['203.0.113.0/24']), verdict: { decision: 'deny' } },
    ]);
  });

  it('a SRC_IPS_V1 rule without source ranges matches nothing: the next rule decides', () => {
    const policy = { rules: [srcIps(10, 'deny(403)'), srcIps(20, 'allow', ['203.0.113.0/24'])] };
    expect(evaluateIp(policy, '203.0.113.5')).toMatchObject({ decision: 'allow', rule: { priority: 20 } });
    const noConfig = { priority: 10, action: 'deny(403)', match: { versionedExpr: 'SRC_IPS_V1' } };
    expect(evaluateIp({ rules: [noConfig, srcIps(20, 'allow', ['*'])] }, '203.0.113.5')).toMatchObject({
      decision: 'allow',
    });
  });

  it('a rule without a match cannot be judged: unknown, naming it', () => {
    const policy = { rules: [{ priority: 5, action: 'allow' }, srcIps(20, 'allow', ['203.0.113.0/24'])] };
    expect(evaluateIp(policy, '203.0.113.5')).toEqual({
      decision: 'unknown',
      rule: { priority: 5, action: 'allow' },
      why: 'rule 5 uses an expression this check cannot evaluate',
    });
  });

  it('only `allow` lets an address through: redirect, throttle and rate_based_ban are not allow', () => {
    for (const action of ['redirect', 'throttle', 'rate_based_ban', 'deny(502)'])
      expect(evaluateIp({ rules: [srcIps(1, action, ['*'])] }, '203.0.113.5')).toMatchObject({ decision: 'deny' });
    expect(evaluateIp({ rules: [srcIps(1, 'allow', ['*'])] }, '2001:db8::1')).toMatchObject({ decision: 'allow' });
  });

  it('a CEL rule after every address is decided adds nothing: the answer is the deciding rule alone', () => {
    const ranges = rangeSetOf(['203.0.113.0/24']);
    const allow = srcIps(10, 'allow', ['203.0.113.0/24']);
    expect(evaluateRanges({ rules: [allow, cel(20)] }, ranges)).toEqual([
      { ranges, verdict: { decision: 'allow', rule: allow } },
    ]);
  });
});
