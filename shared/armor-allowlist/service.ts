/**
 * armorAllowlist as a service: the kernel's event service (shared/reconcile/service.ts) with the
 * allowlist's judge (trigger.ts), one sync per pass (reconcile.ts) and its log line. Events for the
 * same generation share a sync; a burst of uploads is applied in turn, each reading the state
 * afresh (across instances the policy claim keeps them apart).
 */
import type { ArmorAllowlistConfig } from '../config/armor-allowlist.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import type { CloudEventLike } from '../events/parse.js';
import { errorMessage } from '../errors.js';
import { failedEnvelope, failureOf } from '../reconcile/report.js';
import { ReconcileService, type Judgement, type Outcome as ServiceOutcome } from '../reconcile/service.js';
import type { Trigger } from '../reconcile/coalesce.js';
import { judgeTrigger } from './trigger.js';
import { reconcileAllowlist, type AllowlistReport } from './reconcile.js';
import { describeReport } from '../plan/allowlist-describe.js';
import { gsUrl } from './source.js';

export type Outcome = ServiceOutcome<AllowlistReport>;

/** What a sync is for, as the coalescing key: the event's generation (or the live one) and the tick's clock. */
interface SyncKey {
  readonly generation?: string;
  readonly now?: string;
}

function describe(report: AllowlistReport) {
  return {
    fields: {
      source: report.source,
      generation: report.generation,
      refusal: report.refusal,
      stall: report.stall,
      quota: report.quota,
      policies: report.policies.map(({ results: _r, steps, ...p }) => ({ ...p, steps: steps.length })),
    },
    message: describeReport(report),
  };
}

export class ArmorAllowlistService {
  readonly transport: Transport;
  private readonly service: ReconcileService<AllowlistReport>;

  constructor(
    readonly cfg: ArmorAllowlistConfig,
    log: Logger,
    transport?: Transport,
    /** The clock; tests inject one. */
    clock: () => Date = () => new Date(),
  ) {
    const t = (this.transport = transport ?? functionTransport(cfg, log, 'armorAllowlist'));
    for (const warning of cfg.deprecations ?? []) log.warn({ deprecated: true }, warning);
    const judge = (event: Parameters<typeof judgeTrigger>[0]): Judgement => {
      const d = judgeTrigger(event, cfg);
      if (!d.sync) return d;
      const key: SyncKey = {
        ...(d.generation ? { generation: d.generation } : {}),
        ...(d.now ? { now: d.now.toISOString() } : {}),
      };
      return { sync: true, why: d.why, key: JSON.stringify(key) };
    };
    const pass = (_deadline: number, triggers: readonly Trigger[]) => {
      const key = JSON.parse(triggers[0]?.key ?? '{}') as SyncKey;
      return reconcileAllowlist(t, cfg, {
        now: key.now ? new Date(key.now) : clock(),
        ...(key.generation ? { eventGeneration: key.generation } : {}),
      });
    };
    const failure = (err: unknown): AllowlistReport => {
      const error = failureOf(err);
      const reason = `sync failed${error.transient ? ' (transient; the event will be retried)' : ''}: ${errorMessage(err)}`;
      return {
        ...failedEnvelope(error, { reason, dryRun: cfg.policy === 'dry-run' }),
        source: gsUrl(cfg.bucket, cfg.object),
        policies: [],
        why: reason,
      };
    };
    this.service = new ReconcileService<AllowlistReport>(
      { name: 'armorAllowlist', judge, pass, failure, describe },
      log,
    );
  }

  handle(event: CloudEventLike): Promise<Outcome> {
    return this.service.handle(event);
  }
}
