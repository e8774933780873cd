/**
 * The timers an emulator has set and not yet run (operations landing, MIG autoheal, pipeline job
 * steps). Tests start many emulators in one process, so `Emulator.close()` cancels them all:
 * nothing lands in a closed emulator's store or sends its events to functions already stopped.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  /** Timers that came due while held, in the order they came due; undefined when not held. */
  private held: Map<NodeJS.Timeout, () => void> | undefined;

  /** Runs `fn` after `ms`, unless `cancel` or `clear` comes first (and not before `release` while held). */
  after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      if (this.held) this.held.set(timer, fn);
      else fn();
    }, ms);
    this.pending.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.pending.delete(timer);
    this.held?.delete(timer);
  }

  /**
   * Holds every timer that comes due until `release`, which runs them in the order they came due.
   * For a test that needs a race production has to happen the same way every run — two calls both
   * accepted before either operation lands — on a machine of any speed.
   */
  hold(): { release: () => void } {
    if (this.held) throw new Error('the timers are held already: release them first');
    const held = new Map<NodeJS.Timeout, () => void>();
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
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    this.held?.clear();
  }
}
