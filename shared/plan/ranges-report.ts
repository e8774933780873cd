/**
 * peeringRanges' report (pure): the kernel's envelope (shared/reconcile/report.ts) plus the
 * preparation's facts — the request, the `reservedIpRanges` to pass to the PipelineJob, the
 * ranges, the capacity, each planned step with its outcome — as the plan leaves it, and as a failed
 * step or a read-back that still misses something turns it.
 */
import { degrade, type Envelope, type FailureKind } from '../reconcile/report.js';
import type { StepResult } from '../reconcile/apply.js';
import type { Timed } from '../util/timed.js';
import { describeRangeChange } from './ranges-describe.js';
import type { PreflightReport } from './ranges-preflight.js';
import type { PlannedRange, RangeChange, RangePlan, RangeRequest, RangeWarning } from './ranges-types.js';

export interface RangeChangeResult extends Timed {
  kind: RangeChange['kind'];
  description: string;
  /**
   * A failed step's kind by the kernel's rule (`failureOf`): `transient` (a retry can help),
   * `refused` (Google said no for good — a 403 naming the permission, a 409 on a name another
   * block holds: a person must act), `internal` (a bug).
   */
  failure?: FailureKind;
}

/** A runner's step result as the report shows it. */
export function rangeResult({
  id: _id,
  kind: _kind,
  detail,
  reason: _reason,
  ...outcome
}: StepResult<RangeChange>): RangeChangeResult {
  return { kind: detail.kind, description: describeRangeChange(detail), ...outcome };
}

/**
 * The kernel's envelope plus the preparation's facts. `ok`: ready to run (verified); `planned`: a
 * dry run; `failed`: a step failed; `degraded`: the read-back still misses something after its
 * repairs (a failed verify, `retry`: the workflow calls again).
 */
export interface RangeReport extends Envelope<RangeChangeResult, RangeWarning> {
  status: 'ok' | 'planned' | 'failed' | 'degraded';
  request: RangeRequest;
  /** Pass these as the PipelineJob's `reservedIpRanges` (empty when the run failed). */
  reservedIpRanges: string[];
  /** `projects/{projectNumber}/global/networks/{name}`: the PipelineJob's `network`. */
  network: string;
  /** Ranges allocated by this run (planned, in a dry run). */
  allocated: { name: string; cidr: string }[];
  ranges: PlannedRange[];
  capacity: RangePlan['capacity'];
  /** Every planned step; with its outcome once applied; then the repairs of the read-back. */
  changes: (RangeChangeResult | { kind: string; description: string; planned: true })[];
  warnings: RangeWarning[];
  preflight: PreflightReport;
  /** After apply: the read-back found every Vertex range of the network wired, and no concurrent PSA range dropped. */
  verified?: boolean;
  /** What the read-back still found missing when it gave up. */
  missing?: string[];
}

/** The report as the plan leaves it: `ok`, every step planned, nothing applied yet. */
export function rangeReport(
  request: RangeRequest,
  obs: { consumerNetwork: string; preflight: PreflightReport },
  plan: RangePlan,
  dryRun: boolean,
): RangeReport {
  return {
    status: 'ok',
    reasons: [],
    results: [],
    mutations: 0,
    retry: false,
    dryRun,
    request,
    reservedIpRanges: plan.reservedIpRanges,
    network: obs.consumerNetwork,
    allocated: plan.allocate,
    ranges: plan.ranges,
    capacity: plan.capacity,
    warnings: plan.warnings,
    preflight: obs.preflight,
    changes: plan.changes.map((c) => ({ kind: c.kind, description: describeRangeChange(c), planned: true as const })),
  };
}

/**
 * A run whose step failed, in the kernel's envelope: `error` says what kind, so the one status
 * table answers 503 when a retry can help (a transient answer), 422 when Google refused for good
 * (a 403 naming the permission, a 409 on a name another block holds: a person must act), 500 for a
 * bug. The steps before the failed one stay; a retry (or a call after the fix) finishes the rest.
 */
export function failedRangeReport(report: RangeReport, failed: readonly RangeChangeResult[]): RangeReport {
  const retry = failed.some((r) => r.transient);
  const kind: FailureKind = retry ? 'transient' : (failed.find((r) => r.failure)?.failure ?? 'internal');
  const next =
    kind === 'transient'
      ? 'retry (a retry finishes what is missing)'
      : kind === 'refused'
        ? 'Google refused it for good: grant the permission it names or resolve the conflict, then call again (what was applied is kept, the call finishes the rest)'
        : 'a bug in netreflex: report it with this answer';
  const reasons = failed.map((r) => `${r.description} failed: ${r.error}; ${next}`);
  return {
    ...report,
    status: 'failed',
    reservedIpRanges: [],
    retry,
    reasons,
    error: { kind, transient: retry, message: reasons.join('; ') },
  };
}

/** A run whose read-back still misses something after its repairs: degraded, no ranges to run on, retry. */
export function degradedRangeReport(report: RangeReport, missing: string[]): RangeReport {
  const degraded = { ...report, verified: false, missing, reservedIpRanges: [], retry: true };
  degrade(degraded, `the read-back still misses, after its repairs: ${missing.join('; ')}; retry`);
  return degraded;
}
