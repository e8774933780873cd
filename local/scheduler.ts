/** The local Cloud Scheduler: publishes a tick to a Pub/Sub topic on an interval. */
import type { Topics } from '../emulator/pubsub/topics.js';

export class Scheduler {
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly topics: Topics) {}

  /** Publishes `{"kind":"tick","job":…}` to `topic` every `everyMs` (and once at `firstMs`). */
  every(job: string, topic: string, everyMs: number, firstMs = everyMs): void {
    this.topics.ensure(topic);
    const tick = () =>
      this.topics.publish(topic, [
        { data: JSON.stringify({ kind: 'tick', job, at: new Date().toISOString() }), attributes: { job } },
      ]);
    this.timers.push(setTimeout(tick, firstMs).unref(), setInterval(tick, everyMs).unref());
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
