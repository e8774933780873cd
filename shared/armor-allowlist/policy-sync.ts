/**
 * One policy's sync, an adapter over the kernel's loop (shared/reconcile/loop.ts): claim → apply the
 * steps in order → read the policy back, applying what is still missing → record what it holds.
 * Re-plans while another writer moves the rules (the claim's guard before every step); stops when a
 * sync of a newer generation takes the policy over (that one finishes the job).
 *
 * The generation label is written only after a fresh plan on the read-back rules is empty, under
 * the claim, so it never names a file the policy does not hold. A sync with nothing to change and
 * the right labels writes nothing at all; one whose labels are behind (a new upload that changes
 * no rule) claims and records them.
 */
import type { Transport } from '../gcp/transport.js';
import { getSecurityPolicy, type SecurityPolicy } from '../gcp/security-policies.js';
import type { PolicyRule } from '../plan/allowlist.js';
import { applyAllowlistSteps } from '../plan/allowlist-check.js';
import { GO, mutationsOf, type Guard, type Verdict } from '../reconcile/apply.js';
import { reconcile, type Adapter } from '../reconcile/loop.js';
import type { Policy } from '../reconcile/plan.js';
import { claimPolicy, recordApplied, releasePolicy } from './lock.js';
import { claimOf } from '../plan/allowlist-claim.js';
import { allowlistPhases, stepId, stepResult } from './apply.js';
import { describeStep, sameRules, type StepSummary } from '../plan/allowlist-steps.js';
import { overruled, plannedReport, type PolicyReport } from '../plan/allowlist-report.js';
import {
  afterApply,
  endedMidApply,
  judgeLook,
  labelsBehind,
  planUnderClaim,
  readBack,
  recordedReport,
  outclaimedReport,
  type Failure,
  type Planned,
} from '../plan/allowlist-sync.js';
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

/**
 * The policy's sync as an adapter over the kernel's loop (shared/reconcile/loop.ts): claim (when
 * there is anything to write), read again, then observe = read the policy, plan = the file's plan
 * on its rules, apply under the claim's guard, and converge — read back after every apply and apply
 * what is still missing — until a look needs nothing; verify = judge that look and record it.
 */
export async function syncPolicy(t: Transport, p: PreparedPolicy, ctx: SyncContext): Promise<Synced> {
  const report: PolicyReport = { ...plannedReport(p), status: 'unchanged', passes: 1 };
  if (p.plan.steps.length === 0 && !labelsBehind(p, p.policy, ctx.source))
    return { report: await finish(t, report, p.policy, p, ctx, false), rules: p.policy.rules };
  const claim = await claimPolicy(t, ctx.project, p.policy, p.generation, ctx.run);
  if (!claim.claimed) return { report: outclaimedReport(report, claim.newer, p), rules: claim.policy.rules };
  report.mutations += 1;
  // Read again after the claim: a foreign label write or an older sync may have moved the rules meanwhile.
  const policy = await getSecurityPolicy(t, ctx.project, p.name);
  const sync = await reconcile(policyAdapter(t, p, ctx, report), {
    policy: ctx.policy,
    // Pass 1 claims; each later pass applies, and the last one looks: maxPasses in all (at least 3:
    // the claim, one apply, one look).
    replans: Math.max(0, ctx.maxPasses - 3),
    initial: { observed: policy, plan: planUnderClaim(p, policy, ctx.run) },
  });
  return sync.verified ?? { report };
}

/** A policy's sync: its report, and the rules its last look read when that look came after every change. */
export interface Synced {
  readonly report: PolicyReport;
  readonly rules?: readonly PolicyRule[];
}

function policyAdapter(
  t: Transport,
  p: PreparedPolicy,
  ctx: SyncContext,
  report: PolicyReport,
): Adapter<SecurityPolicy, Planned, StepSummary, Synced> {
  let applies = 0;
  /** The step that failed and in which apply (the same step failing in two applies running gives up). */
  let lastFailure: Failure | undefined;
  let gaveUp = false;
  return {
    observe: () => getSecurityPolicy(t, ctx.project, p.name),
    plan: (policy) => planUnderClaim(p, policy, ctx.run),
    phases: (plan) => allowlistPhases(t, ctx.project, p.name, plan.steps),
    guard: (plan, seen) => ((applies += 1), claimGuard(t, ctx, p.name, plan, seen)),
    planned: (_policy, plan) => {
      if (plan.steps.length) report.steps = [...report.steps, ...plan.steps.map(describeStep)];
    },
    // Converge: after every apply read back and apply what is missing, unless the sync gives up on
    // a failed step (plan/allowlist-sync.ts `afterApply` says when).
    again: (applied) => {
      const after = afterApply(applied.results, applies, lastFailure);
      lastFailure = after.failure;
      gaveUp = after.gaveUp;
      return !gaveUp;
    },
    // The run ends on a look after its last apply (the loop's rule for converging adapters): judge it.
    verify: async (run) => {
      const results = run.results.map(stepResult);
      // Passes: the claim, every apply, and the look the run ended on (none after a stop or a give-up).
      const done: PolicyReport = {
        ...report,
        results,
        mutations: report.mutations + mutationsOf(results),
        passes: 1 + applies,
      };
      const ended = endedMidApply(done, run.applied, gaveUp);
      if (ended) return { report: ended };
      // The look the run ended on, after its last apply: judged, or verified and recorded.
      const looked: PolicyReport = { ...done, passes: done.passes + 1 };
      return {
        report: judgeLook(looked, run, p) ?? (await finish(t, looked, run.observed, p, ctx, true)),
        rules: run.observed.rules,
      };
    },
  };
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
  const done = readBack(report, policy, p);
  // Not holding the file: nothing is recorded, the next sync tries again.
  if (done.status === 'degraded') return done;
  if (!holding) return overruled(done, p);
  const recorded =
    p.record === 'generation'
      ? await recordApplied(t, ctx.project, policy, p.generation!, ctx.source, ctx.run)
      : p.record === 'release'
        ? await releasePolicy(t, ctx.project, policy, ctx.run)
        : 'unchanged';
  return recordedReport(done, recorded, p);
}

/**
 * The guard before every step of a policy's apply: `stop` when the claim moved on to a newer sync
 * (it finishes the job), `replan` from the look it took when the rules are not what the plan
 * expects (another writer moved them), else `go`.
 */
function claimGuard(
  t: Transport,
  ctx: SyncContext,
  name: string,
  plan: Planned,
  seen: (fresh: SecurityPolicy) => void,
): Guard<StepSummary> {
  const byId = new Map(plan.steps.map((s, i) => [stepId(s, i), s]));
  // The rules expected before each step: those the plan was made from, with every step that ran.
  let expected = plan.from;
  let checked = 0;
  return async ({ step, results }): Promise<Verdict> => {
    if (!step) return GO;
    const now = await getSecurityPolicy(t, ctx.project, name);
    for (; checked < results.length; checked++)
      expected = applyAllowlistSteps(expected, [byId.get(results[checked]!.id)!]);
    if (claimOf(now).run !== ctx.run) return { kind: 'stop', why: 'a newer sync claimed the policy' };
    if (sameRules(now.rules, expected)) return GO;
    seen(now);
    return { kind: 'replan', why: 'the rules changed under the sync' };
  };
}
