/**
 * What armorAllowlistVerify accepts and answers (shared/status/egress-check.ts): a strict
 * request (the names go into API paths; each IP through netreflex's one address parser, answered
 * canonically), each IP's verdict worded for the workflow's error, and a report that is `ok` only
 * when every IP is allowed.
 */
import { describe, expect, it } from 'vitest';
import { egressReport, judgeEgress, parseEgressRequest } from '../../shared/status/egress-check.js';
import { httpStatus } from '../../shared/reconcile/report.js';
import type { SecurityPolicyRule } from '../../shared/gcp/security-policies.js';

const allow = (priority: number, ranges: string[]): SecurityPolicyRule => ({
  priority,
  action: 'allow',
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } },
});
const DEFAULT: SecurityPolicyRule = {
  priority: 2147483647,
  action: 'deny(403)',
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
};
const policy = (rules: SecurityPolicyRule[]) => ({ name: 'inference-policy', rules });

describe('parseEgressRequest', () => {
  it('takes a policy and its egress IPs, answering each IP canonically', () => {
    expect(parseEgressRequest({ policy: 'inference-policy', ips: ['203.0.113.5', '2001:DB8:0::1'] })).toEqual({
      policy: 'inference-policy',
      ips: ['203.0.113.5', '2001:db8::1'],
    });
  });

  it.each([
    [
      'a CIDR where an address belongs',
      { policy: 'inference-policy', ips: ['203.0.113.0/24'] },
      'ips.0: "203.0.113.0/24" is not an IP address (such as 203.0.113.5)',
    ],
    [
      'no IP',
      { policy: 'inference-policy', ips: [] },
      'ips: ips must name at least one egress IP (NETREFLEX_EGRESS_IPS of the workflow)',
    ],
    [
      'an empty IP (NETREFLEX_EGRESS_IPS unset)',
      { policy: 'inference-policy', ips: [''] },
      'ips.0: "" is not an IP address (such as 203.0.113.5)',
    ],
    [
      'an unknown field',
      { policy: 'inference-policy', ips: ['203.0.113.5'], project: 'other' },
      '(request): unknown field(s) "project"',
    ],
    [
      "a policy name outside Compute's pattern",
      { policy: '../x', ips: ['203.0.113.5'] },
      expect.stringMatching(/^policy: must be a lowercase RFC 1035 name/),
    ],
  ] as const)('refuses %s, saying what to send', (_name, body, problem) => {
    expect(() => parseEgressRequest(body)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/^egress check: the request is invalid; send \{"policy"/),
        problems: [problem],
      }),
    );
  });
});

describe('egressReport', () => {
  it('is ok (200) only when every IP is allowed, naming the allowing rule of each', () => {
    const report = egressReport(
      'inference-policy',
      judgeEgress(policy([allow(1000, ['203.0.113.0/28']), DEFAULT]), ['203.0.113.5', '203.0.113.6']),
    );
    expect(report).toMatchObject({
      status: 'ok',
      reasons: [],
      allowedBy: { '203.0.113.5': 1000, '203.0.113.6': 1000 },
      mutations: 0,
      dryRun: true,
    });
    expect(httpStatus(report)).toBe(200);
  });

  it('one IP not allowed: degraded (422, nothing a retry fixes), the others still listed as allowed', () => {
    const report = egressReport(
      'inference-policy',
      judgeEgress(policy([allow(1000, ['203.0.113.5/32']), DEFAULT]), ['203.0.113.5', '198.51.100.7']),
    );
    expect(report).toMatchObject({ status: 'degraded', retry: false, allowedBy: { '203.0.113.5': 1000 } });
    expect(report.reasons).toEqual([
      'inference-policy does not allow egress IP 198.51.100.7: rule 2147483647 (deny(403)) decides; add it to the allowlist file (a cloudNat entry) and let armorAllowlist apply it',
    ]);
    expect(httpStatus(report)).toBe(422);
  });

  it('a policy with no rule matching the IP denies it, as Cloud Armor does', () => {
    expect(judgeEgress(policy([allow(1000, ['198.51.100.0/24'])]), ['203.0.113.5'])).toEqual([
      {
        ip: '203.0.113.5',
        decision: 'deny',
        why: 'inference-policy does not allow egress IP 203.0.113.5: no rule matches it, so Cloud Armor denies it; add it to the allowlist file (a cloudNat entry) and let armorAllowlist apply it',
      },
    ]);
  });
});
