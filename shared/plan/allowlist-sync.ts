/**
 * The decisions of one policy's sync under its claim (shared/armor-allowlist/policy-sync.ts runs
 * them, over the kernel's loop): whether the labels need a write, the plan on a look (none once
 * another sync claimed the policy), when a converging sync gives up on a failed step, and how the
 * run it ended with is judged — superseded, failed, refused, degraded, or what it recorded.
 * Pure: the sync hands in what it read, applied and wrote.
 */
import type { SecurityPolicy } from '../gcp/security-policies.js';
import type { Applied, StepResult as KernelResult } from '../reconcile/apply.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import type { AllowlistStep, PolicyRule } from './allowlist.js';
import { OUR_LABELS, claimOf } from './allowlist-claim.js';
import type { StepSummary } from './allowlist-steps.js';
import { verifyPolicy } from './allowlist-verify.js';
import { overruled, type PolicyPlan, type PolicyReport } from './allowlist-report.js';

/**
 * What a sync records once the policy verifies (shared/armor-allowlist/prepare.ts `PreparedPolicy`):
 * the generation it claims the policy for, and whether to label it, drop netreflex's labels, or
 * leave them.
 */
export interface Recording {
  readonly generation?: string;
  readonly record: 'generation' | 'release' | 'none';
}

/**
 * Whether the policy's labels are behind what the sync records, so a sync with no step to apply
 * still claims and records: a generation (or source) other than the one it labels, or netreflex's
 * labels still on a policy it releases (the four a release removes, shared/armor-allowlist/lock.ts;
 * another label that merely starts like them is not netreflex's). A generation-less sync labels nothing.
 */
export function labelsBehind(p: Recording, policy: Pick<SecurityPolicy, 'labels'>, source: string): boolean {
  const c = claimOf(policy);
  if (p.record === 'generation')
    return p.generation !== undefined && (c.generation !== p.generation || c.source !== source);
  if (p.record === 'release') return OUR_LABELS.some((k) => k in (policy.labels ?? {}));
  return false;
}

/**
 * The file's steps on a policy's rules (`from`), or why there are none: another sync claimed the
 * policy since (`superseded`: that sync applies the newer state, so this one plans nothing on it),
 * or the planner refuses them now.
 */
export interface Planned {
  readonly from: readonly PolicyRule[];
  readonly steps: readonly AllowlistStep[];
  readonly superseded?: true;
  readonly refused?: string;
}

/** The plan on a look, once the look shows the claim is still `run`'s (else nothing: the newer sync finishes). */
export function planUnderClaim(
  p: Pick<PolicyPlan, 'replan'>,
  policy: Pick<SecurityPolicy, 'labels' | 'rules'>,
  run: string,
): Planned {
  return claimOf(policy).run === run ? replan(p, policy) : { from: policy.rules, steps: [], superseded: true };
}

/** A fresh plan from the read-back rules, or why the planner refuses it (any other error is thrown on). */
export function replan(p: Pick<PolicyPlan, 'replan'>, policy: Pick<SecurityPolicy, 'rules'>): Planned {
  try {
    return { from: policy.rules, steps: p.replan(policy.rules).steps };
  } catch (err) {
    if (!(err instanceof AllowlistSafetyError)) throw err;
    return { from: policy.rules, steps: [], refused: err.message };
  }
}

/** The claim found a newer generation on the policy, held or being applied: that sync finishes the job. */
export function outclaimedReport(
  report: PolicyReport,
  newer: string,
  p: Pick<PolicyPlan, 'name'> & Pick<Recording, 'generation'>,
): PolicyReport {
  return {
    ...report,
    status: 'stale',
    reason: `generation ${newer} is newer than ${p.generation ?? 'this file'} and already holds or is being applied to ${p.name}; that sync finishes the job`,
  };
}

/** A rule change Cloud Armor refused for the project's quota (someone else used it up meanwhile). */
const QUOTA = /Quota '[A-Z_]+' exceeded/;

/** The step that failed in an apply (`kind@priority`), and which apply of the sync it was. */
export interface Failure {
  readonly key: string;
  readonly apply: number;
}

/** An apply's failed step, if any, and whether the sync gives up on it rather than plan again. */
export interface AfterApply {
  readonly failure?: Failure;
  readonly gaveUp: boolean;
}

/**
 * After the `apply`th apply, which ran to its end or failed (`previous`: the failure of the apply
 * before, if any): a failed step is tried again on a fresh plan (another writer may have taken its
 * priority); not when it is transient (the event is retried), a quota refusal, or the same step
 * refused in two applies running: Cloud Armor says no.
 */
