/**
 * Every delay of an emulator: operations landing, VM lifecycle steps, MIG autoheal, Pub/Sub
 * leases and pull waits, injected latency, pipeline job steps. Tests start many emulators in one
 * process, so `Emulator.close()` cancels them all: nothing lands in a closed emulator's store or
 * sends its events to functions already stopped. A `sleep` cut short by `clear()` never resolves,
 * so the step after it never runs.
 *
 * The clock underneath is Node's by default; a test may hand in its own (`Clock`) and drive every
 * delay of the emulator by hand, or `hold` the timers to make a race happen the same way every run.
 */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A pending delay, as `after` returns it (for `cancel`). */
export interface Timer {
  readonly handle: unknown;
}

const NODE_CLOCK: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Timers {
  private readonly pending = new Set<Timer>();
  /** Timers that came due while held, in the order they came due; undefined when not held. */
  private held: Map<Timer, () => void> | undefined;

  constructor(private readonly clock: Clock = NODE_CLOCK) {}

  /**
   * Runs `fn` after `ms`, unless `cancel` or `clear` comes first (and not before `release` while
   * held). `unref`: the delay alone does not keep the process alive (a lease that ends in minutes).
   */
  after(ms: number, fn: () => void, options: { unref?: boolean } = {}): Timer {
    const timer: Timer = {
      handle: this.clock.setTimeout(() => {
        this.pending.delete(timer);
        if (this.held) this.held.set(timer, fn);
        else fn();
      }, ms),
    };
    if (options.unref) (timer.handle as { unref?: () => void }).unref?.();
    this.pending.add(timer);
    return timer;
  }

  /** Resolves after `ms`; never, if `clear` comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => void this.after(ms, resolve));
  }

  cancel(timer: Timer | undefined): void {
    if (!timer) return;
    if (this.pending.delete(timer)) this.clock.clearTimeout(timer.handle);
    this.held?.delete(timer);
  }

  /**
   * Holds every timer that comes due until `release`, which runs them in the order they came due.
   * For a test that needs a race production has to happen the same way every run — two calls both
   * accepted before either operation lands — on a machine of any speed.
   */
  hold(): { release: () => void } {
    if (this.held) throw new Error('the timers are held already: release them first');
    const held = new Map<Timer, () => void>();
    this.held = held;
    return {
      release: () => {
        if (this.held !== held) return;
        this.held = undefined;
        for (const fn of held.values()) fn();
      },
    };
  }

  clear(): void {
    for (const timer of this.pending) this.clock.clearTimeout(timer.handle);
    this.pending.clear();
    this.held?.clear();
  }

  /** How many delays are pending (not yet due). */
  get size(): number {
    return this.pending.size;
  }
}
