import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SafetyError } from '../../shared/errors.js';
import {
  type Ipv4Block,
  blockSize,
  contains,
  findFreeBlock,
  formatIpv4Block,
  overlaps,
  parseIpv4Block,
} from '../../shared/net/ipv4-blocks.js';
import { jobsPerRange, prefixForJobs } from '../../shared/plan/capacity.js';
import { planRanges } from '../../shared/plan/ranges.js';
import { request, sampleObserved } from './fixtures.js';

const BASE = 10 * 2 ** 24; // 10.0.0.0

/** An aligned block somewhere in 10.0.0.0/8, biased towards 10.98.0.0/15 so that pools get crowded. */
const blockIn = (minPrefix: number, maxPrefix: number, base = BASE, span = 2 ** 24): fc.Arbitrary<Ipv4Block> =>
  fc
    .tuple(fc.integer({ min: minPrefix, max: maxPrefix }), fc.integer({ min: 0, max: span - 1 }))
    .map(([prefix, offset]) => {
      const start = base + offset;
      return { start: start - (start % blockSize(prefix)), prefix };
    });

/** Every aligned block of `prefix` in `pool` that overlaps nothing in `taken`, lowest first (brute force). */
function freeCandidates(pool: Ipv4Block, prefix: number, taken: readonly Ipv4Block[]): Ipv4Block[] {
  const out: Ipv4Block[] = [];
  for (let start = pool.start; start < pool.start + blockSize(pool.prefix); start += blockSize(prefix)) {
    const candidate = { start, prefix };
    if (!taken.some((t) => overlaps(candidate, t))) out.push(candidate);
  }
  return out;
}

describe('findFreeBlock properties', () => {
  it('returns the lowest aligned block in the pool that overlaps nothing taken, or none exists', () => {
    fc.assert(
      fc.property(
        blockIn(12, 20),
        fc.integer({ min: 0, max: 8 }),
        fc.array(blockIn(8, 28), { maxLength: 12 }),
        (pool, extra, takenElsewhere) => {
          const prefix = pool.prefix + extra;
          const taken = [
            ...takenElsewhere,
            ...takenElsewhere.map((t) => ({
              start: pool.start + (t.start % blockSize(pool.prefix)),
              prefix: Math.max(t.prefix, pool.prefix),
            })),
          ].map((t) => ({ start: t.start - (t.start % blockSize(t.prefix)), prefix: t.prefix }));
          const found = findFreeBlock(pool, prefix, taken);
          const expected = freeCandidates(pool, prefix, taken)[0];
          expect(found).toEqual(expected);
          if (found) {
            expect(found.start % blockSize(prefix)).toBe(0);
            expect(contains(pool, found)).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

const POOL = parseIpv4Block('10.98.0.0/15')!;

describe('planRanges allocation properties', () => {
  it('new ranges are aligned, inside the pool, disjoint, overlap nothing they were told about; one minimal range whenever one fits', () => {
    fc.assert(
      fc.property(
        fc.array(blockIn(14, 28, POOL.start - 2 ** 17, 2 ** 18), { maxLength: 10 }),
        fc.integer({ min: 1, max: 130 }),
        fc.constantFrom(1, 5, 8, 12, 16, 20, 32),
        (reserved, parallelJobs, nodesPerJob) => {
          const reservedRanges = reserved.map(formatIpv4Block);
          const observed = sampleObserved({ reservedRanges });
          const told = [
            ...reserved,
            POOL,
            parseIpv4Block('10.95.0.0/16')!,
            parseIpv4Block('10.98.0.0/21')!,
            parseIpv4Block('198.51.100.64/27')!,
          ].filter((b) => b !== POOL);
          const shortfall = parallelJobs - jobsPerRange(21, nodesPerJob);
          const single = shortfall > 0 ? prefixForJobs(shortfall, nodesPerJob) : 32;
          let plan;
          try {
            plan = planRanges(request({ parallelJobs, nodesPerJob }), observed);
          } catch (err) {
            if (!(err instanceof SafetyError)) {
              expect(String(err)).toMatch(/could ever hold/);
              expect(jobsPerRange(POOL.prefix, nodesPerJob)).toBeLessThan(shortfall);
              return;
            }
            // exhausted: no single block fits, and everything free together holds less than the shortfall
            expect(freeCandidates(POOL, single, told)).toEqual([]);
            expect(Number(/(\d+) job\(s\) in all/.exec(err.message)?.[1] ?? 0)).toBeLessThan(shortfall);
            return;
          }
          expect(plan.capacity.after).toBeGreaterThanOrEqual(parallelJobs);
          if (shortfall <= 0) {
            expect(plan.allocate).toEqual([]);
            return;
          }
          const blocks = plan.allocate.map((a) => parseIpv4Block(a.cidr)!);
          for (const [i, block] of blocks.entries()) {
            expect(block.start % blockSize(block.prefix)).toBe(0);
            expect(contains(POOL, block)).toBe(true);
            for (const t of [...told, ...blocks.slice(0, i)])
              expect(overlaps(block, t), `${formatIpv4Block(block)} overlaps ${formatIpv4Block(t)}`).toBe(false);
          }
          expect(blocks.reduce((sum, b) => sum + jobsPerRange(b.prefix, nodesPerJob), 0)).toBeGreaterThanOrEqual(
            shortfall,
          );
          if (freeCandidates(POOL, single, told).length) {
            expect(blocks).toEqual([freeCandidates(POOL, single, told)[0]]);
          } else {
            expect(blocks.length).toBeGreaterThan(1);
          }
          const connection = plan.changes.find((c) => c.kind === 'patchConnection');
          expect(connection?.kind === 'patchConnection' && connection.reservedPeeringRanges).toEqual([
            'vertex-psa-range',
            ...plan.allocate.map((a) => a.name),
          ]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
