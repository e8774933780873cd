/**
 * One sync of the Cloud Armor allowlist: read the file (one exact generation) → parse → observe
 * and plan every target policy (refusals stop everything here, before any change) → per policy:
 * claim, apply the steps in order, verify by reading the policy back.
 *
 * Two syncs at once (two uploads, an upload and the tick, two function instances) converge: each
 * claims the policy with a compare-and-set on its labels before its first change and checks its
 * claim before every step, so the later claimer — which planned from a fresher state — finishes
 * and the earlier one stops. A step that finds the rules changed under it re-plans from what is
 * there; verify re-plans too until a fresh plan is empty.
 */
import type { Transport } from '../gcp/transport.js';
import { getSecurityPolicy, type SecurityPolicy } from '../gcp/security-policies.js';
import type { ArmorAllowlistConfig } from '../config/armor-allowlist.js';
import { parseAllowlist } from '../allowlist/parse.js';
import { AllowlistFileError, AllowlistSafetyError } from '../allowlist/errors.js';
import { formatProblem } from '../allowlist/problems.js';
import type { AllowlistConfig } from '../allowlist/config.js';
import { planAllowlist, type AllowlistPlan, type SecurityPolicyRule } from '../plan/allowlist.js';
import { applyAllowlistSteps } from '../plan/allowlist-check.js';
import { readAllowlistObject, type ObjectRead } from './source.js';
import { preparePolicies, type PreparedPolicy } from './prepare.js';
import { claimOf, claimPolicy, newRunId } from './lock.js';
import { applySteps, type GuardVerdict } from './apply.js';
import { verifyPolicy } from './verify.js';
import { describeStep, sameRules as sameRuleSet } from './steps.js';
import { emptyPolicyReport, overallStatus, type AllowlistReport, type PolicyReport, type Refusal } from './report.js';

export type { AllowlistReport, PolicyReport } from './report.js';

export interface ReconcileOptions {
  /** The clock for expiry (the planner never reads one). */
  readonly now: Date;
  /** The generation an event names; unset = whatever is live (the tick, the CLI). */
  readonly eventGeneration?: string;
  /** Plan and report only. */
  readonly dryRun?: boolean;
  /** Let a sync through that removes more than `maxRemovalShare` (like the file's `safety.force`). */
  readonly force?: boolean;
  /** Plan this local file instead of the bucket object (`netreflex plan allowlist --object`); never applied. */
  readonly localFile?: { readonly source: string; readonly bytes: Uint8Array };
  readonly run?: string;
  /** Re-plan passes per policy before giving up (each one after a foreign change or failed verify). */
  readonly maxPasses?: number;
}

type FileRead = { readonly source: string; readonly generation?: string; readonly bytes: Uint8Array };

export async function reconcileAllowlist(t: Transport, cfg: ArmorAllowlistConfig, opts: ReconcileOptions): Promise<AllowlistReport> {
  const dryRun = opts.dryRun === true || cfg.dryRun || opts.localFile !== undefined;
  const read: ObjectRead | (FileRead & { kind: 'file' }) = opts.localFile ? { kind: 'file', ...opts.localFile } : await readAllowlistObject(t, cfg.bucket, cfg.object, opts.eventGeneration);
  const base = { dryRun, warnings: [] as string[], policies: [] as PolicyReport[], mutations: 0, retry: false };
  if (read.kind === 'missing') return { ...base, status: 'ignored', source: read.source, why: `no allowlist object at ${read.source}; upload one (nothing was changed)` };
  if (read.kind === 'superseded') return { ...base, status: 'ignored', source: `gs://${cfg.bucket}/${cfg.object}#${opts.eventGeneration}`, generation: opts.eventGeneration, why: `generation ${opts.eventGeneration} is superseded by live generation ${read.live}; that upload is applied instead` };
  const parsed = parseAllowlist(read.bytes, read.source);
  const report: AllowlistReport = { ...base, status: 'unchanged', source: read.source, ...(read.generation ? { generation: read.generation } : {}) };
  if (!parsed.ok) return refuse(report, { kind: 'invalid-file', message: new AllowlistFileError(read.source, parsed.problems).message, problems: parsed.problems.map(formatProblem) });
  report.warnings.push(...parsed.warnings.map(formatProblem));
  return syncAll(t, cfg, parsed.config, report, { ...opts, dryRun });
}

async function syncAll(t: Transport, cfg: ArmorAllowlistConfig, config: AllowlistConfig, report: AllowlistReport, opts: ReconcileOptions): Promise<AllowlistReport> {
  let prepared;
  try {
    prepared = await preparePolicies(t, config, { project: cfg.project, region: cfg.region, now: opts.now, generation: report.generation, force: opts.force });
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return refuse(report, { kind: err.refusal, message: err.message });
    throw err;
  }
  report.warnings.push(...prepared.warnings);
  report.policies.push(...prepared.stale.map((s) => ({ ...emptyPolicyReport(s.name), status: 'stale' as const, reason: `generation ${report.generation} is older than generation ${s.generation}, already applied to ${s.name}; ignored` })));
  const run = opts.run ?? newRunId();
  for (const p of prepared.prepared) {
    report.policies.push(opts.dryRun ? plannedReport(p) : await syncPolicy(t, cfg.project, p, { run, generation: report.generation, force: opts.force, maxPasses: opts.maxPasses ?? 5 }));
  }
  report.mutations = report.policies.reduce((n, p) => n + p.mutations, 0);
  report.status = overallStatus(report.policies, opts.dryRun === true);
  report.retry = report.policies.some((p) => p.status === 'failed' && p.retry);
  return report;
}

