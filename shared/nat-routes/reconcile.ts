/**
 * One reconcile pass of the NAT routes, as external-dns runs one loop: observe → plan → apply →
 * verify. Events only say "look again"; the state read here is the truth.
 *
 * Make-before-break without a wedge: every insert first; then a fresh observation, and only the
 * deletes that fresh plan still wants *and* finds safe — the next hop is gone, or the destination
 * keeps a route to an eligible next hop (the inserts that succeeded included). So a failed insert
 * holds back exactly the deletes it would have replaced, and nothing else; a concurrent or stale
 * run (another event, another function instance) never deletes on an older view of the MIG.
 */
import type { Transport } from '../gcp/transport.js';
import type { NatRoutesConfig } from '../config/nat-routes.js';
import { isEligible, resourcePath, type Blocked, type Conflict, type RoutePlan } from '../plan/routes.js';
import { observe, planFrom, type Observed } from './observe.js';
import { applyDeletes, applyInserts, type ApplyBudget, type ChangeResult } from './apply.js';
import { ensureAndVerifyExport, type ExportReport } from './verify.js';

export type RouteStatus = 'ok' | 'degraded' | 'failed';

export interface RouteReport {
  status: RouteStatus;
  /** Why the status is not ok, each with what to do. */
  reasons: string[];
  /** Worth knowing, not blocking: conflicts left alone, names planned around. */
  warnings: string[];
  dryRun: boolean;
  mode: NatRoutesConfig['mode'];
  instances: { name: string; eligible: boolean; state?: string; instanceStatus?: string; currentAction?: string; health?: string }[];
  /** The last pass's plan (names). */
  plan: { inserts: string[]; deletes: string[]; keeps: number; holds: { inserts: string[]; deletes: string[] } };
  conflicts: Conflict[];
  blocked: Blocked[];
  /** ilb mode: the load balancer and what its health check says of each backend. */
  loadBalancer?: { forwardingRule: string; backends: { instance?: string; healthState?: string }[] };
  /** Every change tried, over all passes. */
  results: ChangeResult[];
  /** API calls that changed state, over all passes (no-ops on 409/404 excluded). */
  mutations: number;
  /** Look again soon: an instance is mid-action, or a name was taken meanwhile. */
  settling: boolean;
  /** When the earliest hold ends (epoch ms), if one is running: the decision may change then. */
  nextLookAt?: number;
  /** Reconcile passes this report covers (more than one while the MIG settles). */
  passes: number;
  export?: ExportReport;
  /** A pass that threw before it could report: what, and whether a retry can help. */
  error?: { message: string; transient: boolean };
}

export interface ReconcileOptions {
  dryRun?: boolean;
  /** Skip the peering export check (plan-only callers). */
  skipVerify?: boolean;
  /** Epoch ms by which the pass must be done: operation waits stop there. */
  deadline?: number;
}

const names = (rs: readonly { name: string }[]) => rs.map((r) => r.name);

function summarize(plan: RoutePlan): RouteReport['plan'] {
  return { inserts: names(plan.inserts), deletes: names(plan.deletes), keeps: plan.keeps.length, holds: { inserts: names(plan.holds.inserts), deletes: names(plan.holds.deletes) } };
}

function newReport(cfg: NatRoutesConfig, observed: Observed, plan: RoutePlan, dryRun: boolean): RouteReport {
  const state = new Map(plan.states.map((s) => [s.instance, s.state]));
  const report: RouteReport = {
    status: 'ok',
    reasons: [],
    warnings: [...plan.conflicts.map((c) => `route ${c.route} carries netreflex's marker but is not netreflex's, so it is left unchanged: ${c.reasons.join('; ')}`), ...plan.plannedAround.map((p) => `name ${p.wanted} is held by a route netreflex does not own, ${p.heldBy}; using ${p.using}`)],
    dryRun,
    mode: cfg.mode,
    instances: observed.instances.map((i) => ({ name: i.name, eligible: isEligible(i, cfg.requireHealthy), ...(state.get(resourcePath(i.url)) ? { state: state.get(resourcePath(i.url)) } : {}), instanceStatus: i.instanceStatus, currentAction: i.currentAction, health: i.health })),
    plan: summarize(plan),
    conflicts: plan.conflicts,
    blocked: [...plan.blocked],
    results: [],
    mutations: 0,
    settling: observed.instances.some((i) => (i.currentAction ?? 'NONE') !== 'NONE'),
    ...(plan.pending.length ? { nextLookAt: Math.min(...plan.pending.map((p) => p.at)) } : {}),
    passes: 1,
  };
  for (const reason of plan.degraded) degrade(report, reason);
  if (observed.ilb) judgeIlb(report, observed.ilb);
  return report;
}

