/**
 * natRoutes as a service: the kernel's event service (shared/reconcile/service.ts) with natRoutes'
 * judge (trigger.ts), pass (reconcile.ts), log line and result topic. Events share reconciles and
 * settle while NAT VMs are mid-action or a hold ends, each answered within
 * NETREFLEX_SETTLE_TIMEOUT_SECONDS. natRoutesSync (the workflow's HTTP call) has no event to
 * judge and runs `sync()`.
 */
import type { NatRoutesConfig } from '../config/nat-routes.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import { publishJson } from '../gcp/pubsub.js';
import type { CloudEventLike } from '../events/parse.js';
import { ReconcileService, type Outcome as ServiceOutcome } from '../reconcile/service.js';
import type { Clock, Trigger } from '../reconcile/coalesce.js';
import { judgeTrigger } from './trigger.js';
import { failedReport, mergeReports, type RouteReport } from '../plan/route-report.js';
import { describeReport } from '../plan/route-describe.js';
import { reconcileRoutes } from './reconcile.js';

export type Outcome = ServiceOutcome<RouteReport>;

export interface ServiceOptions {
  transport?: Transport;
  clock?: Clock;
  /** Name in log lines (`natRoutes`, `natRoutesSync`). */
  name?: string;
}

/** The one line a reconcile writes (shared/plan/route-describe.ts), with the report's plan, blocks and export. */
function describe(report: RouteReport, triggers: readonly Trigger[]) {
  return {
    fields: {
      plan: report.plan,
      blocked: report.blocked,
      conflicts: report.conflicts,
      export: report.export,
      ...(report.loadBalancer ? { loadBalancer: report.loadBalancer } : {}),
    },
    message: describeReport(report, triggers.length),
  };
}

export class NatRoutesService {
  readonly transport: Transport;
  private readonly service: ReconcileService<RouteReport>;

  constructor(
    readonly cfg: NatRoutesConfig,
    log: Logger,
    options: ServiceOptions | Transport = {},
  ) {
    const opts = 'request' in options ? { transport: options } : options;
    const name = opts.name ?? 'natRoutes';
    const transport = (this.transport = opts.transport ?? functionTransport(cfg, log, name));
    const topic = cfg.resultTopic;
    this.service = new ReconcileService<RouteReport>(
      {
        name,
        judge: (event) => judgeTrigger(event, cfg),
        pass: (deadline) => reconcileRoutes(transport, cfg, { deadline }),
        merge: mergeReports,
        failure: (err) => failedReport({ mode: cfg.mode, dryRun: cfg.policy === 'dry-run' }, err),
        describe,
        ...(topic
          ? {
              publish: (report: RouteReport) =>
                publishJson(transport, cfg.project, topic, report, { status: report.status, source: 'natRoutes' }).then(
                  () => undefined,
                ),
            }
          : {}),
        budgetMs: cfg.settleTimeoutMs,
        pollMs: cfg.settlePollMs,
        ...(opts.clock ? { clock: opts.clock } : {}),
      },
      log,
    );
  }

  handle(event: CloudEventLike): Promise<Outcome> {
    return this.service.handle(event);
  }

  /** One reconcile (joining the one under way), settling while NAT VMs are mid-action or a hold ends. */
  sync(trigger: Trigger = { id: 'sync', why: 'sync requested' }): Promise<RouteReport | undefined> {
    return this.service.sync(trigger);
  }
}
