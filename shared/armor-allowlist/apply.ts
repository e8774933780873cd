/**
 * Applies allowlist steps strictly in the planner's order, one at a time, each waited on until
 * Cloud Armor has it in force: the order is what keeps every caller that stays allowed allowed,
 * so nothing runs in parallel and a failed step stops the rest (never a removal after a failed add).
 *
 * Before each step a guard re-reads the policy: another sync may have claimed it (stop, it is
 * newer) or changed its rules (stop, re-plan from what is there). A step whose answer was lost
 * is judged by reading the rule back: already as wanted counts as done.
 */
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { addSecurityPolicyRule, getSecurityPolicyRule, patchSecurityPolicyRule, removeSecurityPolicyRule, type SecurityPolicyRule as WireRule } from '../gcp/security-policies.js';
import type { AllowlistStep, SecurityPolicyRule } from '../plan/allowlist.js';
import { timed, type Timed } from '../util/timed.js';
import { describeStep, sameRule, type StepSummary } from './steps.js';

/** `noop`: the rule was already as wanted (a retried call whose first answer was lost). */
export interface StepResult extends Readonly<Timed> {
  readonly step: StepSummary;
}

/** `go`, or why to stop before the next step. */
export type GuardVerdict = 'go' | 'superseded' | 'changed';

export interface ApplyOutcome {
  readonly results: StepResult[];
  readonly stopped?: 'failed' | 'superseded' | 'changed';
}

export async function applySteps(t: Transport, project: string, policy: string, steps: readonly AllowlistStep[], guard: (applied: number) => Promise<GuardVerdict>): Promise<ApplyOutcome> {
  const results: StepResult[] = [];
  for (const [i, step] of steps.entries()) {
    const verdict = await guard(i);
    if (verdict !== 'go') return { results, stopped: verdict };
    const result: StepResult = { step: describeStep(step), ...(await timed(() => applyIdempotent(t, project, policy, step))) };
    results.push(result);
    if (!result.ok) return { results, stopped: 'failed' };
  }
  return { results };
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
async function currentRule(t: Transport, project: string, policy: string, priority: number): Promise<SecurityPolicyRule | undefined> {
  try {
    return (await getSecurityPolicyRule(t, project, policy, priority)) as WireRule as SecurityPolicyRule;
  } catch (err) {
    if (err instanceof ApiError && (err.code === 400 || err.code === 404)) return undefined;
    throw err;
  }
}
