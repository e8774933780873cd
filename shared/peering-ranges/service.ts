/**
 * peeringRanges as a service inside one function instance: runs the preparation, logs it, and
 * answers through the kernel's one HTTP status table (shared/reconcile/report.ts), which the
 * caller (the Workflows orchestration) acts on:
 *
 * | outcome                                            | HTTP | reason              | caller                      |
 * |----------------------------------------------------|------|---------------------|-----------------------------|
 * | ready: applied and verified by the read-back       | 200  | —                   | run with `reservedIpRanges` |
 * | bad request (counts, names, unknown fields…)       | 400  | invalid-request     | fix the request             |
 * | another network busy in the region                 | 409  | preflight-refused   | wait/cancel, then retry     |
 * | body over 64 KiB                                   | 413  | invalid-request     | send a request, not a file  |
 * | pool exhausted / name clash                        | 422  | pool-exhausted      | widen the pool, ask less    |
 * | a permanent refusal by Google (a permission)       | 422  | refused             | a person must act           |
 * | transient failure, lease busy or lost; or degraded: | 503  | transient           | retry (Workflows' policy)   |
 * |   the read-back still misses a range after repairs |      |                     |                             |
 * | anything else                                      | 500  | internal            | read the log                |
 *
 * 200 means verified, never less: an unverified run is `degraded`, a 503 the workflow retries. Logs
 * carry a summary of the request, never the body as sent.
 */
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import { SafetyError, errorMessage } from '../errors.js';
import { failureOf, httpStatus, severityOf, type FailureKind } from '../reconcile/report.js';
import { reconcilePeeringRanges, type RangeReport } from './reconcile.js';
import { PreflightRefusal } from './preflight.js';
import { releaseReservation, type ReleaseReport } from './release.js';

export type FailureReason =
  'invalid-request' | 'preflight-refused' | 'pool-exhausted' | 'refused' | 'transient' | 'internal';

export interface HttpAnswer {
  status: number;
  body:
    | RangeReport
    | ReleaseReport
    | { error: { code: number; reason: FailureReason; message: string; preflight?: unknown } };
}

const REASON: Readonly<Record<FailureKind, FailureReason>> = {
  'invalid-request': 'invalid-request',
  config: 'invalid-request',
  'too-large': 'invalid-request',
  conflict: 'preflight-refused',
  refused: 'refused',
  transient: 'transient',
  internal: 'internal',
};

/** HTTP status and reason of an error thrown by the preparation: the request is the caller's, so a ConfigError is a bad request. */
export function classify(err: unknown): { status: number; reason: FailureReason } {
  const error = failureOf(err, 'invalid-request');
  const reason = error.kind === 'refused' && err instanceof SafetyError ? 'pool-exhausted' : REASON[error.kind];
  return {
    status: httpStatus({
      status: error.kind === 'transient' || error.kind === 'internal' ? 'failed' : 'refused',
      retry: error.transient,
      error,
    }),
    reason,
  };
}

export class PeeringRangesService {
  readonly transport: Transport;

  constructor(
    readonly cfg: PeeringRangesConfig,
    private readonly log: Logger,
    transport?: Transport,
  ) {
    this.transport = transport ?? functionTransport(cfg, log, 'peeringRanges');
  }

  async handle(input: unknown, dryRun = false): Promise<HttpAnswer> {
    try {
      const report = await reconcilePeeringRanges(this.transport, this.cfg, input, { dryRun });
      this.logReport(report);
      return { status: httpStatus(report), body: report };
    } catch (err) {
      return this.refusal(err, input);
    }
  }

  /** `{"release": true, "runId": …}`: drops a prepared run's reservation (release.ts); 200 whether or not it held one. */
  async release(input: unknown): Promise<HttpAnswer> {
    try {
      const report = await releaseReservation(this.transport, this.cfg, input);
      this.log.info(
        { status: report.status, request: report.request, reserved: report.reserved },
        `peeringRanges: release of run ${report.request.runId} on ${report.request.network}: ${report.status}`,
      );
      return { status: 200, body: report };
    } catch (err) {
      return this.refusal(err, input);
    }
  }

  private refusal(err: unknown, input: unknown): HttpAnswer {
    const { status, reason } = classify(err);
    this.log[status >= 500 ? 'error' : 'warn'](
      { reason, status, input: summary(input) },
      `peeringRanges: ${reason}: ${errorMessage(err)}`,
    );
    return {
      status,
      body: {
        error: {
          code: status,
          reason,
          message: errorMessage(err),
          ...(err instanceof PreflightRefusal ? { preflight: err.report } : {}),
        },
      },
    };
  }

  private logReport(r: RangeReport): void {
    const applied = r.changes.filter((c) => 'ok' in c && c.ok && !c.noop).length;
    this.log[severityOf(r)](
      {
        status: r.status,
        reasons: r.reasons,
        retry: r.retry,
        request: r.request,
        reservedIpRanges: r.reservedIpRanges,
        allocated: r.allocated,
        capacity: r.capacity,
        changes: r.changes,
        warnings: r.warnings,
        verified: r.verified,
        missing: r.missing,
      },
      `peeringRanges: ${r.status}${r.dryRun ? ' (dry run)' : ''}: capacity ${r.capacity.before} → ${r.capacity.after} jobs (need ${r.capacity.required}), ${applied} change(s) applied, reservedIpRanges [${r.reservedIpRanges.join(', ')}]`,
    );
  }
}

/** What a log line may say about an input: its keys and the first characters of its scalar values. */
export function summary(input: unknown): Record<string, string> | string {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return typeof input;
  const entries = Object.entries(input as Record<string, unknown>).slice(0, 12);
  return Object.fromEntries(
    entries.map(([k, v]) => [
      k.slice(0, 40),
      typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'array' : 'object') : String(v).slice(0, 64),
    ]),
  );
}
