/**
 * Cloud Armor's rule quota as a sync must respect it. `SECURITY_POLICY_RULES` counts the rules of
 * **every** security policy of the project together — default rules, Terraform's, other teams',
 * rules with advanced expressions (https://cloud.google.com/armor/quotas) — and a sync is a series
 * of single-rule calls whose adds come before the removals they make safe, so what must fit is
 * the peak along the steps, not only the end. The budget is configured
 * (`NETREFLEX_ARMOR_RULE_QUOTA`, default 200, the common quota); a plan over it is refused before
 * any change instead of failing half-way with some adds done and the revocations behind them not.
 *
 * Advanced-expression rules have their own quota (`SECURITY_POLICY_CEVAL_RULES`); netreflex writes
 * none, so they matter here only as part of the total, and are reported beside it.
 */
import { AllowlistSafetyError } from '../allowlist/errors.js';
import type { AllowlistStep } from './allowlist-order.js';

/** Rules a policy holds, as Cloud Armor counts them. */
export interface PolicyRuleCount {
  readonly policy: string;
  readonly rules: number;
  /** Rules whose match is an advanced (CEL) expression. */
  readonly advanced: number;
}

/** How a sequence of steps moves the rule count: the change at the end and the highest point on the way. */
export interface RuleDelta {
  readonly net: number;
  /** ≥ 0: the most rules the steps have added at any point beyond the count they started from. */
  readonly peak: number;
}

export function ruleDelta(steps: readonly AllowlistStep[]): RuleDelta {
  let net = 0;
  let peak = 0;
  for (const step of steps) {
    net += step.kind === 'addRule' ? 1 : step.kind === 'removeRule' ? -1 : 0;
    peak = Math.max(peak, net);
  }
  return { net, peak };
}

/** The project's rule count before, at the peak and after a sync that runs `plans` one after the other. */
export interface QuotaUse {
  readonly budget: number;
  /** Rules of every security policy of the project now. */
  readonly now: number;
  readonly advanced: number;
  readonly peak: number;
  readonly after: number;
  readonly policies: readonly (PolicyRuleCount & { readonly after: number })[];
}

export function quotaUse(
  counts: readonly PolicyRuleCount[],
  plans: readonly { readonly policy: string; readonly steps: readonly AllowlistStep[] }[],
  budget: number,
): QuotaUse {
  const now = counts.reduce((n, c) => n + c.rules, 0);
  let running = now;
  let peak = now;
  const deltas = new Map<string, number>();
  for (const plan of plans) {
    const d = ruleDelta(plan.steps);
    peak = Math.max(peak, running + d.peak);
    running += d.net;
    deltas.set(plan.policy, (deltas.get(plan.policy) ?? 0) + d.net);
  }
  const policies = counts.map((c) => ({ ...c, after: c.rules + (deltas.get(c.policy) ?? 0) }));
  return { budget, now, advanced: counts.reduce((n, c) => n + c.advanced, 0), peak, after: running, policies };
}

/** Refuses (`quota`) a sync whose peak exceeds the budget; nothing has changed when it throws. */
export function checkQuota(use: QuotaUse, project: string): void {
  if (use.peak <= use.budget) return;
  const changed = use.policies
    .filter((p) => p.after !== p.rules)
    .map((p) => `${p.policy}: ${p.rules} → ${p.after} rules`);
  throw new AllowlistSafetyError(
    'quota',
    `This sync needs ${use.peak} security policy rules in project ${project} at its peak (${use.now} ` +
      `now across all its security policies, ${use.after} at the end), over the budget of ${use.budget} ` +
      `(NETREFLEX_ARMOR_RULE_QUOTA; Cloud Armor's SECURITY_POLICY_RULES quota counts every rule of every ` +
      `policy of the project); nothing was changed. Merge entries into wider ranges, remove some, or raise ` +
      `the project's quota and then the budget.`,
    changed,
  );
}
