/** Allowlist steps as people read them: which rule, which list, which ranges come and go. */
import type { AllowlistStep, PolicyRule } from './allowlist.js';
import { ruleRanges } from './allowlist-rules.js';
import type { Timed } from '../util/timed.js';

export interface StepSummary {
  readonly kind: AllowlistStep['kind'];
  readonly priority: number;
  readonly list: string;
  /** A temporary rule that keeps a rotation free of lock-out windows. */
  readonly bridge?: true;
  readonly preview?: boolean;
  /** Ranges in the rule after the step (0 for a removal). */
  readonly ranges: number;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * A step as the allowlist report shows it, with its outcome (`noop`: the rule was already as
 * wanted — a retried call whose first answer was lost).
 */
export interface StepResult extends Readonly<Timed> {
  readonly step: StepSummary;
}

const cidrsOf = (rule: PolicyRule | undefined) => (rule ? [...new Set(ruleRanges(rule).map((r) => r.cidr))] : []);

export function describeStep(step: AllowlistStep): StepSummary {
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, an addRule step has no before and cidrsOf(undefined) is [] as well; the check narrows the union for TypeScript
  const before = step.kind === 'addRule' ? [] : cidrsOf(step.before);
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, a removeRule step has no rule and cidrsOf(undefined) is [] as well; the check narrows the union for TypeScript
  const after = step.kind === 'removeRule' ? [] : cidrsOf(step.rule);
  return {
    kind: step.kind,
    priority: step.priority,
    list: step.list,
    ...('bridge' in step && step.bridge ? { bridge: true as const } : {}),
    ...(step.kind === 'removeRule' ? {} : { preview: step.rule.preview }),
    ranges: after.length,
    added: after.filter((c) => !before.includes(c)),
    removed: before.filter((c) => !after.includes(c)),
  };
}

/** Same rule as Cloud Armor evaluates it: action, preview, description and the set of ranges. */
export function sameRule(a: PolicyRule | undefined, b: PolicyRule | undefined): boolean {
  if (!a || !b) return a === b;
  const [ra, rb] = [cidrsOf(a), cidrsOf(b)];
  return (
    a.action === b.action &&
    (a.preview === true) === (b.preview === true) &&
    (a.description ?? '') === (b.description ?? '') &&
    ra.length === rb.length &&
    ra.every((c) => rb.includes(c))
  );
}

/** Same rule set, priority by priority. */
export function sameRules(a: readonly PolicyRule[], b: readonly PolicyRule[]): boolean {
  const byPriority = new Map(b.map((r) => [r.priority, r]));
  return a.length === b.length && a.every((r) => sameRule(r, byPriority.get(r.priority)));
}
