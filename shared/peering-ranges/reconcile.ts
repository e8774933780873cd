/**
 * One peeringRanges preparation: an adapter over the kernel's loop (reconcile/loop.ts), inside the network's lease:
 * lease → observe → preflight → plan → apply → read back and repair → release.
 *
 * - The request is validated first (ConfigError: the caller must change it), before any call.
 * - The network's lease (lease.ts) serializes preparations of one network across every function
 *   instance; one that cannot get it in time answers 503 and is retried.
 * - Observation includes every other run on the network: the Vertex jobs running or queued there
 *   and the runs prepared before this one and not started yet (the lease's reservations), so the
 *   capacity is for all of them together.
 * - The Vertex preflight runs before any change: a region busy on another network refuses the
 *   run (PreflightRefusal) with nothing changed.
 * - The plan is pure (`planRanges`); pool exhaustion or a too-large request throws before anything
 *   is created, so nothing is ever half-created by a refusal.
 * - Apply stops at the first failed step; range names are derived from network and CIDR, so a
 *   retry sees the address it created, counts it and only finishes the wiring.
 * - After every operation is DONE the connection, the firewall and the NAT metadata are read back;
 *   what netreflex wants there (every Vertex range of the network, wired) that is missing is
 *   written again, until nothing is missing (`verified`) or the rounds are spent (then 503: retry).
 *   Of other writers' entries only what a write of ours can have dropped goes back: a PSA range
 *   created on the network while this preparation ran and missing from the connection (Service
 *   Networking's patch has no precondition). Nothing else is: every write of ours extends a fresh
 *   read, so an entry seen earlier and gone now was removed by someone else after it, on purpose —
 *   putting it back would undo them. (A foreign firewall write landing between our read and our
 *   patch is overwritten: a v1 Firewall offers no precondition, and its entry was never seen.)
 * - A verified run with a `runId` (the workflow sends its execution id) leaves a reservation for
 *   its jobs in the lease object, so the next preparation counts them until the run's PipelineJob
 *   (labelled with the run id) shows up; asking again for the same run replaces it. A caller
 *   without a run id (`netreflex apply ranges`) prepares capacity and reserves nothing.
 */
import type { Transport } from '../gcp/transport.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { RangeChange, RangePlan, RangeRequest } from '../plan/ranges.js';
import { describeRangeChange } from '../plan/ranges-describe.js';
import { createdSince, noKnown, rangesInUse, remember, repairChanges } from '../plan/ranges-verify.js';
import { nextReservations, ownReservation } from '../plan/ranges-demand.js';
import { planAfterPreflight } from '../plan/ranges-preflight.js';
import { rangeRequestFrom } from '../plan/ranges-request.js';
import {
  degradedRangeReport,
  failedRangeReport,
  rangeReport,
  rangeResult,
  type RangeChangeResult,
  type RangeReport,
} from '../plan/ranges-report.js';
import { sleep } from '../util/concurrency.js';
import type { RangeObservation } from '../plan/ranges-observation.js';
import { observeRanges, observeWiring } from './observe.js';
import { applyRangeChanges, rangePhases, type Fence } from './apply.js';
import { reconcile } from '../reconcile/loop.js';
import { mutationsOf } from '../reconcile/apply.js';
import { acquireNetworkLease, leaseObject, readNetworkLease, type Reservation } from './lease.js';

export interface PrepareOptions {
  dryRun?: boolean;
  now?: () => number;
  /** Read-back rounds before giving up with 503. */
  verifyRounds?: number;
  /** Told the observation and the plan made from it (`netreflex status` judges the PSA ranges by them). */
  planned?: (obs: RangeObservation, plan: RangePlan) => void;
}

export async function reconcilePeeringRanges(
  t: Transport,
  cfg: PeeringRangesConfig,
  input: unknown,
  options: PrepareOptions = {},
): Promise<RangeReport> {
  const request = rangeRequestFrom(input, cfg);
  const now = options.now ?? Date.now;
  if (options.dryRun) {
    const { body } = await readNetworkLease(t, cfg.stateBucket, leaseObject(cfg, request.network));
    return prepare(t, cfg, request, options, { dryRun: true, reservations: body.reservations });
  }
  const startedAt = now();
  const lease = await acquireNetworkLease(t, cfg, request.network, now);
  const held: Held = {
    dryRun: false,
    reservations: lease.body.reservations,
    fence: () => lease.assertHeld(),
    startedAt,
  };
  try {
    return await prepare(t, cfg, request, options, held);
  } finally {
    await lease.release({ reservations: held.reservations });
  }
}

