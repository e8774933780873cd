/**
 * One preparation at a time per network, under the kernel's lease (shared/reconcile/lease.ts): one
 * Cloud Storage object per network in the state bucket (`peering-ranges/<project>/<network>.json`),
 * which also keeps the reservations of the runs prepared and not started yet.
 *
 * Why a lease: the three lists a preparation extends (the connection's `reservedPeeringRanges`,
 * the firewall's `sourceRanges`, the NAT metadata) are read-merge-written, and two of them have no
 * precondition Google offers (Service Networking's `patch` replaces the whole list; a v1 Firewall
 * has no fingerprint, compute.proto). Serializing the preparations of one network is what keeps
 * two of them from overwriting each other.
 *
 * TTL (NETREFLEX_RANGES_LEASE_TTL_SECONDS, default 60 s): a holder that died blocks the next caller
 * for at most a minute — well inside the workflow's 600 s call timeout and its retries.
 *
 * A holder that outlives its lease is fenced (`assertHeld` before every write), and the writes
 * themselves keep Google's preconditions — the NAT metadata under the MIG fingerprint, the address
 * insert by name (a second insert is a 409) — while the two lists without one are merged from a
 * read taken right before the write and never shortened, and every preparation reads all three
 * back after its writes and re-adds what is missing. A stale write can therefore at worst drop an
 * addition made in the instant between its read and its write, which the owner of that addition
 * repairs in its own read-back.
 */
import type { Transport } from '../gcp/transport.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { DemandReservation } from '../plan/ranges-demand.js';
import { Lease, readLease, type LeaseState } from '../reconcile/lease.js';

export { LeaseBusy, LeaseLost } from '../reconcile/lease.js';

/**
 * A run prepared and not started yet: its jobs count against the ranges until its PipelineJob
 * shows, in the ranges it was answered only — the demand planner's reservation, as the lease keeps it.
 */
export type Reservation = DemandReservation;

/** What the network's lease object keeps for its holders. */
export interface Reservations {
  reservations: Reservation[];
}

const isReservation = (r: unknown): r is Reservation => {
  const x = r as Partial<Reservation> | null;
  return (
    !!x &&
    typeof x.runId === 'string' &&
    Number.isInteger(x.parallelJobs) &&
    Number.isInteger(x.nodesPerJob) &&
    typeof x.expiresAt === 'string' &&
    (x.reservedIpRanges === undefined ||
      (Array.isArray(x.reservedIpRanges) && x.reservedIpRanges.every((n) => typeof n === 'string')))
  );
};

const RESERVATIONS: LeaseState<Reservations> = {
  empty: { reservations: [] },
  parse: (json) => ({
    reservations: Array.isArray(json.reservations) ? json.reservations.filter(isReservation) : [],
  }),
};

/** The lease object of a network: one per project and network. */
export const leaseObject = (cfg: Pick<PeeringRangesConfig, 'project'>, network: string) =>
  `peering-ranges/${cfg.project}/${network}.json`;

export type NetworkLease = Lease<Reservations>;

/** Takes the network's lease, waiting up to `leaseWaitMs` while another preparation holds it. */
export function acquireNetworkLease(
  t: Transport,
  cfg: Pick<PeeringRangesConfig, 'project' | 'stateBucket' | 'leaseTtlMs' | 'leaseWaitMs'>,
  network: string,
  now: () => number = Date.now,
): Promise<NetworkLease> {
  return Lease.acquire(t, {
    bucket: cfg.stateBucket,
    object: leaseObject(cfg, network),
    state: RESERVATIONS,
    ttlMs: cfg.leaseTtlMs,
    waitMs: cfg.leaseWaitMs,
    what: 'preparation',
    scope: 'this network',
    now,
  });
}

/** The network's lease object as it is now (its holder and the reservations), without taking it. */
export const readNetworkLease = (t: Transport, bucket: string, object: string) =>
  readLease(t, bucket, object, RESERVATIONS);
