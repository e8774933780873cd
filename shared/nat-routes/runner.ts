/**
 * How events share reconciles, with one time budget per event that nothing can stretch.
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
 */
import { errorMessage, isTransient } from '../errors.js';
import type { RouteReport } from './reconcile.js';

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
export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms).unref()) };

export interface Trigger {
  id: string;
  why: string;
}

export interface RunnerOptions {
  /** The most one event may take, from arrival to answer; 0 = one pass, answered when it ends. */
  budgetMs: number;
  /** Pause between passes while settling. */
  pollMs: number;
  clock?: Clock;
}

export type Answer = { report: RouteReport; incomplete: false } | { report?: RouteReport; incomplete: true };

interface Joiner {
  trigger: Trigger;
  arrivedAt: number;
  deadline: number;
  answer: (a: Answer) => void;
  done: boolean;
}

/** One pass; `deadline` is when its operation waits must give up. A throw is a failed pass. */
export type Pass = (deadline: number) => Promise<RouteReport>;

export class ReconcileRunner {
  private readonly clock: Clock;
  private joiners: Joiner[] = [];
  private running = false;

  constructor(
    private readonly pass: Pass,
    private readonly merge: (earlier: RouteReport, next: RouteReport) => RouteReport,
    private readonly failure: (err: unknown) => RouteReport,
    private readonly onDone: (report: RouteReport, triggers: Trigger[]) => void,
    private readonly options: RunnerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Joins (or starts) a reconcile; answers within the budget. */
  run(trigger: Trigger): Promise<Answer> {
    return new Promise((resolve) => {
      const arrivedAt = this.clock.now();
      const joiner: Joiner = { trigger, arrivedAt, deadline: arrivedAt + this.options.budgetMs, done: false, answer: (a) => ((joiner.done = true), resolve(a)) };
      this.joiners.push(joiner);
      if (this.options.budgetMs > 0) {
        void this.clock.sleep(this.options.budgetMs).then(() => {
          if (!joiner.done) joiner.answer({ incomplete: true, ...(this.latest ? { report: this.latest } : {}) });
        });
      }
      if (!this.running) void this.loop();
    });
  }

  private latest?: RouteReport;

  private waiting = () => this.joiners.filter((j) => !j.done);

  private async loop(): Promise<void> {
    this.running = true;
    const served: Trigger[] = [];
    let report: RouteReport | undefined;
    let lastPassMs = 0;
    try {
      while (this.waiting().length) {
        const startedAt = this.clock.now();
        const next = await this.pass(Math.max(...this.waiting().map((j) => j.deadline))).catch((err: unknown) => this.failure(err));
        report = this.latest = report ? this.merge(report, next) : next;
        lastPassMs = this.clock.now() - startedAt;
        const pause = this.pauseAfter(report);
        for (const j of this.waiting()) {
          const canWait = this.worthAnotherPass(report) && this.clock.now() + pause + Math.max(lastPassMs, this.options.pollMs) <= j.deadline;
          if (j.arrivedAt <= startedAt && !canWait) {
            served.push(j.trigger);
            j.answer({ report, incomplete: false });
          }
        }
        if (!this.waiting().length) break;
        const needFresh = this.waiting().some((j) => j.arrivedAt > startedAt);
        if (!needFresh) await this.clock.sleep(pause);
      }
    } finally {
      for (const j of this.joiners) if (j.done && !served.includes(j.trigger)) served.push(j.trigger);
      this.joiners = this.joiners.filter((j) => !j.done);
      this.running = false;
      this.latest = undefined;
      if (report) this.onDone(report, served);
      if (this.joiners.length) void this.loop();
    }
  }

  /** Mid-action instances or a taken name: look again; a hold that ends: look again when it does. */
  private worthAnotherPass(report: RouteReport): boolean {
    return report.status !== 'failed' && (report.settling || report.nextLookAt !== undefined);
  }

  /** Until the next look: a poll while settling, else until the earliest hold ends. */
  private pauseAfter(report: RouteReport): number {
    const untilHold = report.nextLookAt === undefined ? Infinity : Math.max(0, report.nextLookAt - this.clock.now());
    return report.settling ? Math.min(this.options.pollMs, untilHold) : untilHold === Infinity ? 0 : untilHold;
  }
}

/** A report for a pass that threw: failed, and whether a retry can help. */
export function failedReport(base: Pick<RouteReport, 'mode' | 'dryRun'>, err: unknown): RouteReport {
  const transient = isTransient(err);
  return {
    status: 'failed',
    reasons: [transient ? `transient error, the event is delivered again: ${errorMessage(err)}` : errorMessage(err)],
    warnings: [],
    ...base,
    instances: [],
    plan: { inserts: [], deletes: [], keeps: 0, holds: { inserts: [], deletes: [] } },
    conflicts: [],
    blocked: [],
    results: [],
    mutations: 0,
    settling: false,
    passes: 1,
    error: { message: errorMessage(err), transient },
  };
}
