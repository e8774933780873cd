/**
 * The loop of a netreflex reconciler, once: **observe → plan → apply → verify**. A reconciler is an
 * adapter that says how to look (`observe`), what it wants from that look (`plan`, its pure planner),
 * which cloud calls that takes (`phases`, a kernel plan: plan.ts), when to stop mid-apply (`guard`)
 * and what to read back after (`verify`); this module runs it.
 *
 * - The policy filters the plan (plan.ts `applyPolicy`): `dry-run` plans and applies nothing.
 * - The runner (apply.ts) applies the phases: upserts first, destructive steps only after what
 *   they depend on succeeded, the guard asked before phases and steps.
 * - When the guard says **re-plan** (the world moved since the look), the loop plans again from a
 *   fresh look — the one the guard took, if it hands it over, else a new `observe` — at most
 *   `replans` times; the results of every apply are kept, so the report counts every change made.
 *   Past that, the run ends `stopped` with the guard's reason, and the next event or tick plans again.
 * - An adapter that **converges** (`again`) looks and plans again after an apply the guard did not
 *   stop, within the same bound: to apply what a read-back still misses (a foreign write landed
 *   after the last step), or because a refused step may have lost a race that a fresh plan avoids.
 *   Its run always ends on a look taken after its last apply: at the bound the loop looks once more
 *   (not counted in `replanned`) and applies nothing of it, so `plan` is what is still missing.
 * - The loop applies **no empty plan**: a plan (after the policy) with nothing to do ends the run,
 *   so a run whose `plan` is empty ended on a look that needed nothing (else a failure, the guard
 *   or the bound ended it).
 * - **Verify** runs last, on what the loop ended with; the adapter decides what it reads back and
 *   whether to (a pass that failed on a transient error is retried whole, not verified).
 *
 * The loop never judges: it hands the adapter the observation, plan and results, and the adapter's
 * report (report.ts's envelope) says ok / degraded / failed.
 */
import { applyPlan, type Applied, type Guard, type StepResult } from './apply.js';
import { applyPolicy, isEmpty, type Plan, type Policy } from './plan.js';

export interface Adapter<O, P, D, V> {
  /** Reads the state the plan is made from. */
  readonly observe: () => Promise<O>;
  /** The planner: what must change, from one look. Pure. */
  readonly plan: (observed: O) => P;
  /** The cloud calls that carry the plan out. */
  readonly phases: (plan: P) => Plan<D>;
  /** A guard for one apply of `plan`; it hands a fresh look to `seen` before it says re-plan. */
  readonly guard?: (plan: P, seen: (fresh: O) => void) => Guard<D>;
  /** Told of every look the loop takes and the plan made from it (the first, and each re-plan). */
  readonly planned?: (observed: O, plan: P) => void;
  /**
   * After an apply the guard did not stop (it ran to its end, or a step failed): whether to look and
   * plan again. Unset: never — the run ends, and the next event or tick plans again.
   */
  readonly again?: (applied: Applied<D>) => boolean;
  /** Reads back what the run ended with; `undefined` when there is nothing to verify. */
  readonly verify?: (run: Run<O, P, D>) => Promise<V | undefined>;
}

export interface LoopOptions<O = unknown, P = unknown> {
  readonly policy: Policy;
  /** Times the loop plans again after a guard's re-plan, within one run. */
  readonly replans: number;
  /** Epoch ms by which operation waits must give up. */
  readonly deadline?: number;
  /** A look already taken and planned (the allowlist plans every policy before it claims one). */
  readonly initial?: { readonly observed: O; readonly plan: P };
}

export interface Run<O, P, D> {
  /** The last look, and the plan made from it (for a converging adapter, taken after the last apply). */
  readonly observed: O;
  readonly plan: P;
  /** Every step result of every apply of the run, in the order they ran. */
  readonly results: readonly StepResult<D>[];
  /**
   * The last apply (what it held back and why it stopped); empty when the run ended on a re-plan
   * that needed nothing; absent in a dry run or when the first plan needed nothing.
   */
  readonly applied?: Applied<D>;
  /** How many times the loop planned again. */
  readonly replanned: number;
}

export interface Reconciled<O, P, D, V> extends Run<O, P, D> {
  readonly verified?: V;
}

export async function reconcile<O, P, D, V = never>(
  adapter: Adapter<O, P, D, V>,
  options: LoopOptions<O, P>,
): Promise<Reconciled<O, P, D, V>> {
  let { observed, plan } = options.initial ?? (await look(adapter));
  const results: StepResult<D>[] = [];
  let applied: Applied<D> | undefined;
  let replanned = 0;
  /** The look at the bound a converging run takes after its last apply: nothing of it is applied. */
  let bounded = false;
  while (options.policy !== 'dry-run') {
    const phases = applyPolicy(adapter.phases(plan), options.policy);
    if (isEmpty(phases)) {
      // A re-plan that needs nothing ends the run as an empty apply would: nothing held, no stop.
      if (applied) applied = { results: [], held: [] };
      break;
    }
    if (bounded) break;
    let fresh: O | undefined;
    applied = await applyPlan(phases, {
      ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
      ...(adapter.guard ? { guard: adapter.guard(plan, (o) => (fresh = o)) } : {}),
    });
    results.push(...applied.results);
    const again =
      applied.stopped?.kind === 'replan' || (applied.stopped?.kind !== 'stop' && adapter.again?.(applied) === true);
    if (!again) break;
    // At the bound a converging run still looks once more (and applies nothing of it), so it ends on
    // what its last apply left: verify judges that look, never the plan it just carried out.
    bounded = replanned >= options.replans;
    if (bounded && !adapter.again) break;
    if (!bounded) replanned += 1;
    observed = fresh ?? (await adapter.observe());
    plan = adapter.plan(observed);
    adapter.planned?.(observed, plan);
  }
  const run: Run<O, P, D> = { observed, plan, results, ...(applied ? { applied } : {}), replanned };
  const verified = await adapter.verify?.(run);
  return verified === undefined ? run : { ...run, verified };
}

async function look<O, P, D, V>(adapter: Adapter<O, P, D, V>): Promise<{ observed: O; plan: P }> {
  const observed = await adapter.observe();
  const plan = adapter.plan(observed);
  adapter.planned?.(observed, plan);
  return { observed, plan };
}
