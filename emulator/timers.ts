/**
 * Every delay of an emulator: operations landing, VM lifecycle steps, MIG autoheal, Pub/Sub
 * leases and pull waits, injected latency, pipeline job steps, workflow waits and the deadlines of
 * the emulator's own outgoing requests (event deliveries, a workflow's `http.*` timeout). Tests start many emulators in one
 * process, so `Emulator.close()` cancels them all: nothing lands in a closed emulator's store or
 * sends its events to functions already stopped. A `sleep` cut short by `clear()` never resolves,
 * so the step after it never runs.
 *
 * The clock underneath is Node's by default; a test may hand in its own (`Clock`) and drive every
 * delay of the emulator by hand — also to make a race happen the same way on a machine of any
 * speed (two calls both accepted before either operation lands). The same clock tells the time
 * the emulator stamps (`now`: operation names, storage generations, workflow `sys.now`), so a
 * driven clock moves both together.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A pending delay, as `after` returns it (for `cancel`). */
export interface Timer {
  readonly handle: unknown;
}

/** Node's longest delay: a longer one fires after 1 ms (a TimeoutOverflowWarning); longer waits re-arm. */
const MAX_DELAY_MS = 2 ** 31 - 1;

const NODE_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Timers {
  private readonly pending = new Set<Timer>();

  constructor(private readonly clock: Clock = NODE_CLOCK) {}

  /**
   * Runs `fn` after `ms`, unless `cancel` or `clear` comes first — never before `ms` have passed on
   * the clock: Node's timers run on a monotonic clock and may fire a millisecond before `Date.now()`
   * says the time is up, so an early callback waits out the rest (a workflow's `sys.sleep` of 5 s
   * never reports a duration of 4.999 s). `unref`: the delay alone does not keep the process alive
   * (a lease that ends in minutes).
   */
  after(ms: number, fn: () => void, options: { unref?: boolean } = {}): Timer {
    const due = this.clock.now() + ms;
    const timer: { handle: unknown } = { handle: undefined };
    const arm = (wait: number) => {
      timer.handle = this.clock.setTimeout(
        () => {
          const left = due - this.clock.now();
          if (left > 0) return arm(left);
          this.pending.delete(timer);
          fn();
        },
        Math.min(wait, MAX_DELAY_MS),
      );
      if (options.unref) (timer.handle as { unref?: () => void }).unref?.();
    };
    arm(ms);
    this.pending.add(timer);
    return timer;
  }

  /** The emulator's time, in milliseconds since the epoch. */
  now(): number {
    return this.clock.now();
  }

  /**
   * Resolves after `ms`; never, if `clear` comes first. When `signal` aborts first, the delay is
   * cancelled and the promise rejects with the signal's reason (a cancelled workflow execution).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.cancel(timer);
        reject(signal?.reason);
      };
      const timer = this.after(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * A signal that aborts with a TimeoutError after `ms`, as `AbortSignal.timeout`'s does, but on this
   * clock: a test's clock moves it and `clear` drops it. `done()` drops it once the work it bounds
   * has ended, so a finished request leaves no delay pending.
   */
  deadline(ms: number): { signal: AbortSignal; done: () => void } {
    const controller = new AbortController();
    const timer = this.after(
      ms,
      () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      { unref: true },
    );
    return { signal: controller.signal, done: () => this.cancel(timer) };
  }

  cancel(timer: Timer | undefined): void {
    if (!timer) return;
    if (this.pending.delete(timer)) this.clock.clearTimeout(timer.handle);
  }

  clear(): void {
    for (const timer of this.pending) this.clock.clearTimeout(timer.handle);
    this.pending.clear();
  }

  /** How many delays are pending (not yet due). */
  get size(): number {
    return this.pending.size;
  }
}
