/**
 * natRoutes' report, pure: what one pass of the kernel (shared/nat-routes/reconcile.ts drives it)
 * comes to — the plan's names, its conflicts and what it is blocked by, the changes tried and how
 * they went, the load balancer's backends and the peering's export — and the status that follows:
 * `ok`, `degraded` (a refused change, no eligible or healthy NAT VM, an export that does not carry
 * the routes: 422 over HTTP) or `failed` (a transient failure: the event is delivered again).
 * Passes of one reconcile merge into one report; a pass that threw has a report too.
 */
import type { NatRoutesView } from '../config/nat-routes.js';
import type { BackendHealth } from '../gcp/load-balancers.js';
import { mutationsOf } from '../reconcile/apply.js';
import { degrade, failedEnvelope, failureOf, type Envelope } from '../reconcile/report.js';
import type { Timed } from '../util/timed.js';
import { exportProblems, type ExportReport } from './route-export.js';
import { isEligible, resourcePath, type Blocked, type Conflict, type NatInstance, type RoutePlan } from './routes.js';

export type RouteChangeKind = 'insert' | 'delete' | 'hold-insert' | 'hold-delete';

/** One change of the plan, as its step carries it (shared/nat-routes/apply.ts) and the report names it. */
export interface RouteChange {
  change: RouteChangeKind;
  name: string;
  destRange?: string;
}

export interface ChangeResult extends Timed, RouteChange {
  /** The insert met a route of other content under its name (taken after the observation). */
  nameTaken?: boolean;
}

export type RouteStatus = 'ok' | 'degraded' | 'failed';

export interface RouteReport extends Envelope<ChangeResult> {
  status: RouteStatus;
  mode: NatRoutesView['mode'];
  instances: {
    name: string;
    eligible: boolean;
    state?: string;
    instanceStatus?: string;
    currentAction?: string;
    health?: string;
  }[];
  /** The last pass's plan (names). */
  plan: { inserts: string[]; deletes: string[]; keeps: number; holds: { inserts: string[]; deletes: string[] } };
  conflicts: Conflict[];
  blocked: Blocked[];
  /** ilb mode: the load balancer and what its health check says of each backend. */
  loadBalancer?: { forwardingRule: string; backends: { instance?: string; healthState?: string }[] };
  /** Look again soon: an instance is mid-action, a name was taken meanwhile, or the guard re-planned. */
  settling: boolean;
  /** When the earliest hold ends (epoch ms), if one is running: the decision may change then. */
  nextLookAt?: number;
  /** Reconcile passes this report covers (more than one while the MIG settles). */
  passes: number;
  export?: ExportReport;
}

/** The load balancer of ilb mode as observed (shared/nat-routes/observe.ts `IlbView`), as the report reads it. */
export interface IlbLook {
  readonly forwardingRule: string;
  readonly backends: readonly Pick<BackendHealth, 'instance' | 'healthState'>[];
}

/**
 * What one pass ended with (shared/reconcile/loop.ts `Reconciled`, its results as natRoutes
 * reports them): the last look and the plan made from it, every change tried, what the last apply
 * held back and why it stopped (absent: nothing applied), and the export read back (absent: not
 * verified).
 */
export interface RoutePass {
  readonly observed: { readonly instances: readonly NatInstance[]; readonly ilb?: IlbLook };
  readonly plan: RoutePlan;
  readonly results: readonly ChangeResult[];
  readonly applied?: {
    readonly held: readonly {
      readonly step: { readonly detail: RouteChange };
      readonly failed: readonly { readonly detail: RouteChange; readonly error?: string }[];
    }[];
    readonly stopped?: { readonly kind: 'failed' } | { readonly kind: 'replan' | 'stop'; readonly why: string };
  };
  readonly verified?: ExportReport;
}

type ReportConfig = Pick<NatRoutesView, 'mode' | 'requireHealthy' | 'peering' | 'exportMode'>;

/** The report of one pass; `dryRun`: nothing was applied (the export's missing destinations are the plan's). */
export function routeReport(cfg: ReportConfig, pass: RoutePass, dryRun: boolean): RouteReport {
  const report = newReport(cfg, pass.observed, pass.plan, dryRun);
  if (pass.applied) recordHeld(report, pass.applied);
  if (pass.applied?.stopped?.kind === 'replan') {
    report.settling = true;
    report.warnings.push(`${pass.applied.stopped.why}; the next pass plans the deletes again`);
  }
  report.results = [...pass.results];
  report.mutations = mutationsOf(report.results);
  judgeResults(report);
  if (pass.verified) judgeExport(cfg, report, pass.verified, dryRun);
  return report;
}

const names = (rs: readonly { name: string }[]) => rs.map((r) => r.name);

function summarize(plan: RoutePlan): RouteReport['plan'] {
  return {
    inserts: names(plan.inserts),
    deletes: names(plan.deletes),
    keeps: plan.keeps.length,
    holds: { inserts: names(plan.holds.inserts), deletes: names(plan.holds.deletes) },
  };
}

