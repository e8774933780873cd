/**
 * One policy's sync: claim → apply the steps in order → verify by reading the policy back → record
 * what it holds. Re-plans while another writer moves the rules; stops when a sync of a newer
 * generation takes the policy over (that one finishes the job).
 *
 * The generation label is written only after a fresh plan on the read-back rules is empty, under
 * the claim, so it never names a file the policy does not hold. A sync with nothing to change and
 * the right labels writes nothing at all; one whose labels are behind (a new upload that changes
 * no rule) claims and records them.
 */
import type { Transport } from '../gcp/transport.js';
import { getSecurityPolicy, type SecurityPolicy } from '../gcp/security-policies.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import type { AllowlistPlan, PolicyRule } from '../plan/allowlist.js';
import { applyAllowlistSteps } from '../plan/allowlist-check.js';
import { claimOf, claimPolicy, recordApplied, releasePolicy } from './lock.js';
import { allowlistPhases, stepResult } from './apply.js';
import { applyPlan as runPlan, GO, type Guard, type Verdict } from '../reconcile/apply.js';
import { applyPolicy, stepsOf, type Policy } from '../reconcile/plan.js';
import type { StepSummary } from './steps.js';
import { verifyPolicy } from './verify.js';
import { describeStep, sameRules } from './steps.js';
import { emptyPolicyReport, type PolicyReport } from './report.js';
import type { PreparedPolicy } from './prepare.js';

export interface SyncContext {
  readonly project: string;
  readonly run: string;
  /** This object's source label value. */
  readonly source: string;
  readonly maxPasses: number;
  /** The kernel's policy the steps run under (shared/reconcile/plan.ts `applyPolicy`). */
  readonly policy: Policy;
}

/** A rule change Cloud Armor refused for the project's quota (someone else used it up meanwhile). */
const QUOTA = /Quota '[A-Z_]+' exceeded/;

export function plannedReport(p: PreparedPolicy): PolicyReport {
  const steps = p.plan.steps.map(describeStep);
  const s = p.plan.summary;
  const c = claimOf(p.policy);
  return {
    ...emptyPolicyReport(p.name, p.role),
    status: steps.length ? 'planned' : 'unchanged',
    mode: p.plan.mode,
    ...(c.generation ? { holds: c.generation } : {}),
    ...(c.claim && c.claim !== c.generation
      ? {
          applying: {
            generation: c.claim,
            ...(c.claimedAt !== undefined ? { since: new Date(c.claimedAt).toISOString() } : {}),
          },
        }
      : {}),
    steps,
    summary: {
      rulesAdded: s.rulesAdded,
      rulesPatched: s.rulesPatched,
      rulesRemoved: s.rulesRemoved,
      allowedAdded: s.allowedAdded,
      allowedRemoved: s.allowedRemoved,
      expiredEntries: s.expiredEntries,
    },
    verify: verifyPolicy(p.policy, p.desired, p.replan),
  };
}

function labelsBehind(p: PreparedPolicy, policy: SecurityPolicy, source: string): boolean {
  const c = claimOf(policy);
  if (p.record === 'generation')
    return p.generation !== undefined && (c.generation !== p.generation || c.source !== source);
  if (p.record === 'release') return Object.keys(policy.labels ?? {}).some((k) => k.startsWith('netreflex-allowlist-'));
  return false;
}

export async function syncPolicy(t: Transport, p: PreparedPolicy, ctx: SyncContext): Promise<PolicyReport> {
  const report: PolicyReport = { ...plannedReport(p), status: 'unchanged', verify: undefined };
  let policy = p.policy;
  let plan = p.plan;
  let holding = false;
  let lastFailure: string | undefined;
  for (let pass = 1; pass <= ctx.maxPasses; pass++) {
    report.passes = pass;
    if (plan.steps.length === 0 && (holding || !labelsBehind(p, policy, ctx.source)))
      return finish(t, report, policy, p, ctx, holding);
    if (!holding) {
      const claim = await claimPolicy(t, ctx.project, policy, p.generation, ctx.run);
      if (!claim.claimed)
        return {
          ...report,
          status: 'stale',
          reason: `generation ${claim.newer} is newer than ${p.generation ?? 'this file'} and already holds or is being applied to ${p.name}; that sync finishes the job`,
        };
      holding = true;
      report.mutations += 1;
      // Read again after the claim: a foreign label write or an older sync may have moved the rules meanwhile.
      policy = await getSecurityPolicy(t, ctx.project, p.name);
      if (claimOf(policy).run !== ctx.run) return superseded(report, policy, p);
      const next = replan(p, policy, report);
      if (!next) return report;
      plan = next;
      continue;
    }
    const outcome = await applyPlan(t, ctx, policy, plan);
    report.results.push(...outcome.results);
    report.mutations += outcome.results.filter((r) => r.ok && !r.noop).length;
    if (outcome.stopped === 'superseded')
      return {
        ...report,
        status: 'superseded',
        reason: 'a newer sync claimed the policy mid-apply; it finishes the job',
      };
    const failed = outcome.results.find((r) => !r.ok);
    const key = failed && `${failed.step.kind}@${failed.step.priority}`;
    // Transient: retry the event. Quota, or the same refusal twice running: Cloud Armor says no, not a race.
    if (failed && (failed.transient || QUOTA.test(failed.error ?? '') || key === lastFailure)) {
      return {
        ...report,
        status: 'failed',
        retry: failed.transient === true,
        reason: `step ${failed.step.kind} at ${failed.step.priority} failed: ${failed.error}; later steps were not applied (the revocations before it were)`,
      };
    }
    lastFailure = key;
    policy = await getSecurityPolicy(t, ctx.project, p.name);
    if (claimOf(policy).run !== ctx.run) return superseded(report, policy, p);
    const next = replan(p, policy, report);
    if (!next) return report;
    if (next.steps.length) report.steps = [...report.steps, ...next.steps.map(describeStep)];
    plan = next;
  }
  return {
    ...report,
    status: 'failed',
    retry: true,
    reason: `${p.name} did not converge after ${ctx.maxPasses} passes (is another writer changing its rules?); retrying later`,
  };
}

