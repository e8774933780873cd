/**
 * Time as the engine sees it, always handed in: inside the emulator a ScaledClock over the
 * emulator's Timers (so `Emulator.close()` ends every wait and a test's clock drives them); the
 * engine's own tests a FakeClock whose `sleep` advances virtual time at once, so a 5-retry backoff
 * runs in microseconds and the waits can still be asserted.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * Virtual time: `sleep` records the wait and parks the caller; once everything runnable has run
 * (a macrotask later), the earliest parked sleeper wakes and `now` jumps to its deadline. So
 * parallel branches still see time pass in the right order, without any real waiting.
 */
export class FakeClock implements Clock {
  /** Every wait asked for, in milliseconds, in order. */
  readonly sleeps: number[] = [];
  private readonly timers: Timer[] = [];
  private seq = 0;

  constructor(private current = Date.UTC(2025, 0, 1)) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    return new Promise((resolve, reject) => {
      const timer: Timer = { at: this.current + ms, seq: this.seq++, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers.splice(this.timers.indexOf(timer), 1);
          reject(signal.reason);
        },
        { once: true },
      );
      setImmediate(() => this.wakeEarliest());
    });
  }

  advance(ms: number): void {
    this.current += ms;
  }

  private wakeEarliest(): void {
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const timer = this.timers.shift();
    if (!timer) return;
    this.current = Math.max(this.current, timer.at);
    timer.resolve();
  }
}
