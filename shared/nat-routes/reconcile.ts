/**
 * natRoutes over the reconcile kernel (shared/reconcile/): observe → plan → apply → verify. Events
 * only say "look again"; the state read here is the truth.
 *
 * Make-before-break without a wedge: the plan's inserts run first; each delete waits for what it
 * needs (apply.ts: nothing, or an insert for its destination), so a failed insert holds back
 * exactly the deletes it would have replaced, and nothing else. Before the deletes the guard looks
 * once more: if the MIG or the routes moved since the observation so that a delete is no longer
 * wanted, or no longer safe, it says re-plan, and the pass plans again from that look — a
 * concurrent or stale run (another event, another function instance) never deletes on an older
 * view of the MIG.
 *
 * Verify: the peering must export custom routes and the peer must receive every destination; when
 * it does not, the report is `degraded` (422 over HTTP), as is a plan with no eligible NAT VM.
 */
import type { Transport } from '../gcp/transport.js';
import type { NatRoutesConfig, NatRoutesView } from '../config/nat-routes.js';
import { isEligible, resourcePath, type Blocked, type Conflict, type RoutePlan } from '../plan/routes.js';
import { GO, mayRun, mutationsOf, type Applied, type Guard } from '../reconcile/apply.js';
import { reconcile } from '../reconcile/loop.js';
import type { Policy } from '../reconcile/plan.js';
import { degrade, failedEnvelope, failureOf, type Envelope } from '../reconcile/report.js';
import { observe, type Observed } from './observe.js';
import { planFrom } from './plan.js';
import { changeResult, routePhases, type ChangeResult, type RouteChange } from './apply.js';
import { ensureAndVerifyExport, exportProblems, type ExportReport } from './verify.js';

export type RouteStatus = 'ok' | 'degraded' | 'failed';

export interface RouteReport extends Envelope<ChangeResult> {
  status: RouteStatus;
  mode: NatRoutesConfig['mode'];
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

export interface ReconcileOptions {
  dryRun?: boolean;
  /** Skip the peering export check (plan-only callers). */
  skipVerify?: boolean;
  /** Epoch ms by which the pass must be done: operation waits stop there. */
  deadline?: number;
  /** Told each observation and the plan made from it (`netreflex status` judges the routes by them). */
  planned?: (observed: Observed, plan: RoutePlan) => void;
}

/** Plans again from the guard's look at most once in one pass; after that, the next pass does. */
const REPLANS = 1;

const names = (rs: readonly { name: string }[]) => rs.map((r) => r.name);

function summarize(plan: RoutePlan): RouteReport['plan'] {
  return {
    inserts: names(plan.inserts),
    deletes: names(plan.deletes),
    keeps: plan.keeps.length,
    holds: { inserts: names(plan.holds.inserts), deletes: names(plan.holds.deletes) },
  };
}

function newReport(cfg: NatRoutesView, observed: Observed, plan: RoutePlan, dryRun: boolean): RouteReport {
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

function judgeIlb(report: RouteReport, ilb: NonNullable<Observed['ilb']>): void {
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

/** One pass of the kernel's loop (reconcile/loop.ts): observe, plan, apply under the policy, verify the export. */
export async function reconcileRoutes(
  t: Transport,
  cfg: NatRoutesView,
  options: ReconcileOptions = {},
): Promise<RouteReport> {
  const policy: Policy = options.dryRun === true ? 'dry-run' : cfg.policy;
  const dryRun = policy === 'dry-run';
  const run = await reconcile<Observed, RoutePlan, RouteChange, ExportReport>(
    {
      observe: () => observe(t, cfg),
      plan: (observed) => planFrom(cfg, observed).plan,
      phases: (plan) => routePhases(t, cfg.project, plan),
      guard: deleteGuard(t, cfg),
      ...(options.planned ? { planned: options.planned } : {}),
      // A pass that failed on a transient error is delivered again whole; it is not verified.
      verify: async ({ results }) =>
        options.skipVerify || results.some((r) => !r.ok && r.transient)
          ? undefined
          : ensureAndVerifyExport(t, cfg, dryRun),
    },
    { policy, replans: REPLANS, ...(options.deadline === undefined ? {} : { deadline: options.deadline }) },
  );
  const report = newReport(cfg, run.observed, run.plan, dryRun);
  if (run.applied) recordHeld(report, run.applied);
  if (run.applied?.stopped?.kind === 'replan') {
    report.settling = true;
    report.warnings.push(`${run.applied.stopped.why}; the next pass plans the deletes again`);
  }
  report.results = run.results.map(changeResult);
  report.mutations = mutationsOf(report.results);
  judgeResults(report);
  if (run.verified) judgeExport(cfg, report, run.verified, dryRun);
  return report;
}

/**
 * Before the deletes (and the ended hold markers): look again, once per plan. Every delete about to
 * run must still be one a fresh plan makes, and safe by that plan alone — the inserts of this pass
 * that the deletes wait for are in place by now, so the fresh plan sees them as kept routes.
 */
function deleteGuard(
  t: Transport,
  cfg: NatRoutesView,
): (plan: RoutePlan, seen: (o: Observed) => void) => Guard<RouteChange> {
  return (_plan, seen) => {
    let look: Promise<Observed> | undefined;
    return async ({ phase, step, results }) => {
      if (step || !phase.steps.some((s) => s.detail.change === 'delete' || s.detail.change === 'hold-delete'))
        return GO;
      look ??= observe(t, cfg);
      const observed = await look;
      const fresh = planFrom(cfg, observed).plan;
      const wanted = new Map<string, { safe?: string }>([
        ...fresh.deletes.map((d) => [d.name, d] as const),
        ...fresh.holds.deletes.map((h) => [h.name, {}] as const),
      ]);
      const moved = phase.steps.filter(
        (s) =>
          mayRun(s, results) && (!wanted.has(s.detail.name) || wanted.get(s.detail.name)!.safe === 'after-inserts'),
      );
      if (!moved.length) return GO;
      seen(observed);
      return {
        kind: 'replan',
        why: `the routes or the MIG changed while inserting: ${moved.map((s) => s.detail.name).join(', ')} no longer safe to delete as planned`,
      };
    };
  };
}

/** Deletes the runner held back: blocked, each with the failed insert it waited for. */
function recordHeld(report: RouteReport, applied: Applied<RouteChange>): void {
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

function judgeExport(cfg: NatRoutesView, report: RouteReport, exported: ExportReport, dryRun: boolean): void {
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
