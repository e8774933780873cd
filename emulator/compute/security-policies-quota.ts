/**
 * Cloud Armor's per-project quotas, as https://cloud.google.com/armor/quotas lists them for global
 * (backend and edge) security policies:
 *
 * - `SECURITY_POLICIES`: security policies per project (commonly 10);
 * - `SECURITY_POLICY_RULES`: rules across **all** those policies of the project, counting basic
 *   rules and rules with advanced match conditions alike, default rules included (commonly 200);
 * - `SECURITY_POLICY_CEVAL_RULES`: rules with advanced match conditions (`match.expr`, CEL),
 *   per project (commonly 20).
 *
 * The metric names are compute.proto's `Quota.Metric` values; the limit names follow the
 * `SECURITY-POLICY-RULES-per-project` pattern of Compute's errors (the CEVAL one by that pattern,
 * not seen in an error). Trial projects may have a limit of 0; the limits are emulator settings,
 * so a test can lower them.
 *
 * How the refusal looks: Compute accepts the request and ends its operation with the error
 * (Terraform prints it as `Error waiting for Creating SecurityPolicy …: Quota
 * 'SECURITY_POLICY_RULES' exceeded.  Limit: 0.0 globally.` followed by `metric name =
 * compute.googleapis.com/security_policy_rules`, `limit name = SECURITY-POLICY-RULES-per-project`,
 * `dimensions = map[global:global]`). Those lines are `errors[].errorDetails[].quotaInfo` of an
 * operation error whose code is `QUOTA_EXCEEDED` (hashicorp/terraform-provider-google,
 * google/services/compute/compute_operation.go, `writeOperationError`; compute.proto messages
 * `Errors`, `ErrorDetails`, `QuotaExceededInfo`). The message has two spaces after "exceeded.",
 * as Compute writes it for every quota (`Quota 'NETWORKS' exceeded.  Limit: 5.0 globally`).
 */
import { HttpError } from '../errors.js';
import type { Store } from '../store.js';
import type { Settings } from '../settings.js';
import { globalCol } from './context.js';
import type { SecurityPolicy } from './types.js';
import { isRecord } from './validate.js';

export const ARMOR_QUOTAS = ['SECURITY_POLICIES', 'SECURITY_POLICY_RULES', 'SECURITY_POLICY_CEVAL_RULES'] as const;
export type ArmorQuota = (typeof ARMOR_QUOTAS)[number];

/** The settings that hold a number. */
type NumberSetting = { [K in keyof Settings]: Settings[K] extends number ? K : never }[keyof Settings];
const SETTING: Record<ArmorQuota, NumberSetting> = {
  SECURITY_POLICIES: 'securityPoliciesQuota',
  SECURITY_POLICY_RULES: 'securityPolicyRulesQuota',
  SECURITY_POLICY_CEVAL_RULES: 'securityPolicyAdvancedRulesQuota',
};

export interface ArmorUsage {
  policies: number;
  rules: number;
  advancedRules: number;
}

type RuleLike = { match?: unknown };

/** A rule with an advanced (CEL) match condition counts against SECURITY_POLICY_CEVAL_RULES as well. */
export const isAdvanced = (rule: RuleLike) => isRecord(rule.match) && rule.match.expr !== undefined;

/** What the project's global security policies use now. */
export function armorUsage(store: Store, project: string): ArmorUsage {
  const policies = store.list(globalCol(project, 'securityPolicies'));
  const rules = policies.flatMap((p) => p.rules ?? []);
  return { policies: policies.length, rules: rules.length, advancedRules: rules.filter(isAdvanced).length };
}

/** Compute's quota refusal; `operationError` is what an operation that hits it ends with. */
export class QuotaExceeded extends HttpError {
  constructor(
    readonly metric: ArmorQuota,
    readonly limit: number,
  ) {
    super(403, `Quota '${metric}' exceeded.  Limit: ${limit.toFixed(1)} globally.`, 'quotaExceeded');
  }

  get operationError() {
    const metric = this.metric.toLowerCase();
    return {
      code: 'QUOTA_EXCEEDED',
      message: this.message,
      errorDetails: [
        {
          quotaInfo: {
            metricName: `compute.googleapis.com/${metric}`,
            limitName: `${this.metric.replace(/_/g, '-')}-per-project`,
            dimensions: { global: 'global' },
            limit: this.limit,
          },
        },
      ],
    };
  }
}

/**
 * Refuses a change that would take the project's usage beyond a limit. `delta` is what the
 * change adds (a new policy: 1 policy and its rules; `addRule`: 1 rule; a patch that turns a basic
 * rule into an advanced one: 1 advanced rule). Run when the operation applies, against the state
 * then, so two concurrent additions cannot both squeeze under the limit.
 */
export function checkArmorQuota(store: Store, settings: Settings, project: string, delta: Partial<ArmorUsage>): void {
  const usage = armorUsage(store, project);
  const over = (quota: ArmorQuota, used: number, more = 0) => more > 0 && used + more > settings[SETTING[quota]];
  if (over('SECURITY_POLICIES', usage.policies, delta.policies))
    throw new QuotaExceeded('SECURITY_POLICIES', settings.securityPoliciesQuota);
  if (over('SECURITY_POLICY_RULES', usage.rules, delta.rules))
    throw new QuotaExceeded('SECURITY_POLICY_RULES', settings.securityPolicyRulesQuota);
  if (over('SECURITY_POLICY_CEVAL_RULES', usage.advancedRules, delta.advancedRules))
    throw new QuotaExceeded('SECURITY_POLICY_CEVAL_RULES', settings.securityPolicyAdvancedRulesQuota);
}

/** What replacing a policy's rules `before` with `after` adds to the usage (negative: frees). */
export function armorUsageDelta(before: readonly RuleLike[], after: readonly RuleLike[]): Partial<ArmorUsage> {
  return {
    rules: after.length - before.length,
    advancedRules: after.filter(isAdvanced).length - before.filter(isAdvanced).length,
  };
}

/** What a policy resource adds to the usage when it is inserted. */
export function policyUsage(policy: SecurityPolicy): ArmorUsage {
  const rules = policy.rules ?? [];
  return { policies: 1, rules: rules.length, advancedRules: rules.filter(isAdvanced).length };
}
