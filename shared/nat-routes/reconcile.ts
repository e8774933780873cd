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
 * it does not, the report is `degraded` (422 over HTTP), as is a plan with no eligible NAT VM. What
 * a pass comes to — the report and its status — is a planner's (shared/plan/route-report.ts).
 */
import type { Transport } from '../gcp/transport.js';
import type { NatRoutesView } from '../config/nat-routes.js';
import type { RoutePlan } from '../plan/routes.js';
import { routeReport, type RouteChange, type RouteReport } from '../plan/route-report.js';
import type { ExportReport } from '../plan/route-export.js';
import { GO, mayRun, type Guard } from '../reconcile/apply.js';
import { reconcile } from '../reconcile/loop.js';
import type { Policy } from '../reconcile/plan.js';
import { observe, type Observed } from './observe.js';
import { planFrom } from './plan.js';
import { changeResult, routePhases } from './apply.js';
import { ensureAndVerifyExport } from './verify.js';

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
  return routeReport(cfg, { ...run, results: run.results.map(changeResult) }, dryRun);
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
