/**
 * What one allowlist sync did, and how each policy's part of it is judged: logged as one line,
 * printed by the CLI, returned to tests. The kernel's envelope (status, reasons, results,
 * mutations, retry) at the top; the policies, each with its own steps and results, beside it.
 * Pure: the sync (shared/armor-allowlist/) hands in what it planned, applied and read back.
 */
import type { Envelope } from '../reconcile/report.js';
import type { SecurityPolicy } from '../gcp/security-policies.js';
import { compareGenerations } from '../gcp/paths.js';
import { intersect, rangeSetOf, subtract } from '../net/cidr.js';
import type { AllowlistMode } from '../allowlist/schema.js';
import type { AllowlistRefusal } from '../allowlist/errors.js';
import type { ExpiredEntry } from './allowlist-desired.js';
import type { QuotaUse } from './allowlist-quota.js';
import type { AllowlistPlan, AllowlistPlanSummary, DesiredAllowlist, PolicyRule } from './allowlist.js';
import { allowedBy } from './allowlist-rules.js';
import { enforcedWant } from './allowlist-revoke.js';
import { applyAllowlistSteps } from './allowlist-check.js';
import { describeStep, type StepResult, type StepSummary } from './allowlist-steps.js';
import { verifyPolicy, type Replan, type VerifyReport } from './allowlist-verify.js';
import { claimOf } from './allowlist-claim.js';

export type SyncStatus = 'ok' | 'unchanged' | 'planned' | 'ignored' | 'degraded' | 'refused' | 'failed';
/** `degraded`: the steps ran, but the policy read back does not hold what the file wants. */
export type PolicyStatus = 'ok' | 'unchanged' | 'planned' | 'stale' | 'superseded' | 'degraded' | 'refused' | 'failed';

/**
 * Why a policy is in the report: a target of the live file; a policy the file stopped targeting
 * (its rules go under the same safety rules); or, while the live file is refused or missing, a
 * policy kept at the last file it was verified to hold, whose expired entries still leave.
 */
export type PolicyRole = 'target' | 'untargeted' | 'last-applied';

export interface Refusal {
  readonly kind: AllowlistRefusal | 'invalid-file' | 'missing-file';
  /** What is wrong and what to do, as logged. */
  readonly message: string;
  /** For an invalid file: every problem, `file:line:column: path: message`. */
  readonly problems?: readonly string[];
}

export interface PolicyReport {
  policy: string;
  status: PolicyStatus;
  role: PolicyRole;
  mode?: AllowlistMode;
  /** The generation (and file) the policy is verified to hold, as its labels say after the sync. */
  holds?: string;
  /**
   * A sync claimed the policy for this generation and has not recorded it (its labels, as the sync
   * read them): it is running, or it stopped part-way (a failed step, Cloud Armor's quota).
   */
  applying?: { readonly generation: string; readonly since?: string };
  /** Every planned step, in order (a re-planned pass appends its steps). */
  steps: StepSummary[];
  results: StepResult[];
  /** Calls that changed the policy: applied steps and label writes (claim, record). */
  mutations: number;
  passes: number;
  summary?: AllowlistPlanSummary;
  /** Entries of the file past their expiry, and whether the policy still lets them through. */
  expired?: (ExpiredEntry & { readonly stillAllowed: boolean })[];
  verify?: VerifyReport;
  reason?: string;
  retry?: boolean;
}

/** The live file is refused or missing: which, since when, and what the policies hold meanwhile. */
export interface Stall {
  readonly source: string;
  readonly kind: Refusal['kind'];
  /**
   * When the stall began: when the last applied generation stopped being live (the first refused
   * upload after it, or its deletion); later bad uploads do not move it.
   */
  readonly since?: string;
  readonly fix: string;
}

export interface AllowlistReport extends Envelope<StepResult & { readonly policy: string }> {
  status: SyncStatus;
  /** `gs://bucket/object#generation` or the local path. */
  source: string;
  generation?: string;
  why?: string;
  dryRun: boolean;
  warnings: string[];
  refusal?: Refusal;
  stall?: Stall;
  /** The project's rule count against the budget (SECURITY_POLICY_RULES), when the sync got that far. */
  quota?: QuotaUse;
  policies: PolicyReport[];
}

export function emptyPolicyReport(policy: string, role: PolicyRole = 'target'): PolicyReport {
  return { policy, status: 'unchanged', role, steps: [], results: [], mutations: 0, passes: 0 };
}

const RANK: readonly PolicyStatus[] = [
  // Stryker disable next-line StringLiteral: equivalent, a status not in the list ranks -1, still ahead of every other
  'failed',
  'refused',
  'degraded',
  'ok',
  'planned',
  'superseded',
  'stale',
  'unchanged',
];

/**
 * The worst policy status decides: a failure anywhere is a failure; a stale or superseded policy
 * beside unchanged ones (they rank last) makes the sync ignored.
 */
export function overallStatus(policies: readonly PolicyReport[], dryRun: boolean): SyncStatus {
  const worst = [...policies].sort((a, b) => RANK.indexOf(a.status) - RANK.indexOf(b.status))[0]?.status ?? 'unchanged';
  if (worst === 'superseded' || worst === 'stale') return 'ignored';
  return dryRun && worst === 'ok' ? 'planned' : worst;
}

/** What a policy's report is made of: one policy's sync as prepared (shared/armor-allowlist/prepare.ts). */
export interface PolicyPlan {
  readonly name: string;
  readonly role: PolicyRole;
  /** The policy as observed before the sync. */
  readonly policy: Pick<SecurityPolicy, 'labels' | 'rules'>;
  readonly desired: DesiredAllowlist;
  readonly plan: AllowlistPlan;
  /** The same planner again, on read-back rules. */
  readonly replan: Replan;
}

