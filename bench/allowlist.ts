/**
 * (c) Allowlist mutations per change: a 2,000-entry allowlist, one entry added, then one removed;
 * mutating Cloud Armor calls (addRule/patchRule/removeRule) the planner's steps cost, beside
 * re-chunking the sorted list into rules of 10 (what a naive sync does). The floor is 1.
 * (d) Allowlist planning time at 100,000 entries: netreflex's merge + plan beside cidr-tools'
 * `mergeCidr` on the same input (merging alone — the library has no planner).
 */
import { mergeCidr } from 'cidr-tools';
import { aggregateCidrs } from '../shared/net/cidr.js';
import { safetySchema } from '../shared/allowlist/schema.js';
import { planAllowlist, type DesiredAllowlist } from '../shared/plan/allowlist.js';
import { applyAllowlistSteps } from '../shared/plan/allowlist-check.js';
import { figure, type BenchContext, type BenchModule } from './types.js';

const addr = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const BASE = (100 << 24) >>> 0; // 100.0.0.0 (shared address space: never a real caller)

function desired(cidrs: readonly string[], band = { from: 1000, to: 1999 }): DesiredAllowlist {
  return {
    policy: 'inference-policy',
    mode: 'sync',
    priorities: band,
    safety: safetySchema.parse({ maxRemovalShare: 1 }),
    lists: [{ name: 'partners', preview: false, cidrs }],
    expiredEntries: 0,
    expired: [],
    expiredCidrs: [],
  };
}

/** Rules a naive sync rewrites: the sorted list cut into rules of 10, compared position by position. */
function naiveChanges(before: readonly string[], after: readonly string[]): number {
  const chunks = (l: readonly string[]) =>
    Array.from({ length: Math.ceil(l.length / 10) }, (_, i) => l.slice(i * 10, i * 10 + 10).join(','));
  const [a, b] = [chunks(before), chunks(after)];
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => a[i] !== b[i]).filter(Boolean).length;
}

function mutationsPerChange(): { ours: number[]; naive: number[] } {
  const entries = Array.from({ length: 2000 }, (_, i) => `${addr(BASE + i * 4)}/32`);
  const rules = applyAllowlistSteps([], planAllowlist(desired(entries), []).steps);
  const added = [...entries.slice(0, 1000), `${addr(BASE + 1000 * 4 - 2)}/32`, ...entries.slice(1000)];
  const removed = entries.filter((_, i) => i !== 1000);
  const addSteps = planAllowlist(desired(added), rules).steps.length;
  const removeSteps = planAllowlist(desired(removed), rules).steps.length;
  return { ours: [addSteps, removeSteps], naive: [naiveChanges(entries, added), naiveChanges(entries, removed)] };
}

/** 100,000 addresses: 400 whole /24s, shuffled, 2,400 left out at random — duplicates, neighbours, holes. */
function bigInput(): string[] {
  const all = Array.from({ length: 400 * 256 }, (_, i) => BASE + (i >> 8) * 512 + (i & 255));
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, 100_000).map((n) => `${addr(n)}/32`);
}

function time(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

async function run(ctx: BenchContext) {
  const { ours, naive } = mutationsPerChange();
  const input = bigInput();
  const plan: number[] = [];
  const library: number[] = [];
  const merge: number[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    merge.push(time(() => aggregateCidrs(input)));
    plan.push(time(() => planAllowlist(desired(aggregateCidrs(input), { from: 1000, to: 99_999 }), [])));
    library.push(time(() => mergeCidr(input)));
  }
  ctx.log(
    `allowlist: steps per change ${ours.join(', ')} (naive ${naive.join(', ')}); planning ${plan.map(Math.round).join(', ')} ms vs cidr-tools ${library.map(Math.round).join(', ')} ms`,
  );
  return [
    figure({
      id: 'allowlist.mutations-add',
      what: 'allowlist 2,000 entries, +1 entry: mutating calls',
      unit: 'calls',
      samples: [ours[0]!],
      baseline: { what: 're-chunk sorted list by 10', samples: [naive[0]!] },
      target: { text: '1 (the floor)', test: (v) => v <= 1 },
    }),
    figure({
      id: 'allowlist.mutations-remove',
      what: 'allowlist 2,000 entries, −1 entry: mutating calls',
      unit: 'calls',
      samples: [ours[1]!],
      baseline: { what: 're-chunk sorted list by 10', samples: [naive[1]!] },
      target: { text: '1 (the floor)', test: (v) => v <= 1 },
    }),
    figure({
      id: 'allowlist.merge-100k',
      what: 'allowlist merge, 100,000 entries (netreflex aggregate)',
      unit: 'ms',
      samples: merge,
      baseline: { what: 'cidr-tools mergeCidr', samples: library },
    }),
    figure({
      id: 'allowlist.planning-100k',
      what: 'allowlist planning, 100,000 entries (merge + plan)',
      unit: 'ms',
      samples: plan,
      baseline: { what: 'cidr-tools mergeCidr alone', samples: library },
    }),
  ];
}

export const allowlistBench: BenchModule = {
  id: 'allowlist',
  title: 'Allowlist mutations per change and planning time',
  run,
};
