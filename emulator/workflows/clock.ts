/**
 * Time as the engine sees it. Workflows backoffs wait seconds to minutes; tests inject a
 * FakeClock whose `sleep` advances virtual time at once, so a 5-retry backoff runs in
 * microseconds and the waits can still be asserted.
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Virtual time: `sleep` records the wait, moves `now` forward and yields to other branches. */
export class FakeClock implements Clock {
  /** Every wait asked for, in milliseconds, in order. */
  readonly sleeps: number[] = [];

  constructor(private current = Date.UTC(2025, 0, 1)) {}

  now(): number {
    return this.current;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.sleeps.push(ms);
    this.current += ms;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw signal.reason;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
