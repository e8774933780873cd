/**
 * armorAllowlist inside one function instance: judges each event, runs one sync at a time (a burst
 * of uploads is applied in turn, each reading the state afresh; across instances the policy claim
 * keeps them apart), logs the outcome as one line, and tells the handler whether a retry helps.
 */
import type { ArmorAllowlistConfig } from '../config/armor-allowlist.js';
import type { Logger } from '../log.js';
import { functionTransport, type Transport } from '../gcp/transport.js';
import { parseCloudEvent, type CloudEventLike } from '../events/parse.js';
import { errorMessage, isTransient } from '../errors.js';
import { judgeTrigger } from './trigger.js';
import { reconcileAllowlist, type AllowlistReport } from './reconcile.js';
import { describeReport } from './describe.js';

export type Outcome = { handled: false; why: string } | { handled: true; why: string; report?: AllowlistReport; retry: boolean };

export class ArmorAllowlistService {
  readonly transport: Transport;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cfg: ArmorAllowlistConfig,
    private readonly log: Logger,
    transport?: Transport,
    /** The clock; tests inject one. */
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.transport = transport ?? functionTransport(cfg, log, 'armorAllowlist');
  }

  async handle(event: CloudEventLike): Promise<Outcome> {
    const parsed = parseCloudEvent(event);
    const decision = judgeTrigger(parsed, this.cfg);
    if (!decision.sync) {
      this.log.info({ eventId: parsed.id, eventType: event?.type, reason: decision.why }, `armorAllowlist: event ignored: ${decision.why}`);
      return { handled: false, why: decision.why };
    }
    const sync = () => reconcileAllowlist(this.transport, this.cfg, { now: decision.now ?? this.clock(), ...(decision.generation ? { eventGeneration: decision.generation } : {}) });
    const run = this.queue.then(sync, sync);
    this.queue = run.catch(() => undefined);
    try {
      const report = await run;
      this.logReport(parsed.id, decision.why, report);
      return { handled: true, why: decision.why, report, retry: report.retry };
    } catch (err) {
      const transient = isTransient(err);
      this.log.error({ eventId: parsed.id, trigger: decision.why, transient, error: errorMessage(err) }, `armorAllowlist: sync failed${transient ? ' (transient; the event will be retried)' : ''}: ${errorMessage(err)}`);
      return { handled: true, why: decision.why, retry: transient };
    }
  }

  private logReport(eventId: string, why: string, report: AllowlistReport): void {
    const severity = report.status === 'refused' || report.status === 'failed' ? 'error' : report.warnings.length ? 'warn' : 'info';
    const failed = report.policies.flatMap((p) => p.results.filter((r) => !r.ok));
    this.log[severity](
      { eventId, trigger: why, status: report.status, source: report.source, generation: report.generation, refusal: report.refusal, stall: report.stall, quota: report.quota, warnings: report.warnings, mutations: report.mutations, policies: report.policies.map(({ results: _r, steps, ...p }) => ({ ...p, steps: steps.length })), failed },
      `armorAllowlist: ${describeReport(report)}`,
    );
  }
}
