/**
 * A clock for the emulator's `Timers` that moves only when the test moves it: every delay of an
 * emulator started with it (operations, VM steps, Pub/Sub leases, pull waits, workflow sleeps)
 * waits for `next` or `advance`, so a race or a deadline happens the same way on a machine of any
 * speed. Its time starts at 2026-01-01T00:00:00Z and moves only with it.
 */
import type { Clock } from '../../emulator/timers.js';

/** Lets promise chains and I/O callbacks run (no clock time passes for the emulator). */
export const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

export class ManualClock implements Clock {
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  private at = Date.UTC(2026, 0, 1);

  now(): number {
    return this.at;
  }

  setTimeout(fn: () => void, ms: number): number {
    this.due.set(++this.seq, { at: this.at + ms, fn });
    return this.seq;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  get pending(): number {
    return this.due.size;
  }

  private earliest(): [number, { at: number; fn: () => void }] | undefined {
    return [...this.due].sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
  }

  /** Runs the earliest pending timer, then lets the work it started run up to its next delay. */
  async next(): Promise<void> {
    const [id, timer] = this.earliest() ?? [];
    if (id === undefined || !timer) throw new Error('no timer pending');
    this.due.delete(id);
    this.at = timer.at;
    timer.fn();
    await settle();
  }

  /** Moves time on by `ms`, running every timer due on the way in order (and what each starts). */
  async advance(ms: number): Promise<void> {
    const until = this.at + ms;
    await settle();
    for (let next = this.earliest(); next && next[1].at <= until; next = this.earliest()) await this.next();
    this.at = until;
  }
}
