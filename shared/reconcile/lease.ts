/**
 * One writer at a time, for reconciles whose writes Google offers no precondition for: a lease kept
 * in Google, as one Cloud Storage object. Function instances share no memory and are restarted at
 * will, so the lock must live in Google; Cloud Storage is the one store with compare-and-swap
 * (`ifGenerationMatch`: 0 creates only if absent, `<g>` replaces only the version read, else 412)
 * that netreflex already depends on, and it needs no extra service. peeringRanges serializes the
 * preparations of one network with it (shared/peering-ranges/lease.ts says why).
 *
 * The object holds `{holder, expiresAt, …state}`, the state being what the holders share (and must
 * outlive any one lease: peeringRanges' reservations of prepared runs):
 * - acquire: read it; absent → create with `ifGenerationMatch=0`; free (holder null) or expired →
 *   rewrite with `ifGenerationMatch=<generation read>`. Of two callers that read the same version
 *   exactly one write succeeds; the other gets 412 and looks again. A held lease is waited for,
 *   polling with jittered back-off, up to `waitMs`, then the caller answers 503 (`LeaseBusy`).
 * - renew: every TTL/3 the holder rewrites `expiresAt` under its own generation; a 412 means
 *   someone took the lease over (it had expired), and the holder stops writing.
 * - release: rewrite with holder null and the state to leave, under its generation (never a delete:
 *   the state must outlive the lease).
 *
 * The TTL should be long enough that two renewals in a row can fail (a slow storage call, a GC
 * pause) without losing the lease, and short enough that a holder that died (instance killed,
 * timeout) blocks the next caller only briefly. Expiry is judged on the waiter's clock against the
 * holder's `expiresAt`; Cloud Functions clocks are NTP-synchronized, a few ms apart, far below any TTL.
 *
 * A holder that outlives its lease (paused past the TTL) is fenced: before every write it calls
 * `assertHeld`, which throws `LeaseLost` unless its last renewal still holds with a margin of a
 * tenth of the TTL; what it writes must still keep whatever preconditions Google offers.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, unlessNotFound } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { getObjectMetadata, readObjectText, writeJsonObject } from '../gcp/storage.js';
import { sleep } from '../util/concurrency.js';

/** Who holds the lease and until when; both null when it is free. */
export interface LeaseHolder {
  holder: string | null;
  expiresAt: string | null;
}

/** The state a lease object keeps for its holders: how to read it from the object, and its value when absent. */
export interface LeaseState<S extends object> {
  readonly empty: S;
  /** The state from the object's JSON (an object; anything unreadable in it reads as empty). */
  readonly parse: (json: Readonly<Record<string, unknown>>) => S;
}

export interface LeaseOptions<S extends object> {
  readonly bucket: string;
  readonly object: string;
  readonly state: LeaseState<S>;
  readonly ttlMs: number;
  /** How long to wait for a held lease before giving up (503). */
  readonly waitMs: number;
  /** What the lease serializes, in messages: `another ${what} of ${scope} holds its lease`. */
  readonly what: string;
  readonly scope: string;
  /** Who holds it, for the object and the logs. */
  readonly holder?: string;
  readonly now?: () => number;
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

const isPrecondition = (err: unknown) => err instanceof ApiError && err.code === 412;

/** The lease object as it is now: its body and generation (`'0'` when it does not exist). */
export async function readLease<S extends object>(
  t: Transport,
  bucket: string,
  object: string,
  state: LeaseState<S>,
): Promise<{ body: LeaseHolder & S; generation: string }> {
  const free = { holder: null, expiresAt: null, ...state.empty };
  for (;;) {
    const meta = await unlessNotFound(getObjectMetadata(t, bucket, object));
    if (!meta) return { body: free, generation: '0' };
    const text = await unlessNotFound(readObjectText(t, bucket, object, meta.generation));
    if (text !== undefined) return { body: parseBody(text, state, free), generation: meta.generation };
    // That version was replaced between the two reads: read the new one.
  }
}

function parseBody<S extends object>(text: string, state: LeaseState<S>, free: LeaseHolder & S): LeaseHolder & S {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return free; // an unreadable lease is free: it is rewritten under its generation
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return free;
  const v = json as Record<string, unknown>;
  return {
    holder: typeof v.holder === 'string' ? v.holder : null,
    expiresAt: typeof v.expiresAt === 'string' ? v.expiresAt : null,
    ...state.parse(v),
  };
}

export class Lease<S extends object> {
  private lost = false;
  private renewing: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly t: Transport,
    private readonly opts: LeaseOptions<S> & { holder: string; now: () => number },
    private generation: string,
    private expiresAt: number,
    /** The body as acquired: the state the holders before this one left. */
    readonly body: LeaseHolder & S,
  ) {}

  /** Takes the lease, waiting up to `waitMs` while someone else holds it. */
  static async acquire<S extends object>(t: Transport, options: LeaseOptions<S>): Promise<Lease<S>> {
    const opts = { holder: randomUUID(), now: Date.now, ...options };
    const deadline = opts.now() + opts.waitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
      const { body, generation } = await readLease(t, opts.bucket, opts.object, opts.state);
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
          const lease = new Lease(t, opts, written.generation, expiresAt, body);
          lease.startRenewing();
          return lease;
        } catch (err) {
          if (!isPrecondition(err)) throw err;
          continue; // another caller took it first: look again at once
        }
      }
      if (opts.now() + delay > deadline) {
        throw new LeaseBusy(
          `another ${opts.what} of ${opts.scope} holds its lease (${body.holder}, until ${body.expiresAt}); retry later`,
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
        `the lease on ${this.opts.scope} expired before the ${this.opts.what} finished; nothing more is written — retry`,
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
   * Frees the lease, leaving `state` for the next holder; false when nothing was written (the lease
   * was lost, so the object is someone else's now).
   */
  async release(state: S): Promise<boolean> {
    clearInterval(this.timer);
    await this.renewing;
    if (this.lost) return false;
    try {
      await writeJsonObject(
        this.t,
        this.opts.bucket,
        this.opts.object,
        { holder: null, expiresAt: null, ...state },
        { ifGenerationMatch: this.generation },
      );
      return true;
    } catch (err) {
      if (!isPrecondition(err)) throw err;
      return false;
    }
  }
}
