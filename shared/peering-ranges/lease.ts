/**
 * One preparation at a time per network: a lease kept in Google, as one Cloud Storage object per
 * network in the state bucket (`peering-ranges/<project>/<network>.json`).
 *
 * Why this store: the three lists a preparation extends (the connection's `reservedPeeringRanges`,
 * the firewall's `sourceRanges`, the NAT metadata) are read-merge-written, and two of them have no
 * precondition Google offers (Service Networking's `patch` replaces the whole list; a v1 Firewall
 * has no fingerprint, compute.proto). Serializing the preparations of one network is what keeps
 * two of them from overwriting each other. Function instances share no memory and are restarted at
 * will, so the lock must live in Google; Cloud Storage is the one store with compare-and-swap
 * (`ifGenerationMatch`: 0 creates only if absent, `<g>` replaces only the version read, else 412)
 * that netreflex already depends on, and it needs no extra service.
 *
 * The object holds `{holder, expiresAt, reservations}`:
 * - acquire: read it; absent → create with `ifGenerationMatch=0`; free (holder null) or expired →
 *   rewrite with `ifGenerationMatch=<generation read>`. Of two callers that read the same version
 *   exactly one write succeeds; the other gets 412 and looks again. A held lease is waited for,
 *   polling, up to `waitMs`, then the caller answers 503 (the workflow retries).
 * - renew: every TTL/3 the holder rewrites `expiresAt` under its own generation; a 412 means
 *   someone took the lease over (it had expired), and the holder stops writing.
 * - release: rewrite with holder null under its generation (never a delete: the reservations of
 *   prepared runs live in the same object and must outlive the lease).
 *
 * TTL (NETREFLEX_RANGES_LEASE_TTL_SECONDS, default 60 s): long enough that two renewals in a row
 * can fail (a slow storage call, a GC pause) without losing the lease, short enough that a holder
 * that died (instance killed, timeout) blocks the next caller for at most a minute — well inside
 * the workflow's 600 s call timeout and its retries. Expiry is judged on the waiter's clock against
 * the holder's `expiresAt`; Cloud Functions clocks are NTP-synchronized, a few ms apart, far below
 * the TTL.
 *
 * A holder that outlives its lease (paused past the TTL) is fenced: before every write it checks
 * that its last renewal still holds with a margin (`assertHeld`), and the writes themselves keep
 * Google's preconditions — the NAT metadata under the MIG fingerprint, the address insert by name
 * (a second insert is a 409) — while the two lists without one are merged from a read taken right
 * before the write and never shortened, and every preparation reads all three back after its
 * writes and re-adds what is missing. A stale write can therefore at worst drop an addition made in
 * the instant between its read and its write, which the owner of that addition repairs in its own
 * read-back.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { getObjectMetadata, readObjectText, writeJsonObject } from '../gcp/storage.js';
import { sleep } from '../util/concurrency.js';

/** A run prepared and not started yet: its jobs count against the ranges until its PipelineJob shows. */
export interface Reservation {
  runId: string;
  parallelJobs: number;
  nodesPerJob: number;
  expiresAt: string;
  /** The ranges the run was answered: its jobs take blocks there only. */
  reservedIpRanges?: string[];
}

export interface LeaseBody {
  holder: string | null;
  expiresAt: string | null;
  reservations: Reservation[];
}

export interface LeaseOptions {
  bucket: string;
  object: string;
  ttlMs: number;
  /** How long to wait for a held lease before giving up (503). */
  waitMs: number;
  /** Who holds it, for the object and the logs. */
  holder?: string;
  now?: () => number;
}

/** The lease is held by someone else past the wait: retry later. */
export class LeaseBusy extends ApiError {
  constructor(message: string) {
    super(503, 'UNAVAILABLE', message, 'leaseBusy');
  }
}

/** This holder lost the lease (it expired and someone took it over): stop writing, retry later. */
export class LeaseLost extends ApiError {
  constructor(message: string) {
    super(503, 'UNAVAILABLE', message, 'leaseLost');
  }
}

const EMPTY: LeaseBody = { holder: null, expiresAt: null, reservations: [] };
const isPrecondition = (err: unknown) => err instanceof ApiError && err.code === 412;
const isNotFound = (err: unknown) => err instanceof ApiError && err.code === 404;