function newReport(cfg: ReportConfig, observed: RoutePass['observed'], plan: RoutePlan, dryRun: boolean): RouteReport {
  const state = new Map(plan.states.map((s) => [s.instance, s.state]));
  const report: RouteReport = {
    status: 'ok',
    reasons: [],
    warnings: [
      ...plan.conflicts.map(
        (c) =>
          `route ${c.route} carries netreflex's marker but is not netreflex's, so it is left unchanged: ${c.reasons.join('; ')}`,
      ),
      ...plan.plannedAround.map(
        (p) => `name ${p.wanted} is held by a route netreflex does not own, ${p.heldBy}; using ${p.using}`,
      ),
      ...plan.untimedHolds.map(untimedWarning),
    ],
    dryRun,
    mode: cfg.mode,
    instances: observed.instances.map((i) => ({
      name: i.name,
      eligible: isEligible(i, cfg.requireHealthy),
      ...(state.get(resourcePath(i.url)) ? { state: state.get(resourcePath(i.url)) } : {}),
      instanceStatus: i.instanceStatus,
      currentAction: i.currentAction,
      health: i.health,
    })),
    plan: summarize(plan),
    conflicts: plan.conflicts,
    blocked: [...plan.blocked, ...plan.untimedHolds.map(untimedBlock)],
    // The key holds the results' place in the JSON; routeReport sets them before anything reads them.
    // Stryker disable next-line ArrayDeclaration: equivalent, routeReport replaces this array first
    results: [],
    mutations: 0,
    retry: false,
    settling: observed.instances.some((i) => (i.currentAction ?? 'NONE') !== 'NONE'),
    ...(plan.pending.length ? { nextLookAt: Math.min(...plan.pending.map((p) => p.at)) } : {}),
    passes: 1,
  };
  for (const reason of plan.degraded) degrade(report, reason);
  if (observed.ilb) judgeIlb(report, observed.ilb);
  return report;
}

type Untimed = RoutePlan['untimedHolds'][number];
const AT_ONCE = {
  unhealthy: 'it leaves at once, as with NETREFLEX_UNHEALTHY_HOLD_SECONDS=0',
  join: 'it joins at once, as with NETREFLEX_JOIN_HOLD_SECONDS=0',
} as const;

function untimedWarning(u: Untimed): string {
  return (
    `the ${u.kind} hold of ${u.instance.split('/').pop()} cannot be timed: every name netreflex derives ` +
    `for its marker is held by a route it does not own (${u.heldBy}); ${AT_ONCE[u.kind]}; delete or ` +
    `rename one of ${u.names.join(', ')}`
  );
}

const untimedBlock = (u: Untimed): Blocked => ({
  what: `${u.kind} hold of ${u.instance.split('/').pop()}`,
  by: `every name of its marker is held by a route netreflex does not own: ${u.heldBy}`,
  fix: `delete or rename one of ${u.names.join(', ')}`,
  permanent: true,
});

function judgeIlb(report: RouteReport, ilb: IlbLook): void {
  report.loadBalancer = {
    forwardingRule: ilb.forwardingRule,
    backends: ilb.backends.map((b) => ({ instance: b.instance, healthState: b.healthState })),
  };
  if (!ilb.backends.some((b) => b.healthState === 'HEALTHY')) {
    degrade(
      report,
      `the load balancer ${ilb.forwardingRule.split('/').pop()} has no healthy backend: Google spreads ` +
        `new connections over all NAT VMs as a last resort; check the NAT VMs and their health check`,
    );
  }
}

/** Deletes the runner held back: blocked, each with the failed insert it waited for. */
function recordHeld(report: RouteReport, applied: NonNullable<RoutePass['applied']>): void {
  for (const h of applied.held) {
    if (h.step.detail.change !== 'delete' || applied.stopped?.kind === 'replan') continue;
    const by = h.failed.length
      ? `its replacement failed: ${h.failed.map((f) => `${f.detail.name} (${f.error})`).join('; ')}`
      : `${h.step.detail.destRange} would be left without a route to an eligible NAT VM`;
    report.blocked.push({
      what: `delete ${h.step.detail.name}`,
      by,
      fix: 'it is deleted by the first sync that finds a route to an eligible NAT VM in place for that destination',
      permanent: false,
    });
  }
}

/** Transient failures fail the pass (the event is redelivered); permanent ones degrade it with the cause. */
function judgeResults(report: RouteReport): void {
  const failed = report.results.filter((r) => !r.ok);
  const transient = failed.filter((r) => r.transient);
  const taken = failed.filter((r) => r.nameTaken);
  const permanent = failed.filter((r) => !r.transient && !r.nameTaken);
  if (taken.length) {
    report.settling = true;
    report.warnings.push(...taken.map((r) => r.error!));
  }
  for (const r of permanent)
    degrade(report, `${r.change} ${r.name} was refused: ${r.error}; fix the cause (every sync tries again)`);
  if (transient.length) {
    report.status = 'failed';
    report.retry = true;
    report.reasons.push(
      `${transient.length} change(s) failed on transient errors ` +
        `(${transient.map((r) => `${r.change} ${r.name}: ${r.error}`).join('; ')}); the event is failed so it is delivered again`,
    );
  }
}

function judgeExport(cfg: ReportConfig, report: RouteReport, exported: ExportReport, dryRun: boolean): void {
  report.export = exported;
  if (exported.enabledNow) report.mutations += 1;
  for (const reason of exportProblems(cfg, exported, dryRun)) degrade(report, reason);
}

/** A report covering `earlier` and then `next`: the latest state, every change of both. */
export function mergeReports(earlier: RouteReport, next: RouteReport): RouteReport {
  return {
    ...next,
    results: [...earlier.results, ...next.results],
    mutations: earlier.mutations + next.mutations,
    passes: earlier.passes + next.passes,
    warnings: [...new Set([...earlier.warnings, ...next.warnings])],
  };
}

/** A report for a pass that threw: failed, and whether a retry can help. */
export function failedReport(base: Pick<RouteReport, 'mode' | 'dryRun'>, err: unknown): RouteReport {
  const error = failureOf(err);
  const reason = error.transient ? `transient error, the event is delivered again: ${error.message}` : error.message;
  return {
    ...failedEnvelope(error, { reason, dryRun: base.dryRun }),
    mode: base.mode,
    instances: [],
    plan: { inserts: [], deletes: [], keeps: 0, holds: { inserts: [], deletes: [] } },
    conflicts: [],
    blocked: [],
    settling: false,
    passes: 1,
  };
}
