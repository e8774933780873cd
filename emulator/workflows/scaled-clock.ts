/**
 * Real time, with waits compressed: a workflow that asks to sleep 10 s sleeps `10 s × scale`
 * of wall time, and `sys.now` still moves on by the full 10 s. So retries with Workflows'
 * backoff (1 s, 2 s, 4 s …) and polling loops run at test speed locally, while the YAML and its
 * time arithmetic stay exactly what is deployed. Scale 1 is plain real time (`npm start`).
 *
 * Time and waits are the emulator's `Timers`: `Emulator.close()` ends a pending wait (the
 * execution never resumes in a closed emulator), and a test that drives the emulator's clock
 * drives `sys.sleep`, retry backoff and connector polling with it.
 */
import type { Timers } from '../timers.js';
import type { Clock } from './clock.js';

export class ScaledClock implements Clock {
  /** Virtual milliseconds skipped so far, added to the wall clock. */
  private skipped = 0;

  constructor(
    private readonly timers: Timers,
    public scale = 1,
  ) {}

  now(): number {
    return this.timers.now() + this.skipped;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const real = Math.max(0, Math.round(ms * this.scale));
    await this.timers.sleep(real, signal);
    this.skipped += Math.max(0, ms - real);
  }
}
