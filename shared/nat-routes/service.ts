/**
 * natRoutes as a long-lived service inside one function instance: judges each event, runs it
 * through the ReconcileRunner (events share reconciles; each is answered within
 * NETREFLEX_SETTLE_TIMEOUT_SECONDS), logs one line per reconcile, publishes the report when a
 * result topic is set, and tells the caller whether a retry could help. natRoutesSync (the
 * workflow's HTTP call) has no event to judge and runs `sync()`.
 *
 * Errors never escape `handle`: a permanent one (bad configuration, a refusal) is logged once, by
 * the reconcile that met it, and the event is acknowledged — a redelivery would meet it again; a
 * transient one asks for a redelivery.
 */
import type { NatRoutesConfig } from '../config/nat-routes.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import { publishJson } from '../gcp/pubsub.js';
import { parseCloudEvent, type CloudEventLike } from '../events/parse.js';
import { errorMessage, isTransient } from '../errors.js';
import { judgeTrigger } from './trigger.js';
import { mergeReports, reconcileRoutes, type RouteReport } from './reconcile.js';
import { failedReport, ReconcileRunner, type Clock, type Trigger } from './runner.js';

export type Outcome = { handled: false; why: string } | { handled: true; why: string; report?: RouteReport; incomplete: boolean; retry: boolean };

export interface ServiceOptions {
  transport?: Transport;
  clock?: Clock;
  /** Name in log lines (`natRoutes`, `natRoutesSync`). */
  name?: string;
}

/** Whether a report's failure is one a redelivery can fix. */
export const retryable = (report: RouteReport) => report.status === 'failed' && (report.error ? report.error.transient : report.results.some((r) => !r.ok && r.transient));

/** The trigger a reconcile is filed under: the scheduled tick when it served one (monitoring counts completed ticks), else the first event. */
const mainTrigger = (triggers: readonly Trigger[]) => (triggers.find((t) => t.why.startsWith('scheduled')) ?? triggers[0])?.why ?? 'sync requested';

export class NatRoutesService {
  readonly transport: Transport;
  private readonly runner: ReconcileRunner;
  private readonly name: string;

  constructor(
    readonly cfg: NatRoutesConfig,
    private readonly log: Logger,
    options: ServiceOptions | Transport = {},
  ) {
    const opts = 'request' in options ? { transport: options } : options;
    this.name = opts.name ?? 'natRoutes';
    this.transport = opts.transport ?? functionTransport(cfg, log, this.name);
    this.runner = new ReconcileRunner(
      (deadline) => reconcileRoutes(this.transport, this.cfg, { deadline }),
      mergeReports,
      (err) => failedReport({ mode: cfg.mode, dryRun: cfg.policy === 'dry-run' }, err),
      (report, triggers) => void this.done(report, triggers),
      { budgetMs: cfg.settleTimeoutMs, pollMs: cfg.settlePollMs, clock: opts.clock },
    );
  }

  async handle(event: CloudEventLike): Promise<Outcome> {
    const parsed = parseCloudEvent(event);
    const decision = judgeTrigger(parsed, this.cfg);
    if (!decision.sync) {
      this.log.info({ eventId: parsed.id, eventType: event?.type, reason: decision.why }, `${this.name}: event ignored: ${decision.why}`);
      return { handled: false, why: decision.why };
    }
    const answer = await this.runner.run({ id: parsed.id, why: decision.why });
    return { handled: true, why: decision.why, report: answer.report, incomplete: answer.incomplete, retry: !answer.incomplete && retryable(answer.report) };
  }

  /** One reconcile (joining the one under way), settling while NAT VMs are mid-action or a hold ends. */
  async sync(trigger: Trigger = { id: 'sync', why: 'sync requested' }): Promise<RouteReport | undefined> {
    return (await this.runner.run(trigger)).report;
  }

  private async done(report: RouteReport, triggers: Trigger[]): Promise<void> {
    this.logReport(report, triggers);
    await this.publish(report);
  }

  /** The one line a reconcile writes: every pass's changes, every event it served. */
  private logReport(report: RouteReport, triggers: Trigger[]): void {
    const severity = report.status === 'ok' ? 'info' : report.status === 'degraded' ? 'warn' : 'error';
    const done = (change: string) => report.results.filter((r) => r.change === change && r.ok && !r.noop).length;
    const holds = done('hold-insert') + done('hold-delete');
    const line = `${this.name}: ${report.status}: +${done('insert')} -${done('delete')} routes (${report.mutations} mutations${holds ? `, ${holds} hold markers` : ''}, ${report.passes} passes, ${triggers.length} event${triggers.length === 1 ? '' : 's'})`;
    const why = [...report.reasons, ...report.warnings];
    this.log[severity](
      { events: triggers.map((t) => t.id), trigger: mainTrigger(triggers), triggers: triggers.map((t) => t.why), status: report.status, reasons: report.reasons, warnings: report.warnings, mutations: report.mutations, plan: report.plan, blocked: report.blocked, conflicts: report.conflicts, failed: report.results.filter((r) => !r.ok), export: report.export, ...(report.loadBalancer ? { loadBalancer: report.loadBalancer } : {}) },
      `${line}${why.length ? `; ${why.join('; ')}` : ''}`,
    );
  }

  private async publish(report: RouteReport): Promise<void> {
    if (!this.cfg.resultTopic) return;
    try {
      await publishJson(this.transport, this.cfg.project, this.cfg.resultTopic, report, { status: report.status, source: 'natRoutes' });
    } catch (err) {
      this.log.warn({ error: errorMessage(err), topic: this.cfg.resultTopic, transient: isTransient(err) }, `${this.name}: could not publish the result message`);
    }
  }
}
