/**
 * A reconciler as a long-lived service inside one function instance, the same for every one of
 * them: **judge** the event (is it for us? which input?) → **coalesce** it with the reconcile under
 * way (coalesce.ts) → **run** the pass → **log** one line per reconcile, with every event it served
 * → **publish** the report when a result topic is set → answer whether a retry could help.
 *
 * Errors never escape `handle`: a pass that throws becomes a `failed` report (its `error` says what
 * kind); a permanent failure is logged once, by the reconcile that met it, and the event is
 * acknowledged — a redelivery would meet it again; a transient one asks for a redelivery.
 */
import type { Logger } from '../log.js';
import { parseCloudEvent, type CloudEventLike, type ParsedEvent } from '../events/parse.js';
import { errorMessage, isTransient } from '../errors.js';
import { Coalescer, type Clock, type Settles, type Trigger } from './coalesce.js';
import { severityOf, type Envelope } from './report.js';

export type Judgement =
  { readonly sync: true; readonly why: string; readonly key?: string } | { readonly sync: false; readonly why: string };

export type Outcome<R> =
  { handled: false; why: string } | { handled: true; why: string; report?: R; incomplete: boolean; retry: boolean };

export interface ServiceSpec<R extends Envelope<{ readonly ok: boolean }>> {
  /** In log lines: `natRoutes`, `natRoutesSync`, `armorAllowlist`. */
  readonly name: string;
  readonly judge: (event: ParsedEvent) => Judgement;
  /** One pass for the triggers it serves (their keys are equal). */
  readonly pass: (deadline: number, triggers: readonly Trigger[]) => Promise<R>;
  readonly merge?: (earlier: R, next: R) => R;
  readonly failure: (err: unknown) => R;
  /**
   * The log line: the reconciler's own structured fields (beside the kernel's: the events served,
   * the trigger, status, reasons, warnings, mutations, the failed steps, the error) and the message
   * after `<name>: `.
   */
  readonly describe: (report: R, triggers: readonly Trigger[]) => { fields: Record<string, unknown>; message: string };
  /** Sends the report on (a result topic); a failure is logged, never fails the event. */
  readonly publish?: (report: R) => Promise<void>;
  readonly budgetMs?: number;
  readonly pollMs?: number;
  readonly clock?: Clock;
}

export class ReconcileService<R extends Envelope<{ readonly ok: boolean }> & Settles> {
  private readonly coalescer: Coalescer<R>;

  constructor(
    private readonly spec: ServiceSpec<R>,
    private readonly log: Logger,
  ) {
    this.coalescer = new Coalescer<R>(
      {
        pass: spec.pass,
        merge: spec.merge ?? ((_earlier, next) => next),
        failure: spec.failure,
        onDone: (report, triggers) => void this.done(report, triggers),
      },
      { budgetMs: spec.budgetMs ?? 0, pollMs: spec.pollMs ?? 0, ...(spec.clock ? { clock: spec.clock } : {}) },
    );
  }

  async handle(event: CloudEventLike): Promise<Outcome<R>> {
    const parsed = parseCloudEvent(event);
    const decision = this.spec.judge(parsed);
    if (!decision.sync) {
      this.log.info(
        { eventId: parsed.id, eventType: event?.type, reason: decision.why },
        `${this.spec.name}: event ignored: ${decision.why}`,
      );
      return { handled: false, why: decision.why };
    }
    const answer = await this.coalescer.run({
      id: parsed.id,
      why: decision.why,
      ...(decision.key !== undefined ? { key: decision.key } : {}),
    });
    return {
      handled: true,
      why: decision.why,
      report: answer.report,
      incomplete: answer.incomplete,
      retry: !answer.incomplete && answer.report.retry,
    };
  }

  /** One reconcile without an event (an HTTP call, the CLI), joining the one under way. */
  async sync(trigger: Trigger): Promise<R | undefined> {
    return (await this.coalescer.run(trigger)).report;
  }

  private async done(report: R, triggers: Trigger[]): Promise<void> {
    const { fields, message } = this.spec.describe(report, triggers);
    this.log[severityOf(report)]({ ...logFields(report, triggers), ...fields }, `${this.spec.name}: ${message}`);
    if (!this.spec.publish) return;
    try {
      await this.spec.publish(report);
    } catch (err) {
      this.log.warn(
        { error: errorMessage(err), transient: isTransient(err) },
        `${this.spec.name}: could not publish the result message`,
      );
    }
  }
}

/**
 * The trigger a reconcile is filed under: the scheduled tick when it served one (monitoring.tf
 * counts completed ticks by it), else the first event.
 */
const mainTrigger = (triggers: readonly Trigger[]) =>
  (triggers.find((t) => t.why.startsWith('scheduled')) ?? triggers[0])?.why ?? 'sync requested';

/** The fields every reconcile's log line carries, whichever reconciler ran it. */
function logFields(report: Envelope<{ readonly ok: boolean }>, triggers: readonly Trigger[]): Record<string, unknown> {
  return {
    eventId: triggers[0]?.id,
    events: triggers.map((t) => t.id),
    trigger: mainTrigger(triggers),
    triggers: triggers.map((t) => t.why),
    status: report.status,
    reasons: report.reasons,
    warnings: report.warnings,
    mutations: report.mutations,
    failed: report.results.filter((r) => !r.ok),
    ...(report.error ? { error: report.error.message, transient: report.error.transient } : {}),
  };
}
