/**
 * peeringRanges as a service inside one function instance: runs a preparation or a release and
 * writes its one log line; the function's HTTP door (functions/http.ts) answers the report, or
 * what was thrown, through the kernel's one status table (shared/reconcile/report.ts). 200 means
 * verified, never less: an unverified run is `degraded`, a 503 the workflow retries.
 */
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import { severityOf } from '../reconcile/report.js';
import type { RangeReport } from '../plan/ranges-report.js';
import { reconcilePeeringRanges } from './reconcile.js';
import type { ReleaseReport } from '../plan/ranges-release.js';
import { releaseReservation } from './release.js';

export class PeeringRangesService {
  readonly transport: Transport;

  constructor(
    readonly cfg: PeeringRangesConfig,
    readonly log: Logger,
    transport?: Transport,
  ) {
    this.transport = transport ?? functionTransport(cfg, log, 'peeringRanges');
  }

  async prepare(input: unknown, dryRun = false): Promise<RangeReport> {
    const report = await reconcilePeeringRanges(this.transport, this.cfg, input, { dryRun });
    this.logReport(report);
    return report;
  }

  /** `{"release": true, "runId": …}`: drops a prepared run's reservation (release.ts); 200 whether or not it held one. */
  async release(input: unknown): Promise<ReleaseReport> {
    const report = await releaseReservation(this.transport, this.cfg, input);
    this.log.info(
      { status: report.status, request: report.request, released: report.released, reserved: report.reserved },
      `peeringRanges: release of run ${report.request.runId} on ${report.request.network}: ${report.released ? 'released' : 'nothing reserved'}`,
    );
    return report;
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
