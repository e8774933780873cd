/**
 * The allowlist reconciler's verify judges what the whole policy lets through with the verdict
 * `netreflex status` and the workflow's check use, so a rule ahead of the owned allow rules is seen
 * by all three: before, verify read only the owned rules and called a policy with a CEL deny at a
 * higher priority converged while status reported the egress IP UNKNOWN and the workflow failed.
 */
import { describe, expect, it } from 'vitest';
import { verifyPolicy } from '../../shared/plan/allowlist-verify.js';
import { evaluateIp } from '../../shared/plan/armor-verdict.js';
import type { SecurityPolicyRule } from '../../shared/gcp/security-policies.js';
import { DEFAULT_RULE, desired, planAndApply } from './helpers.js';

const NAT_IP = '203.0.113.5';
const want = desired({ egress: [`${NAT_IP}/32`] });
const synced = planAndApply(want, [DEFAULT_RULE]).rules;
const ahead = (rule: SecurityPolicyRule) =>
  ({ name: 'inference-policy', rules: [rule, ...synced] }) as Parameters<typeof verifyPolicy>[0];

describe('verifyPolicy judges the rules ahead of the owned ones', () => {
  it('a CEL deny at a higher priority: verify reports it overruled, as status cannot judge the IP', () => {
    const policy = ahead({
      priority: 10,
      action: 'deny(403)',
      match: { expr: { expression: "origin.region_code == 'JP'" } },
    });
    const v = verifyPolicy(policy, want);
    expect(v.converged).toBe(true);
    expect(v.overruled).toEqual([
      `${NAT_IP}/32: rule 10 uses an expression this check cannot evaluate, ahead of the allow rules`,
    ]);
    expect(evaluateIp(policy, NAT_IP).decision).toBe('unknown');
  });

  it('a foreign SRC_IPS deny ahead: overruled, as status denies the IP', () => {
    const policy = ahead({
      priority: 10,
      action: 'deny(403)',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/24'] } },
    });
    expect(verifyPolicy(policy, want).overruled).toEqual([`${NAT_IP}/32: denied by rule 10 (deny(403))`]);
    expect(evaluateIp(policy, NAT_IP).decision).toBe('deny');
  });

  it('nothing ahead decides: nothing overruled, and status allows the IP', () => {
    const policy = ahead({
      priority: 10,
      action: 'deny(403)',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.0/24'] } },
    });
    expect(verifyPolicy(policy, want).overruled).toEqual([]);
    expect(evaluateIp(policy, NAT_IP).decision).toBe('allow');
  });
});

describe('verifyPolicy judges every address of a range, not its first', () => {
  const wide = desired({ partners: ['10.0.0.0/24'] });
  const syncedWide = planAndApply(wide, [DEFAULT_RULE]).rules;
  const withAhead = (rule: SecurityPolicyRule) =>
    ({ name: 'inference-policy', rules: [rule, ...syncedWide] }) as Parameters<typeof verifyPolicy>[0];
  const deny = (srcIpRanges: string[]): SecurityPolicyRule => ({
    priority: 10,
    action: 'deny(403)',
    match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges } },
  });

  it('a deny ahead over the upper half of an allowed /24 names that half, not the range', () => {
    expect(verifyPolicy(withAhead(deny(['10.0.0.128/25'])), wide).overruled).toEqual([
      '10.0.0.128/25: denied by rule 10 (deny(403))',
    ]);
  });

  it('a deny ahead over the first address only names that address', () => {
    expect(verifyPolicy(withAhead(deny(['10.0.0.0/32'])), wide).overruled).toEqual([
      '10.0.0.0/32: denied by rule 10 (deny(403))',
    ]);
  });

  it('a CEL rule after a partial allow ahead leaves only the rest unknown', () => {
    const policy = {
      name: 'inference-policy',
      rules: [
        {
          priority: 5,
          action: 'allow',
          match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['10.0.0.0/25'] } },
        },
        { priority: 10, action: 'deny(403)', match: { expr: { expression: "origin.region_code == 'JP'" } } },
        ...syncedWide,
      ],
    } as Parameters<typeof verifyPolicy>[0];
    expect(verifyPolicy(policy, wide).overruled).toEqual([
      '10.0.0.128/25: rule 10 uses an expression this check cannot evaluate, ahead of the allow rules',
    ]);
  });
});
