/**
 * Replaying allowlist steps on a rule list, without the cloud: what tests, the emulator's invariant
 * watcher and `netreflex plan` use to show what a plan does at every point, not only at the end.
 *
 * The model: an address is allowed when some enforced allow rule (action `allow`, not preview)
 * lists it. Deny rules at higher precedence are not modelled; the planner never writes them and
 * refuses foreign rules inside its band.
 */
import { intersect, subtract, toCidrs, type RangeSet } from '../net/cidr.js';
import type { AllowlistStep } from './allowlist-order.js';
import { allowedBy, type PolicyRule } from './allowlist-rules.js';

/** The rules after applying `steps` in order; throws on a step Cloud Armor would reject (duplicate or missing priority). */
export function applyAllowlistSteps(rules: readonly PolicyRule[], steps: readonly AllowlistStep[]): PolicyRule[] {
  const byPriority = new Map(rules.map((r) => [r.priority, r]));
  for (const step of steps) applyStep(byPriority, step);
  return [...byPriority.values()].sort((a, b) => a.priority - b.priority);
}

function applyStep(rules: Map<number, PolicyRule>, step: AllowlistStep): void {
  const exists = rules.has(step.priority);
  if (step.kind === 'addRule' && exists)
    throw new Error(`addRule at ${step.priority}: a rule already has that priority`);
  if (step.kind !== 'addRule' && !exists)
    throw new Error(`${step.kind} at ${step.priority}: no rule has that priority`);
  if (step.kind === 'removeRule') rules.delete(step.priority);
  else rules.set(step.priority, structuredClone(step.rule));
}

/** Allowed addresses before any step (index 0) and after each step (index i + 1). */
export function allowedAfterEachStep(current: readonly PolicyRule[], steps: readonly AllowlistStep[]): RangeSet[] {
  const rules = new Map(current.map((r) => [r.priority, r]));
  const out = [allowedBy(rules.values())];
  for (const step of steps) {
    applyStep(rules, step);
    out.push(allowedBy(rules.values()));
  }
  return out;
}

/**
 * Every moment an address allowed both before and after the whole sync was denied, as
 * `{step, denied}` (step = number of steps applied). Empty means the plan is make-before-break.
 */
export function continuityViolations(
  current: readonly PolicyRule[],
  steps: readonly AllowlistStep[],
): { step: number; denied: string[] }[] {
  const states = allowedAfterEachStep(current, steps);
  const mustKeep = intersect(states[0]!, states.at(-1)!);
  return states.flatMap((allowed, step) => {
    const denied = subtract(mustKeep, allowed);
    return denied.length ? [{ step, denied: toCidrs(denied) }] : [];
  });
}
