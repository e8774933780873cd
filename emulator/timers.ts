/**
 * The timers an emulator has set and not yet run (operations landing, MIG autoheal, pipeline job
 * steps). Tests start many emulators in one process, so `Emulator.close()` cancels them all:
 * nothing lands in a closed emulator's store or sends its events to functions already stopped.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms`, unless `cancel` or `clear` comes first. */
  after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, ms);
    this.pending.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.pending.delete(timer);
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
