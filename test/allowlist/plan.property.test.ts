/**
 * Properties of the allowlist planner against an independent, deliberately naive model: every
 * address enumerated one by one (the ranges live in 10.0.0.0/24 and 2001:db8::/120 so the model
 * stays small), no interval arithmetic shared with the code under test.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Allowlist, AllowlistEntry } from '../../shared/allowlist/model.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { applyAllowlistSteps, continuityViolations } from '../../shared/plan/allowlist-check.js';
import { desiredAllowlist, planAllowlist, type PolicyRule } from '../../shared/plan/allowlist.js';
import { DEFAULT_RULE, SAFETY } from './helpers.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const FOREIGN: PolicyRule = {
  priority: 500,
  action: 'deny(403)',
  description: 'block a scanner',
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['192.0.2.66/32'] } },
};

interface ModelEntry {
  family: 4 | 6;
  offset: number;
  prefix: number;
  expiresInHours?: number;
}

const entryArb: fc.Arbitrary<ModelEntry> = fc.record(
  {
    family: fc.constantFrom(4 as const, 4 as const, 4 as const, 6 as const),
    offset: fc.integer({ min: 0, max: 255 }),
    prefix: fc.integer({ min: 0, max: 6 }),
    expiresInHours: fc.integer({ min: -48, max: 48 }),
  },
  { requiredKeys: ['family', 'offset', 'prefix'] },
);
const listsArb = fc.array(fc.array(entryArb, { maxLength: 30 }), { minLength: 0, maxLength: 3 });

/** Entry text in the small windows: host bits cleared here, the planner gets canonical CIDRs as from the parser. */
function cidrOf(e: ModelEntry): string {
  const hostBits = e.prefix;
  const offset = (e.offset >> hostBits) << hostBits;
  return e.family === 4 ? `10.0.0.${offset}/${32 - hostBits}` : `2001:db8::${offset.toString(16)}/${128 - hostBits}`;
}

function allowlistOf(lists: ModelEntry[][], mode: Allowlist['mode'] = 'sync', force = true): Allowlist {
  return {
    version: 1,
    source: 'model',
    mode,
    priorities: { from: 1000, to: 1999 },
    safety: { ...SAFETY, force },
    lists: lists.map((entries, i) => ({
      name: `list-${i}`,
      policies: ['inference-policy'],
      preview: false,
      entries: entries.map((e, j): AllowlistEntry => ({
        kind: 'static',
        input: cidrOf(e),
        cidrs: [cidrOf(e)],
        description: `entry ${j}`,
        where: `model:${j}`,
        ...(e.expiresInHours === undefined ? {} : { expires: new Date(NOW.getTime() + e.expiresInHours * 3_600_000) }),
      })),
    })),
  };
}

/** The naive model: the set of allowed addresses, one string per address. */
function modelAllowed(lists: ModelEntry[][]): Set<string> {
  const out = new Set<string>();
  for (const e of lists.flat()) {
    if (e.expiresInHours !== undefined && e.expiresInHours <= 0) continue;
    const size = 2 ** e.prefix;
    const start = (e.offset >> e.prefix) << e.prefix;
    for (let a = start; a < start + size; a++) out.add(`${e.family}:${a}`);
  }
  return out;
}

/** Addresses the rules allow, enumerated from the rule text (only the two small windows occur). */
function rulesAllowed(rules: readonly PolicyRule[]): Set<string> {
  const out = new Set<string>();
  for (const rule of rules) {
    if (rule.action !== 'allow' || rule.preview) continue;
    for (const text of rule.match?.config?.srcIpRanges ?? []) {
      const [addr, bits] = text.split('/') as [string, string];
      const family = addr.includes(':') ? 6 : 4;
      const last = family === 4 ? Number(addr.split('.')[3]) : parseInt(addr.split('::')[1] || '0', 16);
      const size = 2 ** ((family === 4 ? 32 : 128) - Number(bits));
      for (let a = last; a < last + size; a++) out.add(`${family}:${a}`);
    }
  }
  return out;
}

function sync(lists: ModelEntry[][], current: readonly PolicyRule[], mode: Allowlist['mode'] = 'sync', force = true) {
  const want = desiredAllowlist(allowlistOf(lists, mode, force), { policy: 'inference-policy', now: NOW });
  const plan = planAllowlist(want, current);
  return { want, plan, rules: applyAllowlistSteps(current, plan.steps) };
}