export function afterApply(
  results: readonly KernelResult<StepSummary>[],
  apply: number,
  previous: Failure | undefined,
): AfterApply {
  const failed = results.find((r) => !r.ok);
  if (!failed) return { gaveUp: false };
  const failure = { key: `${failed.detail.kind}@${failed.detail.priority}`, apply };
  const gaveUp =
    failed.transient === true ||
    // Stryker disable next-line StringLiteral: equivalent, no text but a quota message matches the pattern
    QUOTA.test(failed.error ?? '') ||
    (previous?.key === failure.key && previous.apply === apply - 1);
  return { failure, gaveUp };
}

/**
 * A run that ended mid-apply (`done`: its report with every result): superseded when the guard
 * stopped it for a newer claim, failed on the step the sync gave up on (a retry when that failure
 * was transient); undefined when it ended on a look, which `judgeLook` judges.
 */
export function endedMidApply(
  done: PolicyReport,
  applied: Applied<StepSummary> | undefined,
  gaveUp: boolean,
): PolicyReport | undefined {
  if (applied?.stopped?.kind === 'stop')
    return { ...done, status: 'superseded', reason: 'a newer sync claimed the policy mid-apply; it finishes the job' };
  const failed = applied?.results.find((r) => !r.ok);
  if (failed && gaveUp)
    return {
      ...done,
      status: 'failed',
      retry: failed.transient === true,
      reason: `step ${failed.detail.kind} at ${failed.detail.priority} failed: ${failed.error}; later steps were not applied (the revocations before it were)`,
    };
  return undefined;
}

/** Another sync claimed the policy (its labels, as `policy` has them): it applies the newer state. */
export function superseded(
  report: PolicyReport,
  policy: Pick<SecurityPolicy, 'labels'>,
  p: Pick<PolicyPlan, 'name'>,
): PolicyReport {
  const claim = claimOf(policy);
  return {
    ...report,
    status: 'superseded',
    reason: `another sync (run ${claim.run ?? '?'}, generation ${claim.claim ?? '?'}) claimed ${p.name}; it applies the newer state`,
  };
}

/**
 * The look a run ended on, after its last apply (`looked`: the report with that look's pass):
 * superseded, refused, or not converged (a retry: another writer may be changing the rules);
 * undefined when the look needs nothing, so the sync verifies and records it.
 */
export function judgeLook(
  looked: PolicyReport,
  run: { readonly observed: Pick<SecurityPolicy, 'labels'>; readonly plan: Planned },
  p: Pick<PolicyPlan, 'name'>,
): PolicyReport | undefined {
  if (run.plan.superseded) return superseded(looked, run.observed, p);
  if (run.plan.refused) return { ...looked, status: 'refused', reason: run.plan.refused };
  if (run.plan.steps.length === 0) return undefined;
  return {
    ...looked,
    status: 'failed',
    retry: true,
    reason: `${p.name} did not converge after ${looked.passes} passes (is another writer changing its rules?); retrying later`,
  };
}

/**
 * The policy read back, before anything is recorded: `ok` when a step changed it, else `unchanged`,
 * with what verify found — `degraded` when it does not hold what the file wants (nothing is
 * recorded then: the next sync tries again).
 */
export function readBack(
  report: PolicyReport,
  policy: Pick<SecurityPolicy, 'rules'>,
  p: Pick<PolicyPlan, 'name' | 'desired' | 'replan'>,
): PolicyReport {
  const verify = verifyPolicy(policy, p.desired, p.replan);
  const changed = report.results.some((r) => r.ok && !r.noop);
  const done: PolicyReport = { ...report, status: changed ? 'ok' : 'unchanged', verify };
  if (verify.converged) return done;
  return {
    ...done,
    status: 'degraded',
    reason: `read back, ${p.name} does not hold what the file wants${verify.missing.length ? `: ${verify.missing.join(', ')} not allowed` : ''}${verify.problem ? ` (${verify.problem})` : ''}; its generation is not recorded, the next sync tries again`,
  };
}

/**
 * A verified policy's report once its labels were written (`recorded`, shared/armor-allowlist/lock.ts):
 * superseded when a newer sync took the claim first; else the label write counted, the generation
 * it holds (none once released), `ok` when a step or the label write changed it, and the overruled
 * verdict on top.
 */
export function recordedReport(
  done: PolicyReport,
  recorded: 'written' | 'unchanged' | 'lost',
  p: Pick<PolicyPlan, 'name' | 'desired'> & Recording,
): PolicyReport {
  if (recorded === 'lost')
    return {
      ...done,
      status: 'superseded',
      reason: 'a newer sync claimed the policy before its generation was recorded; it records its own',
    };
  const out: PolicyReport = { ...done };
  if (recorded === 'written') out.mutations += 1;
  if (p.record === 'generation') out.holds = p.generation;
  if (p.record === 'release') delete out.holds;
  return overruled({ ...out, status: out.status === 'ok' || recorded === 'written' ? 'ok' : 'unchanged' }, p);
}
