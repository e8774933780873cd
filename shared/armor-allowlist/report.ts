/** What one allowlist sync did, per policy: logged as one line, printed by the CLI, returned to tests. */
import type { AllowlistMode } from '../allowlist/schema.js';
import type { AllowlistRefusal } from '../allowlist/errors.js';
import type { StepResult } from './apply.js';
import type { StepSummary } from './steps.js';
import type { VerifyReport } from './verify.js';

export type SyncStatus = 'ok' | 'unchanged' | 'planned' | 'ignored' | 'refused' | 'failed';
export type PolicyStatus = 'ok' | 'unchanged' | 'planned' | 'stale' | 'superseded' | 'refused' | 'failed';

export interface Refusal {
  readonly kind: AllowlistRefusal | 'invalid-file';
  /** What is wrong and what to do, as logged. */
  readonly message: string;
  /** For an invalid file: every problem, `file:line:column: path: message`. */
  readonly problems?: readonly string[];
}

export interface PolicyReport {
  policy: string;
  status: PolicyStatus;
  mode?: AllowlistMode;
  /** Every planned step, in order (a re-planned pass appends its steps). */
  steps: StepSummary[];
  results: StepResult[];
  /** Calls that changed the policy: applied steps plus the claim. */
  mutations: number;
  passes: number;
  summary?: {
    rulesAdded: number;
    rulesPatched: number;
    rulesRemoved: number;
    allowedAdded: readonly string[];
    allowedRemoved: readonly string[];
    expiredEntries: number;
  };
  verify?: VerifyReport;
  reason?: string;
  retry?: boolean;
}

export interface AllowlistReport {
  status: SyncStatus;
  /** `gs://bucket/object#generation` or the local path. */
  source: string;
  generation?: string;
  why?: string;
  dryRun: boolean;
  warnings: string[];
  refusal?: Refusal;
  policies: PolicyReport[];
  mutations: number;
  /** A transient failure: fail the event so it is delivered again. */
  retry: boolean;
}

export function emptyPolicyReport(policy: string): PolicyReport {
  return { policy, status: 'unchanged', steps: [], results: [], mutations: 0, passes: 0 };
}

const RANK: readonly PolicyStatus[] = ['failed', 'refused', 'ok', 'planned', 'superseded', 'stale', 'unchanged'];

/** The worst policy status decides: a failure anywhere is a failure; only ignored policies → ignored. */
export function overallStatus(policies: readonly PolicyReport[], dryRun: boolean): SyncStatus {
  const worst = [...policies].sort((a, b) => RANK.indexOf(a.status) - RANK.indexOf(b.status))[0]?.status ?? 'unchanged';
  if (worst === 'superseded' || worst === 'stale') return 'ignored';
  if (worst === 'unchanged' && policies.some((p) => p.status === 'stale' || p.status === 'superseded')) return 'ignored';
  return dryRun && worst === 'ok' ? 'planned' : worst;
}