/**
 * The kernel's envelope of a finished sync, from its policies': the worst status decides (a refused
 * or ignored file stays so), every step result in one list, the mutations summed, a retry when a
 * failed policy asks for one, and the reasons the status is not ok — the refusal, or each policy's.
 */
export function envelope(report: AllowlistReport): AllowlistReport {
  const { policies } = report;
  const troubled = policies.filter(
    (p) => p.reason && (p.status === 'failed' || p.status === 'refused' || p.status === 'degraded'),
  );
  return {
    ...report,
    status:
      report.status === 'refused' || report.status === 'ignored'
        ? report.status
        : overallStatus(policies, report.dryRun),
    reasons: [
      ...(report.refusal ? [report.refusal.message] : []),
      ...(report.status === 'ignored' && report.why ? [report.why] : []),
      ...troubled.map((p) => `${p.policy}: ${p.reason}`),
    ],
    results: policies.flatMap((p) => p.results.map((r) => ({ policy: p.policy, ...r }))),
    mutations: policies.reduce((n, p) => n + p.mutations, 0),
    retry: policies.some((p) => p.status === 'failed' && p.retry),
  };
}

/** The policy's sync planned and not applied (a dry run, and the base of every sync's report). */
export function plannedReport(p: PolicyPlan): PolicyReport {
  const steps = p.plan.steps.map(describeStep);
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
    summary: p.plan.summary,
  };
}

/**
 * A dry run's report: the plan, and the policy judged as the plan would leave it (its steps replayed
 * on the rules read), so what it says is missing or overruled is what would be after the sync — a
 * rule ahead that decides a file address degrades it, as it would the sync; an address the plan
 * still has to add does not.
 */
export function dryRunReport(p: PolicyPlan): PolicyReport {
  const after = { ...p.policy, rules: applyAllowlistSteps(p.policy.rules, p.plan.steps) };
  return overruled({ ...plannedReport(p), verify: verifyPolicy(after, p.desired, p.replan) }, p);
}

/**
 * The owned rules hold the file, but a rule ahead of them (a deny, or a CEL rule the verdict cannot
 * judge) decides some of its addresses: what callers see is not the file, so the sync is degraded —
 * the kernel's rule, a failed verify is degraded everywhere, and `netreflex status` and the
 * workflow's check judge the same verdict. Not a retry: netreflex does not own the rules ahead, a
 * person must move or narrow them. The generation is still recorded: the owned rules hold it.
 */
export function overruled(done: PolicyReport, p: Pick<PolicyPlan, 'name' | 'desired'>): PolicyReport {
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
 * The file's expired entries worth naming: those this sync removed or plans to remove, those the
 * policy still lets through (`rules`: as the sync left them), and — for a policy kept at its last
 * applied file — every one, so `netreflex status` can say what expired and what was removed.
 */
export function expiredNow(
  p: Pick<PolicyPlan, 'role' | 'desired'>,
  rules: readonly PolicyRule[],
  done: PolicyReport,
): PolicyReport['expired'] {
  // Stryker disable next-line ConditionalExpression: equivalent, with no expired entry nothing is named below and the answer is undefined as well; this skips the range arithmetic
  if (p.desired.expired.length === 0) return undefined;
  // Any enforced allow rule counts, a conflicting one outside the band too: it lets the entry through all the same.
  const allowed = allowedBy(rules);
  const wanted = enforcedWant(p.desired);
  const removed = rangeSetOf(done.summary?.allowedRemoved ?? []);
  const entries = p.desired.expired.map((e) => {
    const set = subtract(rangeSetOf(e.cidrs), wanted);
    return { ...e, stillAllowed: intersect(set, allowed).length > 0, removedNow: intersect(set, removed).length > 0 };
  });
  const named = entries.filter((e) => p.role === 'last-applied' || e.stillAllowed || e.removedNow);
  return named.length ? named.map(({ removedNow: _r, ...e }) => e) : undefined;
}

/**
 * When the stall began: when the newest generation a policy was verified to hold stopped being live
 * — the upload of the first generation after it (the first refused one), or its deletion. Later bad
 * uploads do not move it. Only when that version cannot be read (gone from the bucket, or it is the
 * live one itself: an ownership conflict or a quota refusal of the file already applied) is it the
 * upload time of the live file (`fallback`), or nothing for a missing one. `ended`: each last
 * applied generation read, and when it stopped being live (its noncurrent version's timeDeleted).
 */
export function stallBegan(
  ended: ReadonlyMap<string, string | undefined>,
  fallback: string | undefined,
): string | undefined {
  const newest = [...ended.keys()].sort(compareGenerations).at(-1);
  // Stryker disable next-line ConditionalExpression: equivalent, an empty map has no key undefined either (ended.get(undefined) is undefined); the check narrows the type
  return (newest === undefined ? undefined : ended.get(newest)) ?? fallback;
}

/** The live file is refused or missing: which, since when, and what to do. */
export function stallOf(report: Pick<AllowlistReport, 'source'>, refusal: Refusal, since: string | undefined): Stall {
  const fix =
    refusal.kind === 'invalid-file'
      ? `fix the file (\`netreflex validate\` lists every problem) and upload it again`
      : refusal.kind === 'missing-file'
        ? `upload the allowlist to ${report.source} again`
        : refusal.message;
  return { source: report.source, kind: refusal.kind, ...(since ? { since } : {}), fix };
}