/** The lease object as it is now: its body and generation (`'0'` when it does not exist). */
export async function readLease(
  t: Transport,
  bucket: string,
  object: string,
): Promise<{ body: LeaseBody; generation: string }> {
  for (;;) {
    let generation: string;
    try {
      generation = (await getObjectMetadata(t, bucket, object)).generation;
    } catch (err) {
      if (isNotFound(err)) return { body: EMPTY, generation: '0' };
      throw err;
    }
    try {
      return { body: parseBody(await readObjectText(t, bucket, object, generation)), generation };
    } catch (err) {
      if (!isNotFound(err)) throw err; // replaced between the two reads: read the new one
    }
  }
}

function parseBody(text: string): LeaseBody {
  try {
    const v = JSON.parse(text) as Partial<LeaseBody>;
    return {
      holder: typeof v.holder === 'string' ? v.holder : null,
      expiresAt: typeof v.expiresAt === 'string' ? v.expiresAt : null,
      reservations: Array.isArray(v.reservations) ? v.reservations.filter(isReservation) : [],
    };
  } catch {
    return EMPTY; // an unreadable lease is free: it is rewritten under its generation
  }
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

export class NetworkLease {
  private lost = false;
  private renewing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly t: Transport,
    private readonly opts: LeaseOptions & { holder: string; now: () => number },
    private generation: string,
    private expiresAt: number,
    /** The body as acquired: the reservations of the runs prepared before this one. */
    readonly body: LeaseBody,
  ) {}

  /** Takes the lease, waiting up to `waitMs` while someone else holds it. */
  static async acquire(t: Transport, options: LeaseOptions): Promise<NetworkLease> {
    const opts = { holder: randomUUID(), now: Date.now, ...options };
    const deadline = opts.now() + opts.waitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
      const { body, generation } = await readLease(t, opts.bucket, opts.object);
      const free = body.holder === null || body.expiresAt === null || Date.parse(body.expiresAt) <= opts.now();
      if (free) {
        const expiresAt = opts.now() + opts.ttlMs;
        try {
          const written = await writeJsonObject(
            t,
            opts.bucket,
            opts.object,
            { ...body, holder: opts.holder, expiresAt: new Date(expiresAt).toISOString() },
            { ifGenerationMatch: generation },
          );
          const lease = new NetworkLease(t, opts, written.generation, expiresAt, body);
          lease.startRenewing();
          return lease;
        } catch (err) {
          if (!isPrecondition(err)) throw err;
          continue; // another caller took it first: look again at once
        }
      }
      if (opts.now() + delay > deadline) {
        throw new LeaseBusy(
          `another preparation of this network holds its lease (${body.holder}, until ${body.expiresAt}); retry later`,
        );
      }
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }

  /** Throws LeaseLost unless the lease certainly still holds (a margin of a tenth of the TTL). */
  assertHeld(): void {
    if (this.lost || this.opts.now() > this.expiresAt - this.opts.ttlMs / 10) {
      this.lost = true;
      throw new LeaseLost(
        'the lease on this network expired before the preparation finished; nothing more is written — retry',
      );
    }
  }

  private startRenewing(): void {
    this.timer = setInterval(
      () => {
        this.renewing = this.renewing.then(() => this.renew());
      },
      Math.max(50, Math.floor(this.opts.ttlMs / 3)),
    );
    this.timer.unref?.();
  }

  private async renew(): Promise<void> {
    if (this.lost) return;
    const expiresAt = this.opts.now() + this.opts.ttlMs;
    try {
      const written = await writeJsonObject(
        this.t,
        this.opts.bucket,
        this.opts.object,
        { ...this.body, holder: this.opts.holder, expiresAt: new Date(expiresAt).toISOString() },
        { ifGenerationMatch: this.generation },
      );
      this.generation = written.generation;
      this.expiresAt = expiresAt;
    } catch (err) {
      if (isPrecondition(err)) this.lost = true; // taken over
      // a transient failure: the next tick tries again; assertHeld judges the margin meanwhile
    }
  }

  /**
   * Frees the lease, leaving `reservations` for the next holder; false when nothing was written
   * (the lease was lost, so the object is someone else's now).
   */
  async release(reservations: readonly Reservation[]): Promise<boolean> {
    clearInterval(this.timer);
    await this.renewing;
    if (this.lost) return false;
    try {
      await writeJsonObject(
        this.t,
        this.opts.bucket,
        this.opts.object,
        { holder: null, expiresAt: null, reservations },
        { ifGenerationMatch: this.generation },
      );
      return true;
    } catch (err) {
      if (!isPrecondition(err)) throw err;
      return false;
    }
  }
}
