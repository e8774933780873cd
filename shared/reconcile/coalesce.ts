/**
 * How events share reconciles, with one time budget per event that nothing can stretch — the one
 * coalescer of every reconciler (natRoutes settles for minutes; armorAllowlist and a budget of 0
 * run one pass per burst).
 *
 * An event joins the reconcile under way (or starts one) and is answered by the first pass that
 * *started after it arrived* — so it never returns on an observation older than itself — once
 * nothing is settling, or when the next pass could not end within its budget. However the
 * coalescing and settling interleave, every event is answered within `budgetMs` of its arrival: a
 * pass still in flight at that moment is not waited for (the event is answered `incomplete`, the
 * pass goes on and is logged when the reconcile ends). One reconcile logs one line, with the
 * changes of all its passes and every event it served (`onDone`).
 *
 * Passes only run while some event waits: a function instance that has answered every event does
 * no work in the background beyond the pass in flight.
 *
 * Triggers with different `key`s never share a pass (an upload of generation 7 is not answered by
 * a pass that applied generation 8's event): they are served one key after another, oldest first.
 */

/**
 * What the coalescer reads of a report: whether another pass is worth it soon (instances
 * mid-action), when a running hold ends, and whether the pass failed (no point settling).
 */
export interface Settles {
  readonly status: string;
  readonly settling?: boolean;
  readonly nextLookAt?: number;
}

/**
 * What a deployed function needs beyond the budget to answer an event: the request reaching an
 * instance that is still starting (a cold start measures under 1 s, `npm run bench`), parsing,
 * and writing the answer. The function's timeout must be at least budget + this (a test holds
 * terraform-bootstrap/functions.tf to it).
 */
export const ANSWER_MARGIN_SECONDS = 30;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Real time; its timers do not keep a process alive on their own (a function's server does). */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms).unref()),
};

export interface Trigger {
  id: string;
  why: string;
  /** Triggers share a pass only with triggers of the same key (default: all share). */
  key?: string;
}

export interface CoalescerOptions {
  /** The most one event may take, from arrival to answer; 0 = one pass, answered when it ends. */
  budgetMs: number;
  /** Pause between passes while settling. */
  pollMs: number;
  clock?: Clock;
}

export type Answer<R> = { report: R; incomplete: false } | { report?: R; incomplete: true };

interface Joiner<R> {
  trigger: Trigger;
  arrivedAt: number;
  deadline: number;
  answer: (a: Answer<R>) => void;
  done: boolean;
}

/** One pass for the triggers it serves; `deadline` is when its operation waits must give up. A throw is a failed pass. */
export type Pass<R> = (deadline: number, triggers: readonly Trigger[]) => Promise<R>;

export interface CoalescerHooks<R> {
  readonly pass: Pass<R>;
  /** A report covering `earlier` and then `next`. */
  readonly merge: (earlier: R, next: R) => R;
  /** The report of a pass that threw. */
  readonly failure: (err: unknown) => R;
  /** Once per reconcile: its report and every trigger it served. */
  readonly onDone: (report: R, triggers: Trigger[]) => void;
}

export class Coalescer<R extends Settles> {
  private readonly clock: Clock;
  private joiners: Joiner<R>[] = [];
  private running = false;
  private latest?: R;

  constructor(
    private readonly hooks: CoalescerHooks<R>,
    private readonly options: CoalescerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Joins (or starts) a reconcile; answers within the budget. */
  run(trigger: Trigger): Promise<Answer<R>> {
    return new Promise((resolve) => {
      const arrivedAt = this.clock.now();
      const joiner: Joiner<R> = {
        trigger,
        arrivedAt,
        deadline: arrivedAt + this.options.budgetMs,
        done: false,
        answer: (a) => ((joiner.done = true), resolve(a)),
      };
      this.joiners.push(joiner);
      if (this.options.budgetMs > 0) {
        void this.clock.sleep(this.options.budgetMs).then(() => {
          if (!joiner.done) joiner.answer({ incomplete: true, ...(this.latest ? { report: this.latest } : {}) });
        });
      }
      if (!this.running) this.start();
    });
  }

  /** Starts the loop after the current tick, so events that arrive together share its first pass. */
  private start(): void {
    this.running = true;
    void Promise.resolve().then(() => this.loop());
  }

  /** The waiting joiners of the oldest waiting key. */
  private waiting = (): Joiner<R>[] => {
    const open = this.joiners.filter((j) => !j.done);
    const key = open[0]?.trigger.key;
    return open.filter((j) => j.trigger.key === key);
  };

  private async loop(): Promise<void> {
    const served: Trigger[] = [];
    const key = this.waiting()[0]?.trigger.key;
    let report: R | undefined;
    let lastPassMs = 0;
    try {
      while (this.waiting().length && this.waiting()[0]!.trigger.key === key) {
        const startedAt = this.clock.now();
        const waiting = this.waiting();
        const next = await this.hooks
          .pass(
            Math.max(...waiting.map((j) => j.deadline)),
            waiting.map((j) => j.trigger),
          )
          .catch((err: unknown) => this.hooks.failure(err));
        report = this.latest = report ? this.hooks.merge(report, next) : next;
        lastPassMs = this.clock.now() - startedAt;
        const pause = this.pauseAfter(report);
        for (const j of this.waiting()) {
          const canWait =
            this.worthAnotherPass(report) &&
            this.clock.now() + pause + Math.max(lastPassMs, this.options.pollMs) <= j.deadline;
          if (waiting.includes(j) && j.arrivedAt <= startedAt && !canWait) {
            served.push(j.trigger);
            j.answer({ report, incomplete: false });
          }
        }
        if (!this.waiting().length || this.waiting()[0]!.trigger.key !== key) break;
        const needFresh = this.waiting().some((j) => !waiting.includes(j) || j.arrivedAt > startedAt);
        if (!needFresh) await this.clock.sleep(pause);
      }
    } finally {
      for (const j of this.joiners)
        if (j.done && j.trigger.key === key && !served.includes(j.trigger)) served.push(j.trigger);
      this.joiners = this.joiners.filter((j) => !j.done);
      this.running = false;
      this.latest = undefined;
      if (report) this.hooks.onDone(report, served);
      if (this.joiners.length) this.start();
    }
  }

  /** Mid-action instances or a taken name: look again; a hold that ends: look again when it does. */
  private worthAnotherPass(report: R): boolean {
    return report.status !== 'failed' && (report.settling === true || report.nextLookAt !== undefined);
  }

  /** Until the next look: a poll while settling, else until the earliest hold ends. */
  private pauseAfter(report: R): number {
    const untilHold = report.nextLookAt === undefined ? Infinity : Math.max(0, report.nextLookAt - this.clock.now());
    return report.settling ? Math.min(this.options.pollMs, untilHold) : untilHold === Infinity ? 0 : untilHold;
  }
}