function superseded(report: PolicyReport, policy: SecurityPolicy, p: PreparedPolicy): PolicyReport {
  const claim = claimOf(policy);
  return {
    ...report,
    status: 'superseded',
    reason: `another sync (run ${claim.run ?? '?'}, generation ${claim.claim ?? '?'}) claimed ${p.name}; it applies the newer state`,
  };
}

/** A fresh plan from the read-back rules, or undefined (report filled) when that plan is refused. */
function replan(p: PreparedPolicy, policy: SecurityPolicy, report: PolicyReport): AllowlistPlan | undefined {
  try {
    return p.replan(policy.rules);
  } catch (err) {
    if (!(err instanceof AllowlistSafetyError)) throw err;
    Object.assign(report, { status: 'refused', reason: err.message });
    return undefined;
  }
}

/** Verified: record what the policy holds (under the claim). */
async function finish(
  t: Transport,
  report: PolicyReport,
  policy: SecurityPolicy,
  p: PreparedPolicy,
  ctx: SyncContext,
  holding: boolean,
): Promise<PolicyReport> {
  const verify = verifyPolicy(policy, p.desired, p.replan);
  const changed = report.results.some((r) => r.ok && !r.noop);
  const done: PolicyReport = { ...report, status: changed ? 'ok' : 'unchanged', verify };
  if (!verify.converged)
    return {
      ...done,
      status: 'degraded',
      reason: `read back, ${p.name} does not hold what the file wants${verify.missing.length ? `: ${verify.missing.join(', ')} not allowed` : ''}${verify.problem ? ` (${verify.problem})` : ''}; its generation is not recorded, the next sync tries again`,
    };
  if (!holding) return overruled(done, p);
  const recorded =
    p.record === 'generation'
      ? await recordApplied(t, ctx.project, policy, p.generation!, ctx.source, ctx.run)
      : p.record === 'release'
        ? await releasePolicy(t, ctx.project, policy, ctx.run)
        : 'unchanged';
  if (recorded === 'lost')
    return {
      ...done,
      status: 'superseded',
      reason: 'a newer sync claimed the policy before its generation was recorded; it records its own',
    };
  if (recorded === 'written') done.mutations += 1;
  if (p.record === 'generation') done.holds = p.generation;
  if (p.record === 'release') delete done.holds;
  return overruled({ ...done, status: changed || recorded === 'written' ? 'ok' : 'unchanged' }, p);
}

/**
 * The owned rules hold the file, but a rule ahead of them (a deny, or a CEL rule the verdict cannot
 * judge) decides some of its addresses: what callers see is not the file, so the sync is degraded —
 * the kernel's rule, a failed verify is degraded everywhere, and `netreflex status` and the
 * workflow's check judge the same verdict. Not a retry: netreflex does not own the rules ahead, a
 * person must move or narrow them. The generation is still recorded: the owned rules hold it.
 */
function overruled(done: PolicyReport, p: PreparedPolicy): PolicyReport {
  const by = done.verify?.overruled ?? [];
  if (by.length === 0) return done;
  return {
    ...done,
    status: 'degraded',
    retry: false,
    reason: `rules ahead of the allow rules of ${p.name} decide addresses the file allows (${by.join('; ')}); netreflex does not change rules outside its band: move them after the allowlist (a priority number above ${p.desired.priorities.to}) or narrow them, or remove the entries from the file`,
  };
}

/**
 * Applies `plan` through the kernel's runner with a guard before every step: `stop` when the claim
 * moved on to a newer sync (it finishes the job), `replan` when the rules are not what the plan
 * expects (another writer moved them), else `go`.
 */
async function applyPlan(
  t: Transport,
  ctx: SyncContext,
  policy: SecurityPolicy,
  plan: AllowlistPlan,
): Promise<{ results: ReturnType<typeof stepResult>[]; stopped?: 'failed' | 'superseded' | 'changed' }> {
  const { project, run } = ctx;
  const all = allowlistPhases(t, project, policy.name, plan.steps);
  const index = new Map(stepsOf(all).map((s, i) => [s, i]));
  const phases = applyPolicy(all, ctx.policy);
  // The rules expected before each step: the policy's, with every step that ran before it applied
  // (in the order the runner runs them: the policy's filter may have left some out).
  const steps = stepsOf(phases).map((s) => plan.steps[index.get(s)!]!);
  let expected: readonly PolicyRule[] = policy.rules;
  let checked = 0;
  const guard: Guard<StepSummary> = async ({ step, applied }): Promise<Verdict> => {
    if (!step) return GO;
    for (; checked < applied; checked++) expected = applyAllowlistSteps(expected, [steps[checked]!]);
    const now = await getSecurityPolicy(t, project, policy.name);
    if (claimOf(now).run !== run) return { kind: 'stop', why: 'a newer sync claimed the policy' };
    return sameRules(now.rules, expected) ? GO : { kind: 'replan', why: 'the rules changed under the sync' };
  };
  const applied = await runPlan(phases, { guard });
  const stopped =
    applied.stopped?.kind === 'stop'
      ? 'superseded'
      : applied.stopped?.kind === 'replan'
        ? 'changed'
        : applied.stopped?.kind;
  return { results: applied.results.map(stepResult), ...(stopped ? { stopped } : {}) };
}
