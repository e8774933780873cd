/**
 * Does a Cloud Armor policy let an IP through? One verdict for every observer: `netreflex status`
 * judges the egress IPs with it, armorAllowlist's verify reports `overruled` addresses with it, and
 * the workflow's egress check asks armorAllowlistVerify, which answers with it (egress-check.ts).
 * Cloud Armor "performs the action of the highest priority rule that matches a request" (priority 0
 * first; https://cloud.google.com/armor/docs/create-security-policy-rules); rules in `preview` only
 * log (https://cloud.google.com/armor/docs/best-practices, "Use preview mode"). Only `SRC_IPS_V1` rules
 * can be judged from the policy alone — a CEL (`expr`) rule at a winning priority makes the answer
 * "unknown", never a guess.
 */
import { cidrsContain } from '../net/cidr.js';
import type { SecurityPolicy, SecurityPolicyRule } from '../gcp/security-policies.js';

export type Verdict =
  | { decision: 'allow' | 'deny'; rule: SecurityPolicyRule }
  | { decision: 'unknown'; rule: SecurityPolicyRule; why: string }
  | { decision: 'deny'; rule?: undefined };

function matchesIp(rule: SecurityPolicyRule, ip: string): boolean | 'unknown' {
  if (rule.match?.versionedExpr !== 'SRC_IPS_V1') return 'unknown';
  const ranges = rule.match?.config?.srcIpRanges ?? [];
  if (ranges.includes('*')) return true;
  const host = ip.includes(':') ? `${ip}/128` : `${ip}/32`;
  return cidrsContain(ranges, host);
}

/** The rule that decides for `ip`, and whether it allows (any `allow*` action) or denies. */
export function evaluateIp(policy: Pick<SecurityPolicy, 'rules'>, ip: string): Verdict {
  const rules = [...(policy.rules ?? [])].filter((r) => r.preview !== true).sort((a, b) => a.priority - b.priority);
  for (const rule of rules) {
    const m = matchesIp(rule, ip);
    if (m === 'unknown')
      return { decision: 'unknown', rule, why: `rule ${rule.priority} uses an expression this check cannot evaluate` };
    if (m) return { decision: rule.action.startsWith('allow') ? 'allow' : 'deny', rule };
  }
  return { decision: 'deny' };
}
