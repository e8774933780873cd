/**
 * What an internal passthrough load balancer believes about each backend VM: the health state its
 * health check's probes have computed, which lags the VM itself.
 *
 * Google's rule (https://cloud.google.com/load-balancing/docs/health-check-concepts): "Health
 * checks connect to backends on a configurable, periodic basis. Each connection attempt is called
 * a probe … Based on a configurable number of sequential successful or failed probes, an overall
 * health state is computed for each backend … The overall health state of each backend determines
 * eligibility to receive new requests or connections." So a VM that stops answering keeps getting
 * new connections until `unhealthyThreshold` probes, `checkIntervalSec` apart, have failed; one
 * that answers again waits for `healthyThreshold` successes (compute.proto `message HealthCheck`).
 *
 * Locally a probe succeeds when the VM is RUNNING and the MIG's health verdict for it is HEALTHY
 * (migs.ts: the local cloud's one truth about whether a VM answers). `healthCheckSecondMs` says
 * how many real milliseconds one second of the health check's timing lasts: 0 (the default) means
 * probes are instantaneous and the verdict is the VM's state now; with 20, a health check of
 * `checkIntervalSec: 10, unhealthyThreshold: 3` marks a stopped VM UNHEALTHY 600 ms after it
 * stopped. Set it when the emulator starts: the probes begin then. A VM first seen by a running prober starts UNHEALTHY
 * and needs `healthyThreshold` good probes, as a new backend does — a VM recreated under its old
 * name too, since it is a new VM (a new id). A VM that leaves the group
 * (deleted, abandoned) is no backend at once: that is membership, not health.
 */
import { computePath } from '../store.js';
import { listAllOf, type ComputeContext } from './context.js';
import type { BackendService } from './types.js';
import { resolveHealthCheck } from './health-checks.js';

interface ProbeState {
  healthy: boolean;
  /** Consecutive probes that disagreed with `healthy`. */
  streak: number;
}

interface Timing {
  checkIntervalSec: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface ProbeTarget {
  instance: string;
  /** The VM's id: a VM recreated under the same name is a new backend with a new id (migs.ts recreate). */
  id: string;
  /** Whether the VM would answer a probe now. */
  answers: boolean;
}

/** Members of every backend service, as the prober probes them. */
export type MembersOf = (service: BackendService) => ProbeTarget[];

export class LbHealth {
  private readonly states = new Map<string, ProbeState>();
  /** Backend services the prober has seen: their members at that moment start as they are. */
  private readonly known = new Set<string>();
  private second = 0;
  private running = false;

  constructor(
    private readonly ctx: ComputeContext,
    private readonly members: MembersOf,
  ) {}

  /** Starts probing when the setting asks for probe timing (idempotent). */
  start(): void {
    if (this.running || this.ctx.settings.healthCheckSecondMs <= 0) return;
    this.running = true;
    const tick = () => {
      if (this.ctx.settings.healthCheckSecondMs <= 0) {
        this.running = false;
        return;
      }
      this.tickSecond();
      this.ctx.timers.after(this.ctx.settings.healthCheckSecondMs, tick);
    };
    this.ctx.timers.after(this.ctx.settings.healthCheckSecondMs, tick);
  }

  /** One second of probe time: every service whose check interval comes round probes its VMs (the timer calls it; a test may too). */
  tickSecond(): void {
    this.second += 1;
    this.probeDue();
  }

  /** The load balancer's verdict on a member of `service`: probed, or the VM's state when probes are instantaneous. */
  healthy(service: BackendService, target: ProbeTarget): boolean {
    this.start();
    if (!this.running) return target.answers;
    this.know(service);
    return this.states.get(this.key(service, target))?.healthy ?? false;
  }

  /** A service seen for the first time: its VMs start in the state they are in. */
  private know(service: BackendService): void {
    const id = computePath(String(service.selfLink));
    if (this.known.has(id)) return;
    this.known.add(id);
    for (const m of this.members(service)) this.states.set(this.key(service, m), { healthy: m.answers, streak: 0 });
  }

  private key = (service: BackendService, target: ProbeTarget) =>
    `${computePath(String(service.selfLink))}|${computePath(target.instance)}#${target.id}`;

  private services(): BackendService[] {
    return listAllOf(this.ctx.store, 'region', 'backendServices');
  }

  private timing(service: BackendService): Timing | undefined {
    const link = service.healthChecks?.[0];
    if (!link) return undefined;
    try {
      const hc = resolveHealthCheck(
        this.ctx,
        computePath(String(service.selfLink)).split('/')[1]!,
        link,
        'healthChecks[0]',
      );
      return {
        checkIntervalSec: Number(hc.checkIntervalSec),
        healthyThreshold: Number(hc.healthyThreshold),
        unhealthyThreshold: Number(hc.unhealthyThreshold),
      };
    } catch {
      return undefined;
    }
  }

  /** One probe of every member of each service whose check interval has come round. */
  private probeDue(): void {
    const live = new Set<string>();
    for (const service of this.services()) {
      this.know(service);
      const t = this.timing(service);
      const targets = this.members(service);
      for (const m of targets) live.add(this.key(service, m));
      if (!t || this.second % t.checkIntervalSec !== 0) continue;
      for (const m of targets) {
        const k = this.key(service, m);
        const s = this.states.get(k) ?? { healthy: false, streak: 0 };
        if (m.answers === s.healthy) s.streak = 0;
        else if (++s.streak >= (m.answers ? t.healthyThreshold : t.unhealthyThreshold))
          [s.healthy, s.streak] = [m.answers, 0];
        this.states.set(k, s);
      }
    }
    for (const k of this.states.keys()) if (!live.has(k)) this.states.delete(k);
    const services = new Set(this.services().map((s) => computePath(String(s.selfLink))));
    for (const id of this.known) if (!services.has(id)) this.known.delete(id);
  }
}

const probers = new WeakMap<ComputeContext, LbHealth>();

/** The prober of one local cloud (one per ComputeContext). */
export function lbHealthOf(ctx: ComputeContext, members: MembersOf): LbHealth {
  let p = probers.get(ctx);
  if (!p) probers.set(ctx, (p = new LbHealth(ctx, members)));
  return p;
}