/**
 * The preparation as an adapter over the kernel's loop (reconcile/loop.ts): observe every range and
 * every other run, plan (after the preflight), apply the one ordered phase under the lease's fence,
 * and verify by reading back and repairing. One look: the lease keeps other preparations out, and
 * every step re-reads the list it extends, so there is nothing to re-plan mid-apply. `held` is the
 * lease's: its reservations lose the runs started since as soon as they are observed (the lease is
 * released with them even if the plan then refuses), and gain this run's own once verified.
 */
async function prepare(
  t: Transport,
  cfg: PeeringRangesConfig,
  request: RangeRequest,
  options: PrepareOptions,
  held: Held,
): Promise<RangeReport> {
  const now = options.now ?? Date.now;
  const dryRun = held.dryRun;
  const fence: Fence = held.dryRun ? () => undefined : held.fence;
  const run = await reconcile<RangeObservation, RangePlan, RangeChange, Repaired>(
    {
      observe: async () => {
        const obs = await observeRanges(t, cfg, request, {
          reservations: held.reservations,
          runId: request.runId,
          now: now(),
        });
        if (!dryRun) held.reservations = nextReservations(held.reservations, obs.startedRuns, now());
        return obs;
      },
      plan: (obs) => planAfterPreflight(request, obs, cfg.plan),
      phases: (plan) => rangePhases(t, cfg, request.network, plan.changes, fence),
      ...(options.planned ? { planned: options.planned } : {}),
      verify: async ({ results, plan, observed }) =>
        held.dryRun || results.some((r) => !r.ok)
          ? undefined
          : readBackAndRepair(
              t,
              cfg,
              request.network,
              plan,
              observed,
              fence,
              options.verifyRounds ?? 5,
              held.startedAt,
            ),
    },
    { policy: dryRun ? 'dry-run' : 'sync', replans: 0 },
  );
  const { observed: obs, plan } = run;
  const report = rangeReport(request, obs, plan, dryRun);
  if (dryRun) return { ...report, status: 'planned' };
  const results = run.results.map(rangeResult);
  report.changes = [...results, ...report.changes.slice(results.length)];
  report.results = [...results];
  report.mutations = mutationsOf(results);
  const failed = results.filter((r) => !r.ok);
  if (failed.length) return failedRangeReport(report, failed);
  const verified = run.verified!;
  report.changes.push(...verified.repairs);
  report.results.push(...verified.repairs);
  report.mutations = mutationsOf(report.results);
  if (!verified.ok) return degradedRangeReport(report, verified.missing);
  if (request.runId) {
    const own = ownReservation(request.runId, request, plan.reservedIpRanges, now() + cfg.reservationTtlMs);
    held.reservations = nextReservations(held.reservations, obs.startedRuns, now(), own);
  }
  return { ...report, verified: true };
}

/**
 * What a preparation holds: in a dry run, the lease's reservations as read; under the lease, the
 * reservations it will release the lease with, its fence, and when it was taken.
 */
type Held =
  | { readonly dryRun: true; reservations: Reservation[] }
  | { readonly dryRun: false; reservations: Reservation[]; readonly fence: Fence; readonly startedAt: number };

type Repaired = Awaited<ReturnType<typeof readBackAndRepair>>;

/**
 * Reads the three lists back (every operation is DONE by now) and writes what is missing, until
 * nothing is: every Vertex range of the plan, and the names of PSA ranges created on the network
 * while this preparation ran that are not on the connection (see the module comment).
 */
async function readBackAndRepair(
  t: Transport,
  cfg: PeeringRangesConfig,
  network: string,
  plan: RangePlan,
  obs: RangeObservation,
  fence: Fence,
  rounds: number,
  startedAt: number,
): Promise<{ ok: boolean; repairs: RangeChangeResult[]; missing: string[] }> {
  const used = rangesInUse(plan);
  const known = noKnown();
  const repairs: RangeChangeResult[] = [];
  let missing: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const state = await observeWiring(t, cfg, obs);
    // A PSA range created while this preparation ran and not on the connection is someone's
    // concurrent addition that a write of ours (Service Networking's patch has no precondition)
    // may have dropped in the instant between our read and our write: it goes back.
    remember(known, { connection: createdSince(state.created, startedAt), firewall: [], metadata: [] });
    const changes = repairChanges(network, used, known, state, cfg.plan);
    if (!changes.length) return { ok: true, repairs, missing: [] };
    missing = changes.map(describeRangeChange);
    const results = await applyRangeChanges(t, cfg, network, changes, fence);
    repairs.push(...results.map((r) => ({ ...r, description: `repair: ${r.description}` })));
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.transient) break;
    if (failed) await sleep(200 * (round + 1));
  }
  return { ok: false, repairs, missing };
}
