import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import {
  capacityOf,
  jobBlockPrefix,
  jobsPerRange,
  nodeTier,
  prefixForJobs,
  blocksTakenBy,
  unitsOf,
} from '../../shared/plan/capacity.js';

/** The Vertex AI docs table ("Use private IP for custom training"), copied cell by cell. */
const VERTEX_TABLE: [nodes: number, prefix: number, jobs: number][] = [
  [8, 16, 63],
  [8, 17, 31],
  [8, 18, 15],
  [16, 16, 31],
  [16, 17, 15],
  [16, 18, 7],
  [32, 16, 15],
  [32, 17, 7],
  [32, 18, 3],
];

describe('capacity: the Vertex private IP table', () => {
  it.each(VERTEX_TABLE)('≤ %i nodes in a /%i holds %i jobs', (nodes, prefix, jobs) => {
    expect(jobsPerRange(prefix, nodes)).toBe(jobs);
  });

  it.each(VERTEX_TABLE)(
    'inverse: ≤ %i nodes, the table range /%i is the smallest for %i jobs',
    (nodes, prefix, jobs) => {
      expect(prefixForJobs(jobs, nodes)).toBe(prefix);
      expect(prefixForJobs(jobs + 1, nodes)).toBe(prefix - 1);
    },
  );

  it("gives the seed's /21 exactly one 8-node job, and a /22 none", () => {
    expect(jobsPerRange(21, 8)).toBe(1);
    expect(jobsPerRange(22, 8)).toBe(0);
    expect(prefixForJobs(1, 8)).toBe(21);
    expect(prefixForJobs(1, 32)).toBe(19);
  });

  it('inverse is exact for every job count up to 2000', () => {
    for (const nodes of [8, 16, 32]) {
      for (let jobs = 1; jobs <= 2000; jobs += 1) {
        const p = prefixForJobs(jobs, nodes);
        expect(jobsPerRange(p, nodes)).toBeGreaterThanOrEqual(jobs);
        expect(jobsPerRange(p + 1, nodes)).toBeLessThan(jobs);
      }
    }
  });
});

describe('capacity: node counts between and beyond the tiers', () => {
  it.each([
    [1, 8],
    [5, 8],
    [8, 8],
    [9, 16],
    [12, 16],
    [16, 16],
    [17, 32],
    [32, 32],
  ])('%i nodes plan as the ≤ %i tier', (nodes, tier) => {
    expect(nodeTier(nodes)).toBe(tier);
  });

  it('block prefix per tier is /22, /21, /20', () => {
    expect([8, 16, 32].map(jobBlockPrefix)).toEqual([22, 21, 20]);
  });

  it('refuses 64 nodes per job with what to do', () => {
    expect(() => nodeTier(64)).toThrow(ConfigError);
    expect(() => nodeTier(64)).toThrow(/above 32.*split the job/);
  });

  it.each([0, -1, 2.5, Number.NaN])('refuses %s nodes per job', (nodes) => {
    expect(() => jobsPerRange(16, nodes)).toThrow(ConfigError);
  });

  it.each([0, -3, 1.5])('refuses %s parallel jobs', (jobs) => {
    expect(() => prefixForJobs(jobs, 8)).toThrow(/parallel jobs must be a positive integer/);
  });

  it('refuses a prefix outside 0..32', () => {
    expect(() => jobsPerRange(33, 8)).toThrow(ConfigError);
  });
});

describe('capacity of a set of ranges', () => {
  it('sums per range, each range keeping its own block back', () => {
    expect(capacityOf([{ prefixLength: 21 }, { prefixLength: 16 }], 8)).toBe(64);
    expect(capacityOf([{ prefixLength: 21 }, { prefixLength: 21 }], 8)).toBe(2);
    expect(capacityOf([], 8)).toBe(0);
    expect(capacityOf([{ prefixLength: 21 }], 32)).toBe(0);
  });
});

describe('mixed sizes on one range', () => {
  it('a job takes 1, 2 or 4 /22 units by its tier, doubling past the table', () => {
    expect([1, 8, 9, 16, 17, 32, 33, 64].map(unitsOf)).toEqual([1, 1, 2, 2, 4, 4, 8, 8]);
  });

  it('other jobs count by the space they take, rounded up to whole blocks of ours', () => {
    expect(blocksTakenBy([{ jobs: 1, nodesPerJob: 32 }], 8)).toBe(4);
    expect(blocksTakenBy([{ jobs: 4, nodesPerJob: 8 }], 32)).toBe(1);
    expect(blocksTakenBy([{ jobs: 5, nodesPerJob: 8 }], 32)).toBe(2);
    expect(blocksTakenBy([], 16)).toBe(0);
  });
});
