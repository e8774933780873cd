/** Builders shared by the allowlist tests: desired lists, current rules, applying plans. */
import { expect } from 'vitest';
import { parseAllowlist } from '../../shared/allowlist/parse.js';
import type { Allowlist } from '../../shared/allowlist/model.js';
import { DEFAULT_PRIORITIES, type AllowlistSafety } from '../../shared/allowlist/schema.js';
import { applyAllowlistSteps, continuityViolations } from '../../shared/plan/allowlist-check.js';
import {
  planAllowlist,
  type AllowlistPlan,
  type DesiredAllowlist,
  type PlanAllowlistOptions,
  type PolicyRule,
} from '../../shared/plan/allowlist.js';

export const SAFETY: AllowlistSafety = {
  minPrefixLength: { ipv4: 16, ipv6: 48 },
  allowWorldOpen: false,
  maxRemovalShare: 0.5,
  force: false,
};

export const DEFAULT_RULE: PolicyRule = {
  priority: 2147483647,
  action: 'deny(403)',
  description: 'Default rule, higher priority overrides it',
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
};

export function desired(lists: Record<string, string[]>, extra: Partial<DesiredAllowlist> = {}): DesiredAllowlist {
  return {
    policy: 'inference-policy',
    mode: 'sync',
    priorities: DEFAULT_PRIORITIES,
    safety: SAFETY,
    expiredEntries: 0,
    expired: [],
    expiredCidrs: [],
    lists: Object.entries(lists).map(([name, cidrs]) => ({ name, preview: false, cidrs })),
    ...extra,
  };
}

export function allowlistOf(yaml: string): Allowlist {
  const result = parseAllowlist(yaml, 'test.yaml');
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  return result.allowlist;
}

/** Plans, checks make-before-break, applies; returns the plan and the rules after it. */
export function planAndApply(
  want: DesiredAllowlist,
  current: readonly PolicyRule[],
  options?: PlanAllowlistOptions,
): { plan: AllowlistPlan; rules: PolicyRule[] } {
  const plan = planAllowlist(want, current, options);
  expect(continuityViolations(current, plan.steps)).toEqual([]);
  const rules = applyAllowlistSteps(current, plan.steps);
  for (const rule of rules) expect(rule.match?.config?.srcIpRanges?.length ?? 0).toBeLessThanOrEqual(10);
  return { plan, rules };
}

/** `n` distinct /32s in 198.51.100.0/24 … starting at `from`, never adjacent (so they do not merge). */
export function hosts(n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => {
    const k = (from + i) * 2;
    return `198.51.${100 + (k >> 8)}.${k & 255}/32`;
  });
}

export function kinds(plan: AllowlistPlan): string[] {
  return plan.steps.map((s) => `${s.kind}@${s.priority}`);
}
