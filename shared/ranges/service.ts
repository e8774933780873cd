/**
 * peeringRanges as a service inside one function instance: runs the preparation, logs it, and
 * turns the outcome into an HTTP answer the caller (the Workflows orchestration) can act on:
 *
 * | outcome                                  | HTTP | reason              | caller                      |
 * |------------------------------------------|------|---------------------|-----------------------------|
 * | ready (changed or not)                   | 200  | —                   | run with `reservedIpRanges` |
 * | bad request (counts, unknown network…)   | 400  | invalid-request     | fix the request             |
 * | another network busy in the region       | 409  | preflight-refused   | wait/cancel, then retry     |
 * | pool exhausted / name clash              | 422  | pool-exhausted      | widen the pool, ask less    |
 * | transient API failure (also mid-way)     | 503  | transient           | retry (Workflows' policy)   |
 * | anything else                            | 500  | internal            | read the log                |
 */
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import { ConfigError, SafetyError, errorMessage, isTransient } from '../errors.js';
import { prepareRanges, type RangeReport } from './reconcile.js';
import { PreflightRefusal } from './preflight.js';

export type FailureReason = 'invalid-request' | 'preflight-refused' | 'pool-exhausted' | 'transient' | 'internal';

export interface HttpAnswer {
  status: number;
  body: RangeReport | { error: { code: number; reason: FailureReason; message: string; preflight?: unknown } };
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
      const status = report.status === 'ok' ? 200 : report.retryable ? 503 : 500;
      return { status, body: report };
    } catch (err) {
      const { status, reason } = classify(err);
      this.log[status >= 500 ? 'error' : 'warn']({ reason, status, input }, `peeringRanges: ${reason}: ${errorMessage(err)}`);
      return { status, body: { error: { code: status, reason, message: errorMessage(err), ...(err instanceof PreflightRefusal ? { preflight: err.report } : {}) } } };
    }
  }

  private logReport(r: RangeReport): void {
    const applied = r.changes.filter((c) => 'ok' in c && c.ok && !c.noop).length;
    this.log[r.status === 'ok' ? 'info' : 'error'](
      { status: r.status, request: r.request, reservedIpRanges: r.reservedIpRanges, allocated: r.allocated, capacity: r.capacity, changes: r.changes, warnings: r.warnings, verified: r.verified },
      `peeringRanges: ${r.status}${r.dryRun ? ' (dry run)' : ''}: capacity ${r.capacity.before} → ${r.capacity.after} jobs (need ${r.capacity.required}), ${applied} change(s) applied, reservedIpRanges [${r.reservedIpRanges.join(', ')}]`,
    );
  }
}