describe('planAllowlist properties', () => {
  it('allows exactly the unexpired entries, ≤ 10 ranges per rule, continuity at every step, second run empty', () => {
    fc.assert(
      fc.property(listsArb, listsArb, (first, second) => {
        const start = sync(first, [DEFAULT_RULE, FOREIGN]).rules;
        const { want, plan, rules } = sync(second, start);
        expect(rulesAllowed(rules)).toEqual(modelAllowed(second));
        for (const rule of rules) expect(rule.match?.config?.srcIpRanges?.length ?? 0).toBeLessThanOrEqual(10);
        expect(continuityViolations(start, plan.steps)).toEqual([]);
        expect(planAllowlist(want, rules).steps).toEqual([]);
        expect(rules.filter((r) => r.priority < 1000 || r.priority > 1999)).toEqual([FOREIGN, DEFAULT_RULE]);
      }),
      { numRuns: 300 },
    );
  });

  it('adding or removing one entry that merges with nothing changes at most one rule', () => {
    let changed = 0;
    fc.assert(
      fc.property(
        fc.array(
          entryArb.map((e) => ({ ...e, family: 4 as const, prefix: 0 })),
          { minLength: 1, maxLength: 60 },
        ),
        fc.nat(),
        fc.integer({ min: 0, max: 127 }),
        (entries, pick, fresh) => {
          const live = entries.map(({ expiresInHours: _, ...e }) => ({ ...e, offset: e.offset & ~1 }));
          const start = sync([live], [DEFAULT_RULE]).rules;
          const added = sync([[...live, { family: 4, offset: fresh * 2, prefix: 0 }]], start).plan;
          expect(added.steps.length).toBeLessThanOrEqual(1);
          const removed = sync([live.filter((_, i) => i !== pick % live.length)], start).plan;
          expect(removed.steps.length).toBeLessThanOrEqual(1);
          if (added.steps.length === 1 && removed.steps.length === 1) changed++;
        },
      ),
      { numRuns: 200 },
    );
    // The one rule does change in most cases (the fresh entry is not already there, the picked one not duplicated).
    expect(changed).toBeGreaterThan(100);
  });

  it('upsert-only never stops allowing anything', () => {
    fc.assert(
      fc.property(listsArb, listsArb, (first, second) => {
        const start = sync(first, [DEFAULT_RULE]).rules;
        const { rules, plan } = sync(second, start, 'upsert-only');
        const before = rulesAllowed(start);
        const after = rulesAllowed(rules);
        for (const a of before) expect(after.has(a)).toBe(true);
        for (const a of modelAllowed(second)) expect(after.has(a)).toBe(true);
        expect(plan.steps.some((s) => s.kind === 'removeRule')).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('without force, refuses exactly when more than half the addresses of a family would go', () => {
    const seen = { refused: 0, planned: 0 };
    fc.assert(
      fc.property(listsArb, listsArb, (first, second) => {
        const start = sync(first, [DEFAULT_RULE]).rules;
        const before = rulesAllowed(start);
        const after = modelAllowed(second);
        // Addresses only expired entries name leave on their date: that never counts as removal.
        const expiredOnly = modelAllowed(
          second.map((l) =>
            l
              .filter((e) => e.expiresInHours !== undefined && e.expiresInHours <= 0)
              .map(({ expiresInHours: _, ...e }) => e),
          ),
        );
        const tooMuch = ([4, 6] as const).some((f) => {
          const total = [...before].filter((a) => a.startsWith(`${f}:`));
          const gone = total.filter((a) => !after.has(a) && !expiredOnly.has(a));
          return total.length > 0 && gone.length / total.length > 0.5;
        });
        let refused = false;
        try {
          sync(second, start, 'sync', false);
        } catch (err) {
          if (!(err instanceof AllowlistSafetyError) || err.refusal !== 'removal-share') throw err;
          refused = true;
        }
        expect(refused).toBe(tooMuch);
        seen[refused ? 'refused' : 'planned']++;
      }),
      { numRuns: 200 },
    );
    // Not vacuous: the generated pairs fall on both sides of the threshold.
    expect(seen.refused).toBeGreaterThan(10);
    expect(seen.planned).toBeGreaterThan(10);
  });

  it('a tiny band is either enough or refused up front, never overfilled', () => {
    const seen = { refused: 0, planned: 0 };
    fc.assert(
      fc.property(listsArb, fc.integer({ min: 1, max: 4 }), (lists, size) => {
        const allowlist = { ...allowlistOf(lists), priorities: { from: 1000, to: 999 + size } };
        try {
          const plan = planAllowlist(desiredAllowlist(allowlist, { policy: 'inference-policy', now: NOW }), [
            DEFAULT_RULE,
          ]);
          const rules = applyAllowlistSteps([DEFAULT_RULE], plan.steps);
          expect(rules.filter((r) => r.priority >= 1000 && r.priority < 1000 + size).length).toBe(rules.length - 1);
          expect(rulesAllowed(rules)).toEqual(modelAllowed(lists));
          seen.planned++;
        } catch (err) {
          if (!(err instanceof AllowlistSafetyError) || err.refusal !== 'band-full') throw err;
          seen.refused++;
        }
      }),
      { numRuns: 150 },
    );
    // Not vacuous: about one case in seven needs more rules than the band has.
    expect(seen.refused).toBeGreaterThan(3);
    expect(seen.planned).toBeGreaterThan(50);
  });
});
