import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SafetyError } from '../../shared/errors.js';
import { type Ipv4Block, blockSize, contains, findFreeBlock, formatIpv4Block, overlaps, parseIpv4Block } from '../../shared/net/ipv4-blocks.js';
import { jobsPerRange } from '../../shared/plan/capacity.js';
import { planRanges } from '../../shared/plan/ranges.js';
import { request, sampleObserved } from './fixtures.js';

const BASE = 10 * 2 ** 24; // 10.0.0.0

/** An aligned block somewhere in 10.0.0.0/8, biased towards 10.98.0.0/15 so that pools get crowded. */
const blockIn = (minPrefix: number, maxPrefix: number, base = BASE, span = 2 ** 24): fc.Arbitrary<Ipv4Block> =>
  fc.tuple(fc.integer({ min: minPrefix, max: maxPrefix }), fc.integer({ min: 0, max: span - 1 })).map(([prefix, offset]) => {
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
          const taken = [...takenElsewhere, ...takenElsewhere.map((t) => ({ start: pool.start + (t.start % blockSize(pool.prefix)), prefix: Math.max(t.prefix, pool.prefix) }))]
            .map((t) => ({ start: t.start - (t.start % blockSize(t.prefix)), prefix: t.prefix }));
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
  it('a new range is aligned, inside the pool, overlaps nothing it was told about, and is minimal', () => {
    fc.assert(
      fc.property(
        fc.array(blockIn(14, 28, POOL.start - 2 ** 17, 2 ** 18), { maxLength: 10 }),
        fc.integer({ min: 1, max: 130 }),
        fc.constantFrom(1, 5, 8, 12, 16, 20, 32),
        (reserved, parallelJobs, nodesPerJob) => {
          const reservedRanges = reserved.map(formatIpv4Block);
          const observed = sampleObserved({ reservedRanges });
          const told = [...reserved, POOL, parseIpv4Block('10.95.0.0/16')!, parseIpv4Block('10.98.0.0/21')!, parseIpv4Block('198.51.100.64/27')!]
            .filter((b) => b !== POOL);
          let plan;
          try {
            plan = planRanges(request({ parallelJobs, nodesPerJob }), observed);
          } catch (err) {
            if (!(err instanceof SafetyError)) {
              // too large for the pool: the shortfall needs a block wider than /15
              expect(String(err)).toMatch(/larger than any pool/);
              return;
            }
            const prefix = Number(/aligned \/(\d+)/.exec(err.message)?.[1]);
            expect(freeCandidates(POOL, prefix, told)).toEqual([]);
            return;
          }
          const existing = jobsPerRange(21, nodesPerJob);
          const shortfall = parallelJobs - existing;
          expect(plan.capacity.after).toBeGreaterThanOrEqual(parallelJobs);
          if (shortfall <= 0) {
            expect(plan.allocate).toEqual([]);
            return;
          }
          expect(plan.allocate).toHaveLength(1);
          const block = parseIpv4Block(plan.allocate[0]!.cidr)!;
          expect(block.start % blockSize(block.prefix)).toBe(0);
          expect(contains(POOL, block)).toBe(true);
          for (const t of told) expect(overlaps(block, t), `${formatIpv4Block(block)} overlaps ${formatIpv4Block(t)}`).toBe(false);
          expect(jobsPerRange(block.prefix, nodesPerJob)).toBeGreaterThanOrEqual(shortfall);
          expect(jobsPerRange(block.prefix + 1, nodesPerJob)).toBeLessThan(shortfall);
          expect(freeCandidates(POOL, block.prefix, told)[0]).toEqual(block);
          const connection = plan.changes.find((c) => c.kind === 'patchConnection');
          expect(connection?.kind === 'patchConnection' && connection.reservedPeeringRanges).toEqual(['vertex-psa-range', plan.allocate[0]!.name]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
