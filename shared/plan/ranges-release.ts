/**
 * Releasing a prepared run's reservation, the decision (pure): the lease's reservations without
 * the run's entry, and the report of the kernel's envelope — `ok` when the run held one and it is
 * gone now, `unchanged` (nothing else changed) when it held none. shared/peering-ranges/release.ts
 * takes the network's lease and writes what is kept.
 */
import type { Envelope } from '../reconcile/report.js';
import type { DemandReservation } from './ranges-demand.js';
import type { ReleaseRequest } from './ranges-types.js';

export interface ReleaseReport extends Envelope<never> {
  /** `ok` when the reservation is gone now, `unchanged` when the run held none. */
  status: 'ok' | 'unchanged';
  request: ReleaseRequest;
  /** True when the run held a reservation and it is gone now. */
  released: boolean;
  /**
   * The runs whose reservations are left in the lease object. A run whose PipelineJob exists by now
   * no longer counts; the next preparation drops its entry.
   */
  reserved: string[];
}

/** The reservations to keep: every one but the run's (all of its entries). */
export const withoutRun = <R extends Pick<DemandReservation, 'runId'>>(
  reservations: readonly R[],
  runId: string,
): R[] => reservations.filter((r) => r.runId !== runId);

/** The release's report, from the reservations held before and those kept. */
export function releaseReport(
  request: ReleaseRequest,
  held: readonly Pick<DemandReservation, 'runId'>[],
  kept: readonly Pick<DemandReservation, 'runId'>[],
): ReleaseReport {
  const released = kept.length < held.length;
  return {
    status: released ? 'ok' : 'unchanged',
    reasons: [],
    warnings: [],
    dryRun: false,
    results: [],
    mutations: released ? 1 : 0,
    retry: false,
    request,
    released,
    reserved: kept.map((r) => r.runId),
  };
}
