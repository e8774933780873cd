/** Bounded parallelism, run coalescing and waiting, for reconcilers. */

/** Resolves after `ms` milliseconds (backoff between retries and polls). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Maps `items` through `fn` with at most `limit` calls in flight; keeps input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * At most one run at a time and at most one queued behind it: an event storm of 20 triggers
 * becomes one run plus one follow-up that reads the state after the storm. Every caller gets the
 * result of a run that started after it called, so no caller returns on stale observations.
 */
export class Coalescer<T> {
  private running?: Promise<T>;
  private queued?: Promise<T>;

  constructor(private readonly task: () => Promise<T>) {}

  run(): Promise<T> {
    if (!this.running) return this.start();
    if (!this.queued) {
      this.queued = this.running.catch(() => undefined).then(() => {
        this.queued = undefined;
        return this.start();
      });
    }
    return this.queued;
  }

  private start(): Promise<T> {
    const p = this.task();
    this.running = p;
    void p.catch(() => undefined).finally(() => {
      if (this.running === p) this.running = undefined;
    });
    return p;
  }
}