function refuse(report: AllowlistReport, refusal: Refusal): AllowlistReport {
  return { ...report, status: 'refused', refusal };
}

function plannedReport(p: PreparedPolicy): PolicyReport {
  const steps = p.plan.steps.map(describeStep);
  return { ...emptyPolicyReport(p.name), status: steps.length ? 'planned' : 'unchanged', mode: p.plan.mode, steps, summary: summaryOf(p.plan), verify: verifyPolicy(p.policy, p.desired) };
}

function summaryOf(plan: AllowlistPlan): PolicyReport['summary'] {
  const s = plan.summary;
  return { rulesAdded: s.rulesAdded, rulesPatched: s.rulesPatched, rulesRemoved: s.rulesRemoved, allowedAdded: s.allowedAdded, allowedRemoved: s.allowedRemoved, expiredEntries: s.expiredEntries };
}

interface SyncContext {
  readonly run: string;
  readonly generation?: string;
  readonly force?: boolean;
  readonly maxPasses: number;
}

/** Claim → apply → verify, re-planning while another writer moves the rules; see the module comment. */
async function syncPolicy(t: Transport, project: string, p: PreparedPolicy, ctx: SyncContext): Promise<PolicyReport> {
  const report: PolicyReport = { ...plannedReport(p), status: 'unchanged', verify: undefined };
  let policy = p.policy;
  let plan = p.plan;
  let holding = false;
  let lastFailure: string | undefined;
  for (let pass = 1; pass <= ctx.maxPasses; pass++) {
    report.passes = pass;
    if (plan.steps.length === 0) return finish(report, policy, p);
    if (!holding) {
      holding = await claimPolicy(t, project, policy, ctx.generation, ctx.run);
      report.mutations += holding ? 1 : 0;
    }
    if (holding) {
      const outcome = await applyPlan(t, project, policy, plan, ctx.run);
      report.results.push(...outcome.results);
      report.mutations += outcome.results.filter((r) => r.ok && !r.noop).length;
      if (outcome.stopped === 'superseded') return { ...report, status: 'superseded', reason: 'a newer sync claimed the policy mid-apply; it finishes the job' };
      const failed = outcome.results.find((r) => !r.ok);
      const key = failed && `${failed.step.kind}@${failed.step.priority}`;
      // Transient: retry the event. The same refusal twice running: Cloud Armor says no (quota, validation), not a race.
      if (failed && (failed.transient || key === lastFailure)) return { ...report, status: 'failed', retry: failed.transient === true, reason: `step ${failed.step.kind} at ${failed.step.priority} failed: ${failed.error}; later steps were not applied` };
      lastFailure = key;
    }
    policy = await getSecurityPolicy(t, project, p.name);
    const claim = claimOf(policy);
    if (claim.run !== ctx.run) return { ...report, status: 'superseded', reason: `another sync (run ${claim.run ?? '?'}, generation ${claim.generation ?? '?'}) claimed ${p.name}; it applies the newer state` };
    const next = replan(p, policy, ctx, report);
    if (!next) return report;
    if (next.steps.length === 0) return finish(report, policy, p);
    plan = next;
    report.steps = [...report.steps, ...plan.steps.map(describeStep)];
  }
  return { ...report, status: 'failed', retry: true, reason: `${p.name} did not converge after ${ctx.maxPasses} passes (is another writer changing its rules?); retrying later` };
}

/** A fresh plan from the read-back rules, or undefined (report filled) when that plan is refused. */
function replan(p: PreparedPolicy, policy: SecurityPolicy, ctx: SyncContext, report: PolicyReport): AllowlistPlan | undefined {
  try {
    return planAllowlist(p.desired, policy.rules as SecurityPolicyRule[], { force: ctx.force });
  } catch (err) {
    if (!(err instanceof AllowlistSafetyError)) throw err;
    Object.assign(report, { status: 'refused', reason: err.message });
    return undefined;
  }
}

function finish(report: PolicyReport, policy: SecurityPolicy, p: PreparedPolicy): PolicyReport {
  const verify = verifyPolicy(policy, p.desired);
  const changed = report.results.some((r) => r.ok && !r.noop);
  return { ...report, status: changed ? 'ok' : 'unchanged', verify };
}

/** Applies `plan` with a guard that stops when the claim moved on or the rules are not what the plan expects. */
function applyPlan(t: Transport, project: string, policy: SecurityPolicy, plan: AllowlistPlan, run: string) {
  let expected = policy.rules as SecurityPolicyRule[];
  const guard = async (applied: number): Promise<GuardVerdict> => {
    if (applied > 0) expected = applyAllowlistSteps(expected, [plan.steps[applied - 1]!]);
    const now = await getSecurityPolicy(t, project, policy.name);
    if (claimOf(now).run !== run) return 'superseded';
    return sameRuleSet(now.rules as SecurityPolicyRule[], expected) ? 'go' : 'changed';
  };
  return applySteps(t, project, policy.name, plan.steps, guard);
}
