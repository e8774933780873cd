/** Planning stays fast at 100,000 entries (issue 3 performance; `npm run bench` reports the ratio to cidr-tools). */
import { describe, expect, it } from 'vitest';
import type { AllowlistConfig } from '../../shared/allowlist/config.js';
import { applyAllowlistSteps } from '../../shared/plan/allowlist-check.js';
import { desiredAllowlist, planAllowlist } from '../../shared/plan/allowlist.js';
import { DEFAULT_RULE, SAFETY } from './helpers.js';

function config(cidrs: readonly string[]): AllowlistConfig {
  return {
    version: 1,
    source: 'bench',
    mode: 'sync',
    priorities: { from: 1000, to: 30999 },
    safety: SAFETY,
    lists: [{ name: 'big', policies: ['p'], preview: false, entries: cidrs.map((c, i) => ({ kind: 'static', input: c, cidrs: [c], description: 'd', where: `bench:${i}` })) }],
  };
}

describe('allowlist planning at scale', () => {
  it('plans 100,000 entries in well under the budget, and one change costs one call', () => {
    const cidrs = Array.from({ length: 100_000 }, (_, i) => `${10 + (i >> 15)}.${(i >> 7) & 255}.${(i & 127) * 2}.0/24`);
    const started = performance.now();
    const plan = planAllowlist(desiredAllowlist(config(cidrs), { policy: 'p', now: new Date() }), [DEFAULT_RULE]);
    const elapsed = performance.now() - started;
    expect(plan.steps).toHaveLength(10_000);
    expect(elapsed).toBeLessThan(4000); // ~0.4 s on an idle 2-core machine; generous for loaded CI
    const rules = applyAllowlistSteps([DEFAULT_RULE], plan.steps);
    const swapped = [...cidrs.slice(0, 500), '192.0.2.0/24', ...cidrs.slice(501)];
    const next = planAllowlist(desiredAllowlist(config(swapped), { policy: 'p', now: new Date() }), rules);
    expect(next.steps.map((s) => `${s.kind}@${s.priority}`)).toEqual(['patchRule@1050']);
  });
});
