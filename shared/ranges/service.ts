/**
 * peeringRanges as a service inside one function instance: runs the preparation, logs it, and
 * turns the outcome into an HTTP answer the caller (the Workflows orchestration) can act on:
 *
 * | outcome                                            | HTTP | reason              | caller                      |
 * |----------------------------------------------------|------|---------------------|-----------------------------|
 * | ready: applied and verified by the read-back       | 200  | —                   | run with `reservedIpRanges` |
 * | a release (`"release": true`): reservation gone    | 200  | —                   | —                           |
 * | bad request (counts, names, unknown fields…)       | 400  | invalid-request     | fix the request             |
 * | another network busy in the region                 | 409  | preflight-refused   | wait/cancel, then retry     |
 * | body over 64 KiB                                   | 413  | invalid-request     | send a request, not a file  |
 * | pool exhausted / name clash                        | 422  | pool-exhausted      | widen the pool, ask less    |
 * | transient failure, lease busy or lost, read-back   | 503  | transient           | retry (Workflows' policy)   |
 * |   still missing a range after its repairs          |      |                     |                             |
 * | anything else                                      | 500  | internal            | read the log                |
 *
 * 200 means verified, never less: an unverified run is a 503 the workflow retries. Logs carry a
 * summary of the request, never the body as sent.
 */
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import { ConfigError, SafetyError, errorMessage, isTransient } from '../errors.js';
import { prepareRanges, type RangeReport } from './reconcile.js';
import { PreflightRefusal } from './preflight.js';
import { releaseReservation, type ReleaseReport } from './release.js';

export type FailureReason = 'invalid-request' | 'preflight-refused' | 'pool-exhausted' | 'transient' | 'internal';

export interface HttpAnswer {
  status: number;
  body: RangeReport | ReleaseReport | { error: { code: number; reason: FailureReason; message: string; preflight?: unknown } };
}

/** HTTP status and reason of an error thrown by the preparation. */
export function classify(err: unknown): { status: number; reason: FailureReason } {
  if (err instanceof ConfigError) return { status: 400, reason: 'invalid-request' };
  if (err instanceof PreflightRefusal) return { status: 409, reason: 'preflight-refused' };
  if (err instanceof SafetyError) return { status: 422, reason: 'pool-exhausted' };
  if (isTransient(err)) return { status: 503, reason: 'transient' };
  return { status: 500, reason: 'internal' };
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
      const report = await prepareRanges(this.transport, this.cfg, input, { dryRun });
      this.logReport(report);
      const ready = report.status === 'ok' && (report.dryRun || report.verified === true);
      const status = ready ? 200 : report.retryable || report.verified === false ? 503 : 500;
      return { status, body: report };
    } catch (err) {
      return this.refusal(err, input);
    }
  }

  /** `{"release": true, "runId": …}`: drops a prepared run's reservation (release.ts); 200 whether or not it held one. */
  async release(input: unknown): Promise<HttpAnswer> {
    try {
      const report = await releaseReservation(this.transport, this.cfg, input);
      this.log.info({ status: report.status, request: report.request, reserved: report.reserved }, `peeringRanges: release of run ${report.request.runId} on ${report.request.network}: ${report.status}`);
      return { status: 200, body: report };
    } catch (err) {
      return this.refusal(err, input);
    }
  }

  private refusal(err: unknown, input: unknown): HttpAnswer {
    const { status, reason } = classify(err);
    this.log[status >= 500 ? 'error' : 'warn']({ reason, status, input: summary(input) }, `peeringRanges: ${reason}: ${errorMessage(err)}`);
    return { status, body: { error: { code: status, reason, message: errorMessage(err), ...(err instanceof PreflightRefusal ? { preflight: err.report } : {}) } } };
  }

  private logReport(r: RangeReport): void {
    const applied = r.changes.filter((c) => 'ok' in c && c.ok && !c.noop).length;
    this.log[r.status === 'ok' ? 'info' : 'error'](
      { status: r.status, request: r.request, reservedIpRanges: r.reservedIpRanges, allocated: r.allocated, capacity: r.capacity, changes: r.changes, warnings: r.warnings, verified: r.verified, missing: r.missing },
      `peeringRanges: ${r.status}${r.dryRun ? ' (dry run)' : ''}: capacity ${r.capacity.before} → ${r.capacity.after} jobs (need ${r.capacity.required}), ${applied} change(s) applied, reservedIpRanges [${r.reservedIpRanges.join(', ')}]`,
    );
  }
}

/** What a log line may say about an input: its keys and the first characters of its scalar values. */
export function summary(input: unknown): Record<string, string> | string {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return typeof input;
  const entries = Object.entries(input as Record<string, unknown>).slice(0, 12);
  return Object.fromEntries(entries.map(([k, v]) => [k.slice(0, 40), typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'array' : 'object') : String(v).slice(0, 64)]));
}