function judgeIlb(report: RouteReport, ilb: NonNullable<Observed['ilb']>): void {
  report.loadBalancer = { forwardingRule: ilb.forwardingRule, backends: ilb.backends.map((b) => ({ instance: b.instance, healthState: b.healthState })) };
  if (!ilb.backends.some((b) => b.healthState === 'HEALTHY')) {
    degrade(report, `the load balancer ${ilb.forwardingRule.split('/').pop()} has no healthy backend: Google spreads new connections over all NAT VMs as a last resort; check the NAT VMs and their health check`);
  }
}

/** One pass: observe, plan, apply (unless a dry run), verify the export. */
export async function reconcileRoutes(t: Transport, cfg: NatRoutesConfig, options: ReconcileOptions = {}): Promise<RouteReport> {
  const dryRun = options.dryRun === true || cfg.policy === 'dry-run';
  const observed = await observe(t, cfg);
  const { plan } = planFrom(cfg, observed);
  const report = newReport(cfg, observed, plan, dryRun);
  if (!dryRun) await applyPlan(t, cfg, plan, report, { deadline: options.deadline });
  if (!options.skipVerify && report.status !== 'failed') await verify(t, cfg, report, dryRun);
  return report;
}

async function applyPlan(t: Transport, cfg: NatRoutesConfig, plan: RoutePlan, report: RouteReport, budget: ApplyBudget): Promise<void> {
  report.results.push(...(await applyInserts(t, cfg.project, plan.inserts, budget)), ...(await applyInserts(t, cfg.project, plan.holds.inserts, budget, 'hold-insert')));
  if (plan.deletes.length || plan.holds.deletes.length) await applySafeDeletes(t, cfg, plan, report, budget);
  report.mutations = report.results.filter((r) => r.ok && !r.noop).length;
  judgeResults(report);
}

/** The deletes a fresh plan, made after the inserts landed, still wants and finds safe. */
async function applySafeDeletes(t: Transport, cfg: NatRoutesConfig, planned: RoutePlan, report: RouteReport, budget: ApplyBudget): Promise<void> {
  const fresh = planFrom(cfg, await observe(t, cfg)).plan;
  const wanted = new Set([...names(planned.deletes), ...names(planned.holds.deletes)]);
  const deletes = fresh.deletes.filter((d) => wanted.has(d.name) && d.safe !== 'after-inserts');
  const failedFor = (dest: string) => report.results.filter((r) => r.change === 'insert' && !r.ok && r.destRange === dest);
  for (const d of planned.deletes) {
    const stillThere = fresh.keeps.includes(d.name) || fresh.deletes.some((x) => x.name === d.name);
    if (deletes.some((x) => x.name === d.name) || !stillThere) continue;
    const failed = failedFor(d.destRange);
    report.blocked.push({ what: `delete ${d.name}`, by: failed.length ? `its replacement failed: ${failed.map((f) => `${f.name} (${f.error})`).join('; ')}` : `${d.destRange} would be left without a route to an eligible NAT VM`, fix: 'it is deleted by the first sync that finds a route to an eligible NAT VM in place for that destination', permanent: false });
  }
  report.results.push(...(await applyDeletes(t, cfg.project, deletes, budget)), ...(await applyDeletes(t, cfg.project, fresh.holds.deletes.filter((h) => wanted.has(h.name)), budget, 'hold-delete')));
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
  for (const r of permanent) degrade(report, `${r.change} ${r.name} was refused: ${r.error}; fix the cause (every sync tries again)`);
  if (transient.length) {
    report.status = 'failed';
    report.reasons.push(`${transient.length} change(s) failed on transient errors (${transient.map((r) => `${r.change} ${r.name}: ${r.error}`).join('; ')}); the event is failed so it is delivered again`);
  }
}

async function verify(t: Transport, cfg: NatRoutesConfig, report: RouteReport, dryRun: boolean): Promise<void> {
  report.export = await ensureAndVerifyExport(t, cfg, dryRun);
  if (report.export.enabledNow) report.mutations += 1;
  if (!report.export.exportCustomRoutes) degrade(report, `peering ${cfg.peering} does not export custom routes${cfg.exportMode === 'verify-only' ? ' (verify-only mode: enable exportCustomRoutes on the peering)' : ''}`);
  else if (report.export.missing.length && !dryRun) degrade(report, `the peer does not receive: ${report.export.missing.join(', ')}`);
}

function degrade(report: RouteReport, reason: string): void {
  if (report.status === 'ok') report.status = 'degraded';
  if (!report.reasons.includes(reason)) report.reasons.push(reason);
}

/** A report covering `earlier` and then `next`: the latest state, every change of both. */
export function mergeReports(earlier: RouteReport, next: RouteReport): RouteReport {
  return { ...next, results: [...earlier.results, ...next.results], mutations: earlier.mutations + next.mutations, passes: earlier.passes + next.passes, warnings: [...new Set([...earlier.warnings, ...next.warnings])] };
}
