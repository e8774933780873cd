/** Planning at 100,000 entries: the shape of the plan at scale. Its speed is measured by `npm run bench` (vs cidr-tools), not asserted here. */
import { describe, expect, it } from 'vitest';
import type { Allowlist } from '../../shared/allowlist/model.js';
import { applyAllowlistSteps } from '../../shared/plan/allowlist-check.js';
import { desiredAllowlist, planAllowlist } from '../../shared/plan/allowlist.js';
import { DEFAULT_RULE, SAFETY } from './helpers.js';

function allowlistOf(cidrs: readonly string[]): Allowlist {
  return {
    version: 1,
    source: 'bench',
    mode: 'sync',
    priorities: { from: 1000, to: 30999 },
    safety: SAFETY,
    lists: [
      {
        name: 'big',
        policies: ['p'],
        preview: false,
        entries: cidrs.map((c, i) => ({ kind: 'static', input: c, cidrs: [c], description: 'd', where: `bench:${i}` })),
      },
    ],
  };
}

describe('allowlist planning at scale', () => {
  it('plans 100,000 entries into 10,000 rules, and one changed entry costs one call', () => {
    const cidrs = Array.from(
      { length: 100_000 },
      (_, i) => `${10 + (i >> 15)}.${(i >> 7) & 255}.${(i & 127) * 2}.0/24`,
    );
    const plan = planAllowlist(desiredAllowlist(allowlistOf(cidrs), { policy: 'p', now: new Date() }), [DEFAULT_RULE]);
    expect(plan.steps).toHaveLength(10_000);
    const rules = applyAllowlistSteps([DEFAULT_RULE], plan.steps);
    const swapped = [...cidrs.slice(0, 500), '192.0.2.0/24', ...cidrs.slice(501)];
    const next = planAllowlist(desiredAllowlist(allowlistOf(swapped), { policy: 'p', now: new Date() }), rules);
    expect(next.steps.map((s) => `${s.kind}@${s.priority}`)).toEqual(['patchRule@1050']);
  });
});
