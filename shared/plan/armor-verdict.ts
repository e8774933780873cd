/**
 * Does a Cloud Armor policy let an IP through? One verdict for every observer: `netreflex status`
 * judges the egress IPs with it, armorAllowlist's verify reports `overruled` addresses with it, and
 * the workflow's egress check asks armorAllowlistVerify, which answers with it (shared/status/egress-check.ts).
 * Cloud Armor "performs the action of the highest priority rule that matches a request" (priority 0
 * first; https://cloud.google.com/armor/docs/create-security-policy-rules); rules in `preview` only
 * log (https://cloud.google.com/armor/docs/best-practices, "Use preview mode"). Only `SRC_IPS_V1` rules
 * can be judged from the policy alone — a CEL (`expr`) rule at a winning priority makes the answer
 * "unknown", never a guess.
 */
import { aggregate, intersect, parseCidr, rangeSetOf, subtract, type RangeSet } from '../net/cidr.js';
import type { SecurityPolicy, SecurityPolicyRule } from '../gcp/security-policies.js';

export type Verdict =
  | { decision: 'allow' | 'deny'; rule: SecurityPolicyRule }
  | { decision: 'unknown'; rule: SecurityPolicyRule; why: string }
  | { decision: 'deny'; rule?: undefined };

/** Addresses of `ranges` and the verdict Cloud Armor gives every one of them. */
export interface RangeVerdict {
  ranges: RangeSet;
  verdict: Verdict;
}

/** `*` in `srcIpRanges` is every address of both families. */
const everything = () => aggregate([parseCidr('0.0.0.0/0'), parseCidr('::/0')]);

/**
 * The verdict for every address of `ranges`, as parts that each share one: the rules are walked by
 * priority over the addresses still undecided, so a rule that matches only part of a range decides
 * only that part. The first CEL rule reached leaves every address still undecided unknown.
 */
export function evaluateRanges(policy: Pick<SecurityPolicy, 'rules'>, ranges: RangeSet): RangeVerdict[] {
  const rules = [...(policy.rules ?? [])].filter((r) => r.preview !== true).sort((a, b) => a.priority - b.priority);
  const parts: RangeVerdict[] = [];
  let open = ranges;
  for (const rule of rules) {
    if (open.length === 0) return parts;
    if (rule.match?.versionedExpr !== 'SRC_IPS_V1') {
      const why = `rule ${rule.priority} uses an expression this check cannot evaluate`;
      return [...parts, { ranges: open, verdict: { decision: 'unknown', rule, why } }];
    }
    const src = rule.match.config?.srcIpRanges ?? [];
    const hit = intersect(open, src.includes('*') ? everything() : rangeSetOf(src));
    if (hit.length === 0) continue;
    parts.push({ ranges: hit, verdict: { decision: rule.action === 'allow' ? 'allow' : 'deny', rule } });
    open = subtract(open, hit);
  }
  return open.length ? [...parts, { ranges: open, verdict: { decision: 'deny' } }] : parts;
}

/**
 * The rule that decides for `ip`, and whether it allows or denies: of Cloud Armor's actions only
 * `allow` lets a request through as it is (`deny(STATUS)`, `redirect`, `throttle` and
 * `rate_based_ban` do not, or not always: https://cloud.google.com/armor/docs/security-policy-overview).
 */
export function evaluateIp(policy: Pick<SecurityPolicy, 'rules'>, ip: string): Verdict {
  return evaluateRanges(policy, [parseCidr(ip)])[0]!.verdict;
}
