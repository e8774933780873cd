/**
 * One reconcile of the NAT routes, as external-dns runs one loop: observe → plan → apply →
 * verify. Events only say "look again"; the state read here is the truth.
 *
 * Before deleting, it observes once more and deletes only routes the fresh plan also wants gone:
 * a concurrent or stale run (another event, another instance of the function) may have seen an
 * older MIG, and a delete planned on stale state is how the last path to a destination is lost.
 */
import type { Transport } from '../gcp/transport.js';
import { sleep } from '../util/concurrency.js';
import type { NatRoutesConfig } from '../config/nat-routes.js';
import { isEmptyPlan, type RoutePlan } from '../plan/routes.js';
import { observe, planFrom, type Observed } from './observe.js';
import { applyDeletes, applyInserts, applyReplaces, type ChangeResult } from './apply.js';
import { ensureAndVerifyExport, type ExportReport } from './verify.js';

export type RouteStatus = 'ok' | 'degraded' | 'failed';

export interface RouteReport {
  status: RouteStatus;
  reasons: string[];
  dryRun: boolean;
  instances: { name: string; eligible: boolean; instanceStatus?: string; currentAction?: string; health?: string }[];
  plan: { inserts: string[]; replaces: string[]; deletes: string[]; keeps: number };
  results: ChangeResult[];
  /** API calls that changed state (no-ops on 409/404 excluded). */
  mutations: number;
  /** Some NAT instance is mid-action (creating, recreating, verifying…): look again soon. */
  settling: boolean;
  /** Reconcile passes this report covers (more than one while the MIG settles). */
  passes: number;
  export?: ExportReport;
}

export interface ReconcileOptions {
  dryRun?: boolean;
  /** Skip the peering export check (plan-only callers). */
  skipVerify?: boolean;
}

function summarize(plan: RoutePlan) {
  return { inserts: plan.inserts.map((r) => r.name), replaces: plan.replaces.map((r) => r.name), deletes: plan.deletes.map((r) => r.name), keeps: plan.keeps.length };
}

/** Deletes still wanted after a fresh look (never the routes a newer observation keeps). */
async function confirmDeletes(t: Transport, cfg: NatRoutesConfig, planned: RoutePlan): Promise<RoutePlan['deletes']> {
  if (planned.deletes.length === 0) return [];
  const fresh = planFrom(cfg, await observe(t, cfg));
  const stillStale = new Set(fresh.plan.deletes.map((r) => r.name));
  const uncovered = new Set(fresh.plan.inserts.map((r) => r.destRange));
  return planned.deletes.filter((r) => stillStale.has(r.name) && !uncovered.has(r.destRange));
}

export async function reconcileRoutes(t: Transport, cfg: NatRoutesConfig, options: ReconcileOptions = {}): Promise<RouteReport> {
  const dryRun = options.dryRun === true || cfg.policy === 'dry-run';
  const observed: Observed = await observe(t, cfg);
  const { plan, eligible } = planFrom(cfg, observed);
  const eligibleNames = new Set(eligible.map((i) => i.name));
  const report: RouteReport = {
    status: 'ok',
    reasons: [],
    dryRun,
    instances: observed.instances.map((i) => ({ name: i.name, eligible: eligibleNames.has(i.name), instanceStatus: i.instanceStatus, currentAction: i.currentAction, health: i.health })),
    plan: summarize(plan),
    results: [],
    mutations: 0,
    settling: observed.instances.some((i) => (i.currentAction ?? 'NONE') !== 'NONE'),
    passes: 1,
  };
  if (plan.degraded) degrade(report, plan.degraded);
  if (!dryRun && !isEmptyPlan(plan)) await applyPlan(t, cfg, plan, report);
  if (!options.skipVerify && report.status !== 'failed') await verify(t, cfg, report, dryRun);
  return report;
}

async function applyPlan(t: Transport, cfg: NatRoutesConfig, plan: RoutePlan, report: RouteReport): Promise<void> {
  const upserts = [...(await applyInserts(t, cfg.project, plan.inserts)), ...(await applyReplaces(t, cfg.project, plan.replaces))];
  report.results.push(...upserts);
  if (upserts.some((r) => !r.ok)) {
    report.status = 'failed';
    report.reasons.push('some inserts failed: skipping deletes so no path is removed before its replacement exists');
  } else {
    report.results.push(...(await applyDeletes(t, cfg.project, await confirmDeletes(t, cfg, plan))));
    if (report.results.some((r) => !r.ok)) {
      report.status = 'failed';
      report.reasons.push('some deletes failed; the next sync retries them');
    }
  }
  report.mutations = report.results.filter((r) => r.ok && !r.noop).length;
}

async function verify(t: Transport, cfg: NatRoutesConfig, report: RouteReport, dryRun: boolean): Promise<void> {
  report.export = await ensureAndVerifyExport(t, cfg, dryRun);
  if (report.export.enabledNow) report.mutations += 1;
  if (!report.export.exportCustomRoutes) degrade(report, `peering ${cfg.peering} does not export custom routes${cfg.exportMode === 'verify-only' ? ' (verify-only mode: enable exportCustomRoutes on the peering)' : ''}`);
  else if (report.export.missing.length && !dryRun) degrade(report, `the peer does not receive: ${report.export.missing.join(', ')}`);
}

function degrade(report: RouteReport, reason: string): void {
  if (report.status === 'ok') report.status = 'degraded';
  report.reasons.push(reason);
}

export interface SettleOptions {
  timeoutMs: number;
  pollMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Reconciles, then again every `pollMs` while MIG instances are mid-action, up to `timeoutMs`.
 * The audit log's `operation.last` for an instance insert arrives while the MIG is still
 * verifying it, so the event that announces a new NAT VM comes before the VM is eligible; one
 * pass per event would leave its routes to the next scheduled tick.
 */
export async function reconcileUntilSettled(t: Transport, cfg: NatRoutesConfig, settle: SettleOptions): Promise<RouteReport> {
  const wait = settle.sleep ?? sleep;
  const deadline = Date.now() + settle.timeoutMs;
  let report = await reconcileRoutes(t, cfg);
  while (report.settling && report.status !== 'failed' && Date.now() + settle.pollMs <= deadline) {
    await wait(settle.pollMs);
    const next = await reconcileRoutes(t, cfg);
    report = { ...next, results: [...report.results, ...next.results], mutations: report.mutations + next.mutations, passes: report.passes + 1 };
  }
  return report;
}
