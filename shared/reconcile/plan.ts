/**
 * What every netreflex reconciler plans: **phases of idempotent steps**. The planners in
 * `shared/plan/` decide *what* must change; their adapter turns that into a `Plan` the one runner
 * (`apply.ts`) can apply, whatever the cloud resource — routes, Cloud Armor rules, PSA ranges.
 *
 * - A **step** is one cloud call that is safe to repeat: it answers `true` when the state was
 *   already as wanted (a 409 on an identical route, a rule already patched), so a retry after a lost
 *   answer is a no-op, not an error.
 * - A **phase** is steps that may run together (`concurrency`), in the order the planner chose.
 *   `ordered` phases stop at their first failure and nothing after them runs (the allowlist's steps,
 *   where the order is what keeps every caller that stays allowed allowed; the PSA wiring, where
 *   each step needs the one before it).
 * - A **destructive** phase takes something away (a route, allowed addresses). It runs only after
 *   every earlier step succeeded — firebase-tools' `Fabricator.applyPlan`: "Deploys failed.
 *   Skipping deletes." — except steps that name what they depend on (`after`): such a step runs when
 *   any of those succeeded (a route delete waits for *its* replacement only, so one failed insert
 *   holds back exactly the deletes it would have replaced), and a step with `after: []` depends on
 *   nothing (a route to a VM Google no longer has carries no traffic).
 *
 * Policies are filters over a plan (external-dns `plan/policy.go`): `sync` applies it all,
 * `upsert-only` drops the destructive phases, `dry-run` applies nothing and reports the plan.
 */

export interface StepContext {
  /** Epoch ms by which the step's operation waits must give up (the event's budget), if any. */
  readonly deadline?: number;
}

export interface Step<D = unknown> {
  /** Unique within the plan: what the report and `after` name (`insert netreflex-…`). */
  readonly id: string;
  /** What people read: `insert`, `delete`, `addRule`, `createAddress` … */
  readonly kind: string;
  /** The cloud call; answers true when nothing had to change (already as wanted). */
  readonly run: (ctx: StepContext) => Promise<boolean | void>;
  /** Only in a destructive phase: ids of steps of which one must have succeeded first; `[]` = none. */
  readonly after?: readonly string[];
  /** The planner's change, for the report. */
  readonly detail: D;
}

export interface Phase<D = unknown> {
  readonly name: string;
  readonly steps: readonly Step<D>[];
  /** Steps in flight at once (1 = one after another, in order). */
  readonly concurrency: number;
  readonly destructive: boolean;
  /** Stop at the first failure; no later phase runs. */
  readonly ordered?: boolean;
}

export interface Plan<D = unknown> {
  readonly phases: readonly Phase<D>[];
}

export const POLICIES = ['sync', 'upsert-only', 'dry-run'] as const;
export type Policy = (typeof POLICIES)[number];

/** A phase with defaults: sequential, not destructive. */
export function phase<D>(
  name: string,
  steps: readonly Step<D>[],
  options: Partial<Omit<Phase<D>, 'name' | 'steps'>> = {},
): Phase<D> {
  return {
    name,
    steps,
    concurrency: options.concurrency ?? 1,
    destructive: options.destructive ?? false,
    ...(options.ordered ? { ordered: true } : {}),
  };
}

export const stepsOf = <D>(plan: Plan<D>): Step<D>[] => plan.phases.flatMap((p) => [...p.steps]);

export const isEmpty = (plan: Plan): boolean => plan.phases.every((p) => p.steps.length === 0);

/** The plan a policy lets through: everything, no destructive phase, or nothing. */
export function applyPolicy<D>(plan: Plan<D>, policy: Policy): Plan<D> {
  switch (policy) {
    case 'sync':
      return plan;
    case 'upsert-only':
      return { phases: plan.phases.filter((p) => !p.destructive) };
    case 'dry-run':
      return { phases: [] };
  }
}

/**
 * Splits steps the planner put in order into ordered phases of like destructiveness, keeping the
 * order: `[add, add, shrink, add, remove]` → `upserts, destructive, upserts, destructive`.
 */
export function orderedPhases<D>(steps: readonly Step<D>[], destructive: (step: Step<D>) => boolean): Phase<D>[] {
  const phases: { destructive: boolean; steps: Step<D>[] }[] = [];
  for (const step of steps) {
    const d = destructive(step);
    const last = phases.at(-1);
    if (last && last.destructive === d) last.steps.push(step);
    else phases.push({ destructive: d, steps: [step] });
  }
  return phases.map((p, i) =>
    phase(`${i + 1}-${p.destructive ? 'destructive' : 'upserts'}`, p.steps, {
      destructive: p.destructive,
      ordered: true,
    }),
  );
}
