/**
 * Verify: read the policy back and compare what it actually lets through with what the file
 * wants. Converged means a fresh plan on the read-back rules is empty (plan(x, x) = nothing), with
 * the same planner that planned the sync (the whole file, or only its revocations).
 */
import { aggregate, parseCidr, subtract, toCidrs, type RangeSet } from '../net/cidr.js';
import type { SecurityPolicy } from '../gcp/security-policies.js';
import { allowedBy, partitionRules } from './allowlist-rules.js';
import { planAllowlist, type AllowlistPlan, type DesiredAllowlist, type PolicyRule } from './allowlist.js';
import { errorMessage } from '../errors.js';
import { evaluateRanges } from './armor-verdict.js';

export interface VerifyReport {
  readonly converged: boolean;
  /** Addresses the file allows (enforced lists) that the owned rules do not let through. */
  readonly missing: readonly string[];
  /** Addresses the owned rules let through that the file does not allow (expected in upsert-only). */
  readonly extra: readonly string[];
  readonly problem?: string;
  /**
   * Addresses the file allows that the whole policy does not let through, judged as Cloud Armor
   * does (first matching rule by priority, the verdict `netreflex status` and the workflow use):
   * a deny ahead of the owned rules, or a CEL rule ahead that cannot be judged — every address, so a
   * deny over part of an allowed range names that part. Reported, not repaired: netreflex does not
   * own the rules ahead.
   */
  readonly overruled: readonly string[];
}

export type Replan = (rules: readonly PolicyRule[]) => AllowlistPlan;

export function verifyPolicy(
  policy: Pick<SecurityPolicy, 'rules'>,
  desired: DesiredAllowlist,
  replan: Replan = (rules) => planAllowlist(desired, rules, { force: true }),
): VerifyReport {
  const rules = policy.rules;
  try {
    const allowed = allowedBy(partitionRules(rules, desired.priorities).owned.map((o) => o.rule));
    const want = aggregate(desired.lists.filter((l) => !l.preview).flatMap((l) => l.cidrs.map(parseCidr)));
    const converged = replan(rules).steps.length === 0;
    return {
      converged,
      missing: toCidrs(subtract(want, allowed)),
      extra: toCidrs(subtract(allowed, want)),
      overruled: overruled(policy, want),
    };
  } catch (err) {
    return { converged: false, missing: [], extra: [], overruled: [], problem: errorMessage(err) };
  }
}

function overruled(policy: Pick<SecurityPolicy, 'rules'>, want: RangeSet): string[] {
  return evaluateRanges(policy, want).flatMap(({ ranges, verdict: v }) => {
    if (v.decision === 'allow') return [];
    const why =
      v.decision === 'unknown'
        ? `${v.why}, ahead of the allow rules`
        : `denied by ${v.rule ? `rule ${v.rule.priority} (${v.rule.action})` : 'no matching rule'}`;
    return toCidrs(ranges).map((cidr) => `${cidr}: ${why}`);
  });
}
