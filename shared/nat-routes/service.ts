/**
 * natRoutes as a long-lived service inside one function instance: judges each event, coalesces
 * bursts into at most one running and one queued reconcile, logs the outcome, publishes it when
 * a result topic is set, and tells the caller whether a retry could help. natRoutesSync (the
 * workflow's HTTP call) has no event to judge and runs `sync()` directly.
 */
import type { NatRoutesConfig } from '../config/nat-routes.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import { publishJson } from '../gcp/pubsub.js';
import { parseCloudEvent, type CloudEventLike } from '../events/parse.js';
import { Coalescer } from '../util/concurrency.js';
import { errorMessage, isTransient } from '../errors.js';
import { judgeTrigger } from './trigger.js';
import { reconcileUntilSettled, type RouteReport } from './reconcile.js';

export type Outcome = { handled: false; why: string } | { handled: true; why: string; report: RouteReport; retry: boolean };

export class NatRoutesService {
  readonly transport: Transport;
  private readonly coalescer: Coalescer<RouteReport>;

  constructor(
    readonly cfg: NatRoutesConfig,
    private readonly log: Logger,
    transport?: Transport,
  ) {
    this.transport = transport ?? functionTransport(cfg, log, 'natRoutes');
    this.coalescer = new Coalescer(() => reconcileUntilSettled(this.transport, this.cfg, { timeoutMs: cfg.settleTimeoutMs, pollMs: cfg.settlePollMs }));
  }

  async handle(event: CloudEventLike): Promise<Outcome> {
    const parsed = parseCloudEvent(event);
    const decision = judgeTrigger(parsed, this.cfg);
    if (!decision.sync) {
      this.log.info({ eventId: parsed.id, eventType: event?.type, reason: decision.why }, `natRoutes: event ignored: ${decision.why}`);
      return { handled: false, why: decision.why };
    }
    let report: RouteReport;
    try {
      report = await this.sync();
    } catch (err) {
      // A reconcile that could not even observe still gets its one structured line (status
      // failed), so the failure is counted like any other outcome; the event then fails for Eventarc.
      this.log.error({ eventId: parsed.id, trigger: decision.why, status: 'failed', transient: isTransient(err), error: errorMessage(err) }, `natRoutes: failed: ${errorMessage(err)}`);
      throw err;
    }
    const retry = report.status === 'failed' && report.results.some((r) => !r.ok && r.transient);
    this.logReport(parsed.id, decision.why, report);
    await this.publish(report);
    return { handled: true, why: decision.why, report, retry };
  }

  /** One reconcile, settling while NAT VMs are mid-action; joins the one running or queued, if any. */
  sync(): Promise<RouteReport> {
    return this.coalescer.run();
  }

  private logReport(eventId: string, why: string, report: RouteReport): void {
    const severity = report.status === 'ok' ? 'info' : report.status === 'degraded' ? 'warn' : 'error';
    const p = report.plan;
    this.log[severity](
      { eventId, trigger: why, status: report.status, reasons: report.reasons, mutations: report.mutations, plan: p, failed: report.results.filter((r) => !r.ok), export: report.export },
      `natRoutes: ${report.status}: +${p.inserts.length} -${p.deletes.length} routes (${report.mutations} mutations, ${report.passes} passes)${report.reasons.length ? `; ${report.reasons.join('; ')}` : ''}`,
    );
  }

  private async publish(report: RouteReport): Promise<void> {
    if (!this.cfg.resultTopic) return;
    try {
      await publishJson({ project: this.cfg.project, emulatorHost: this.cfg.pubsubEmulatorHost }, this.cfg.resultTopic, report, { status: report.status, source: 'natRoutes' });
    } catch (err) {
      this.log.warn({ error: errorMessage(err), topic: this.cfg.resultTopic, transient: isTransient(err) }, 'natRoutes: could not publish the result message');
    }
  }
}
