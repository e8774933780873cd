/**
 * Allowlist steps as the kernel's phases: strictly the planner's order, one step at a time, each
 * waited on until Cloud Armor has it in force — the order is what keeps every caller that stays
 * allowed allowed, so the phases are ordered (a failed step stops the rest: never a removal after
 * a failed add) and alternate between upserts and destructive steps (a patch that drops ranges, a
 * removal) exactly where the planner's order does.
 *
 * A step whose answer was lost is judged by reading the rule back: already as wanted counts as
 * done. The guard that runs before each step (policy-sync.ts) is what stops on a newer claim.
 */
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import {
  addSecurityPolicyRule,
  getSecurityPolicyRule,
  patchSecurityPolicyRule,
  removeSecurityPolicyRule,
  type SecurityPolicyRule,
} from '../gcp/security-policies.js';
import type { AllowlistStep } from '../plan/allowlist.js';
import { orderedPhases, type Plan, type Step } from '../reconcile/plan.js';
import type { StepResult as KernelResult } from '../reconcile/apply.js';
import { describeStep, sameRule, type StepResult, type StepSummary } from '../plan/allowlist-steps.js';

/** The planner's steps, in its order, as ordered phases; a step that takes ranges away is destructive. */
export function allowlistPhases(
  t: Transport,
  project: string,
  policy: string,
  steps: readonly AllowlistStep[],
): Plan<StepSummary> {
  const kernelSteps: Step<StepSummary>[] = steps.map((step, i) => {
    const summary = describeStep(step);
    return {
      id: stepId(step, i),
      kind: step.kind,
      detail: summary,
      run: () => applyIdempotent(t, project, policy, step),
    };
  });
  return { phases: orderedPhases(kernelSteps, (s) => s.detail.kind === 'removeRule' || s.detail.removed.length > 0) };
}

/** The kernel step id of the planner's `i`th step. */
export const stepId = (step: AllowlistStep, i: number) => `${i} ${step.kind}@${step.priority}`;

/** A kernel result as the allowlist report shows it. */
export function stepResult(r: KernelResult<StepSummary>): StepResult {
  const { id: _id, kind: _kind, detail, reason: _reason, ...outcome } = r;
  return { step: detail, ...outcome };
}

/** Runs one step; on a refusal, answers true (no-op) when the rule is already as the step wants. */
async function applyIdempotent(t: Transport, project: string, policy: string, step: AllowlistStep): Promise<boolean> {
  try {
    await callFor(t, project, policy, step);
    return false;
  } catch (err) {
    if (!(err instanceof ApiError) || err.transient) throw err;
    const now = await currentRule(t, project, policy, step.priority);
    if (sameRule(now, step.kind === 'removeRule' ? undefined : step.rule)) return true;
    throw err;
  }
}

function callFor(t: Transport, project: string, policy: string, step: AllowlistStep): Promise<void> {
  switch (step.kind) {
    case 'addRule':
      return addSecurityPolicyRule(t, project, policy, step.rule);
    case 'patchRule':
      return patchSecurityPolicyRule(t, project, policy, step.priority, step.rule);
    case 'removeRule':
      return removeSecurityPolicyRule(t, project, policy, step.priority);
  }
}

/** The rule at `priority`, or undefined when there is none (getRule answers 400 for a missing rule). */
async function currentRule(
  t: Transport,
  project: string,
  policy: string,
  priority: number,
): Promise<SecurityPolicyRule | undefined> {
  try {
    return await getSecurityPolicyRule(t, project, policy, priority);
  } catch (err) {
    if (err instanceof ApiError && (err.code === 400 || err.code === 404)) return undefined;
    throw err;
  }
}
