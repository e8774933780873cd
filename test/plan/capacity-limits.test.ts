/**
 * The edges of the capacity table's arithmetic: the prefix lengths a range can have (0 to 32, whole
 * numbers), what a range too small for one job holds, and the exact words of every refusal.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { jobsPerRange, nodeTier } from '../../shared/plan/capacity.js';

describe('jobsPerRange at the ends of the prefix range', () => {
  it('a /0 holds 2^22 − 1 jobs of ≤ 8 nodes, a /32 none', () => {
    expect(jobsPerRange(0, 8)).toBe(2 ** 22 - 1);
    expect(jobsPerRange(32, 8)).toBe(0);
    expect(jobsPerRange(32, 32)).toBe(0);
  });

  it('a range the size of one job block holds no job (one block is kept back), twice that holds one', () => {
    expect(jobsPerRange(22, 8)).toBe(0);
    expect(jobsPerRange(21, 8)).toBe(1);
    expect(jobsPerRange(20, 32)).toBe(0);
    expect(jobsPerRange(19, 32)).toBe(1);
  });

  it.each([-1, 33, 16.5, Number.NaN])('prefix length %s is refused, with the range it must be in', (prefix) => {
    expect(() => jobsPerRange(prefix, 8)).toThrow(ConfigError);
    expect(() => jobsPerRange(prefix, 8)).toThrow(`prefix length must be an integer from 0 to 32 (got ${prefix})`);
  });
});

describe('nodeTier refusals, word for word', () => {
  it('a count that is not a positive whole number', () => {
    expect(() => nodeTier(0)).toThrow(
      'nodes per job must be a positive integer (got 0); count every replica of every worker pool of one job',
    );
  });

  it('a count above the table', () => {
    expect(() => nodeTier(33)).toThrow(
      'nodes per job 33 is above 32, the largest size the Vertex AI private IP capacity table documents; ' +
        'split the job into jobs of at most 32 nodes, or size the range by hand and pass its name in reservedIpRanges',
    );
  });
});
