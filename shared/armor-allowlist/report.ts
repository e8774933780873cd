/**
 * What one allowlist sync did, per policy: logged as one line, printed by the CLI, returned to
 * tests. The kernel's envelope (status, reasons, results, mutations, retry) at the top; the
 * policies, each with its own steps and results, beside it.
 */
import type { Envelope } from '../reconcile/report.js';
import type { AllowlistMode } from '../allowlist/schema.js';
import type { AllowlistRefusal } from '../allowlist/errors.js';
import type { ExpiredEntry } from '../plan/allowlist-desired.js';
import type { QuotaUse } from '../plan/allowlist-quota.js';
import type { AllowlistPlanSummary } from '../plan/allowlist.js';
import type { StepResult } from './apply.js';
import type { StepSummary } from '../plan/allowlist-steps.js';
import type { VerifyReport } from '../plan/allowlist-verify.js';

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
  'failed',
  'refused',
  'degraded',
  'ok',
  'planned',
  'superseded',
  'stale',
  'unchanged',
];

/** The worst policy status decides: a failure anywhere is a failure; only ignored policies → ignored. */
export function overallStatus(policies: readonly PolicyReport[], dryRun: boolean): SyncStatus {
  const worst = [...policies].sort((a, b) => RANK.indexOf(a.status) - RANK.indexOf(b.status))[0]?.status ?? 'unchanged';
  if (worst === 'superseded' || worst === 'stale') return 'ignored';
  if (worst === 'unchanged' && policies.some((p) => p.status === 'stale' || p.status === 'superseded'))
    return 'ignored';
  return dryRun && worst === 'ok' ? 'planned' : worst;
}
