/**
 * Releasing a prepared run's reservation. A verified preparation with a run id leaves a reservation
 * in the network's lease object, so the next preparation counts the run's jobs until its PipelineJob
 * shows up. When the workflow fails between the two (routes, the allowlist check, Vertex refusing
 * the job), no job will ever show up; left alone, the reservation would count for its whole TTL
 * and make every preparation meanwhile allocate for a run that is not coming — ranges netreflex
 * never gives back. The workflow therefore releases it on that path; the TTL stays the backstop
 * when even the release fails.
 *
 * Under the network's lease, like every write of the object: read, drop this run's entry, write
 * back under the generation. Idempotent: releasing a run that holds nothing answers
 * `unchanged` (`released: false`) and changes nothing else. The report is the kernel's envelope.
 */
import type { Transport } from '../gcp/transport.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import { releaseRequestFrom } from '../plan/ranges-request.js';
import { releaseReport, withoutRun, type ReleaseReport } from '../plan/ranges-release.js';
import { acquireNetworkLease, LeaseLost } from './lease.js';

export async function releaseReservation(
  t: Transport,
  cfg: PeeringRangesConfig,
  input: unknown,
  now: () => number = Date.now,
): Promise<ReleaseReport> {
  const request = releaseRequestFrom(input, cfg);
  const lease = await acquireNetworkLease(t, cfg, request.network, now);
  const kept = withoutRun(lease.body.reservations, request.runId);
  if (!(await lease.release({ reservations: kept })))
    throw new LeaseLost(
      `the lease on ${request.network} was lost before run ${request.runId}'s reservation was released; retry`,
    );
  return releaseReport(request, lease.body.reservations, kept);
}
