/**
 * A clock the test moves by hand: `sleep` parks the caller until `advance` passes its deadline,
 * and `now` moves only then. Code under test that takes a Clock runs its waits and deadlines in
 * this virtual time, so a 240 s budget is checked without waiting 240 s or trusting timers.
 */
import type { Clock } from '../../shared/reconcile/coalesce.js';

interface Parked {
  at: number;
  seq: number;
  wake: () => void;
}

const flush = () => new Promise<void>((r) => setImmediate(r));

export class ManualClock implements Clock {
  private parked: Parked[] = [];
  private seq = 0;

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.parked.push({ at: this.current + Math.max(0, ms), seq: this.seq++, wake }));
  }

  /** Sleepers parked now. */
  get sleepers(): number {
    return this.parked.length;
  }

  /** Moves time on by `ms`, waking every sleeper due on the way, in order, letting each run. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await flush();
    for (;;) {
      this.parked.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.parked[0];
      if (!next || next.at > until) break;
      this.parked.shift();
      this.current = next.at;
      next.wake();
      await flush();
    }
    this.current = until;
    await flush();
  }
}
