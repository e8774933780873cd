/**
 * The one runner every reconciler applies its plan with (plan.ts says what a plan is). It never
 * throws for a failed step: each step ends as a result (`{ok, noop?, error?, transient?, ms}`) and
 * the runner decides what may still run.
 *
 * - Phases run in order; a phase's steps run `concurrency` at a time.
 * - An `ordered` phase stops at its first failure, and nothing after it runs.
 * - A destructive phase runs only when every earlier step succeeded; a step of it that names its
 *   dependencies (`after`) runs when one of them succeeded (or, with `after: []`, always).
 * - The guard is asked before every phase, and before every step of a sequential phase: `go`;
 *   `replan` — the world is no longer what the plan was made from, stop and plan again from a fresh
 *   observation; or `stop` — someone newer owns this (a newer sync claimed the policy), leave it.
 *
 * Steps that did not run are listed in `held`, each with why, so the report can say what waits.
 */
import { errorMessage, isTransient } from '../errors.js';
import { mapLimit } from '../util/concurrency.js';
import type { Timed } from '../util/timed.js';
import type { Phase, Plan, Step } from './plan.js';
import { failureOf, type FailureKind } from './report.js';

export type Verdict = { readonly kind: 'go' } | { readonly kind: 'replan' | 'stop'; readonly why: string };

export const GO: Verdict = { kind: 'go' };

/** Asked before each phase (`step` unset) and before each step of a sequential phase, with what ran so far. */
export type Guard<D> = (next: {
  readonly phase: Phase<D>;
  readonly step?: Step<D>;
  readonly applied: number;
  readonly results: readonly StepResult<D>[];
}) => Promise<Verdict> | Verdict;

export interface StepResult<D = unknown> extends Timed {
  readonly id: string;
  readonly kind: string;
  readonly detail: D;
  /** The `reason` of the API error that failed the step, when it had one (e.g. `nameTaken`). */
  readonly reason?: string;
  /** A failed step's kind by the kernel's rule (report.ts `failureOf`): what the caller can do about it. */
  readonly failure?: FailureKind;
}

export interface Held<D = unknown> {
  readonly step: Step<D>;
  readonly why: string;
  /** The failed steps it waited for (its `after`, or every earlier failure). */
  readonly failed: readonly StepResult<D>[];
}

export interface Applied<D = unknown> {
  readonly results: StepResult<D>[];
  readonly held: Held<D>[];
  /** Why the run ended before the plan did: a failure in an ordered phase, or the guard. */
  readonly stopped?: { readonly kind: 'failed' } | { readonly kind: 'replan' | 'stop'; readonly why: string };
}

export interface ApplyOptions<D> {
  readonly guard?: Guard<D>;
  /** Epoch ms by which operation waits must give up. */
  readonly deadline?: number;
}

/** Runs one step; never throws. */
export async function runStep<D>(step: Step<D>, deadline?: number): Promise<StepResult<D>> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const base = { id: step.id, kind: step.kind, detail: step.detail };
  try {
    const noop = (await step.run(deadline === undefined ? {} : { deadline })) === true;
    return { ...base, ok: true, ...(noop ? { noop } : {}), ms: ms() };
  } catch (err) {
    const reason = (err as { reason?: unknown } | null)?.reason;
    return {
      ...base,
      ok: false,
      error: errorMessage(err),
      transient: isTransient(err),
      failure: failureOf(err).kind,
      ms: ms(),
      ...(typeof reason === 'string' ? { reason } : {}),
    };
  }
}

export async function applyPlan<D>(plan: Plan<D>, options: ApplyOptions<D> = {}): Promise<Applied<D>> {
  const results: StepResult<D>[] = [];
  const held: Held<D>[] = [];
  const holdRest = (from: number, why: string) => {
    for (const p of plan.phases.slice(from))
      for (const step of p.steps) if (!results.some((r) => r.id === step.id)) held.push({ step, why, failed: [] });
  };
  for (const [i, p] of plan.phases.entries()) {
    if (p.steps.length === 0) continue;
    const verdict = await ask(options.guard, p, undefined, results);
    if (verdict.kind !== 'go') {
      holdRest(i, verdict.why);
      return { results, held, stopped: verdict };
    }
    const runnable = p.destructive ? gate(p, results, held) : [...p.steps];
    const stopped = await runPhase(p, runnable, results, options);
    if (stopped) {
      holdRest(i, stopped.kind === 'failed' ? `an earlier step of the ordered phase ${p.name} failed` : stopped.why);
      return { results, held, stopped };
    }
  }
  return { results, held };
}

const ask = async <D>(
  guard: Guard<D> | undefined,
  phase: Phase<D>,
  step: Step<D> | undefined,
  results: readonly StepResult<D>[],
): Promise<Verdict> =>
  guard ? guard({ phase, ...(step ? { step } : {}), applied: results.length, results: [...results] }) : GO;

/**
 * Whether a step of a destructive phase runs, given what ran before: without `after`, only when
 * every earlier step succeeded; with it, when one of the steps it names did (`[]`: always).
 */
export function mayRun<D>(step: Step<D>, results: readonly StepResult<D>[]): boolean {
  if (step.after === undefined) return results.every((r) => r.ok);
  return step.after.length === 0 || results.some((r) => r.ok && step.after!.includes(r.id));
}

/** The steps of a destructive phase that may run (`mayRun`); the rest go to `held`, each with why. */
function gate<D>(p: Phase<D>, results: readonly StepResult<D>[], held: Held<D>[]): Step<D>[] {
  return p.steps.filter((step) => {
    if (mayRun(step, results)) return true;
    held.push(
      step.after === undefined
        ? { step, why: 'earlier steps failed: destructive steps are skipped', failed: results.filter((r) => !r.ok) }
        : {
            step,
            why: 'none of the steps it waits for succeeded',
            failed: results.filter((r) => !r.ok && step.after!.includes(r.id)),
          },
    );
    return false;
  });
}

async function runPhase<D>(
  p: Phase<D>,
  steps: readonly Step<D>[],
  results: StepResult<D>[],
  options: ApplyOptions<D>,
): Promise<Applied<D>['stopped']> {
  if (p.concurrency > 1) {
    const done = await mapLimit(steps, p.concurrency, (step) => runStep(step, options.deadline));
    results.push(...done);
    return p.ordered && done.some((r) => !r.ok) ? { kind: 'failed' } : undefined;
  }
  for (const step of steps) {
    const verdict = await ask(options.guard, p, step, results);
    if (verdict.kind !== 'go') return verdict;
    const result = await runStep(step, options.deadline);
    results.push(result);
    if (!result.ok && p.ordered) return { kind: 'failed' };
  }
  return undefined;
}

/** Calls that changed state: successful steps that were not no-ops. */
export const mutationsOf = (results: readonly Timed[]): number => results.filter((r) => r.ok && !r.noop).length;
