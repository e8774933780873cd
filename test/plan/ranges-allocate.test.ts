/**
 * The peered-range allocator's refusals, word for word (a person acts on them): pools that cannot
 * be read or are missing, a request no pool could ever hold, an exhausted pool listing what is
 * still free (at most 12 blocks, then how many more), and a name already taken by another address.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, SafetyError } from '../../shared/errors.js';
import { planRanges } from '../../shared/plan/ranges.js';
import { request, sampleObserved } from './fixtures.js';

const EXHAUSTED_TAIL =
  'every other block overlaps an address, subnet, route, peer-imported or reserved range). Nothing was changed. Widen or add a pool, release an unused range, or ask for fewer parallel jobs.';
/** The odd /21s of 10.98.0.0/16, reserved elsewhere: the even ones stay free (10.98.0.0/21 is the base range). */
const ODD_21S = Array.from({ length: 16 }, (_, i) => `10.98.${16 * i + 8}.0/21`);
const free21 = (thirds: number[]) => thirds.map((t) => `10.98.${t}.0/21 (1)`).join(', ');

describe('allocation pools', () => {
  it('none configured is a ConfigError saying what to set', () => {
    const attempt = () => planRanges(request({ parallelJobs: 2 }), sampleObserved(), { pools: [] });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'peeringRanges: no allocation pool configured; set at least one IPv4 CIDR such as 10.98.0.0/15',
    );
  });

  it('one that does not parse is named as the allocation pool', () => {
    expect(() =>
      planRanges(request({ parallelJobs: 2 }), sampleObserved(), { pools: ['10.98.0.0/15', '10.98.0.0/33'] }),
    ).toThrow(
      'allocation pool: "10.98.0.0/33" is not an IP range (expected e.g. 10.98.0.0/21); fix or remove it, then retry',
    );
  });

  it('more than every pool could hold even empty is a ConfigError naming every pool', () => {
    const attempt = () =>
      planRanges(request({ parallelJobs: 200 }), sampleObserved(), { pools: ['10.98.0.0/15', '172.20.0.0/16'] });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'peeringRanges: 199 more concurrent jobs of ≤ 8 nodes are more than the pools 10.98.0.0/15, 172.20.0.0/16 could ever hold (at most 190 such jobs, even empty); ask for fewer parallel jobs or configure a larger pool',
    );
  });
});

describe('an exhausted pool', () => {
  it('lists the free blocks that hold a job (not the smaller ones), all of them up to 12', () => {
    // 12 even /21s free, and one /22 (10.98.212.0/22) too small for a job of ≤ 8 nodes
    const reserved = [...ODD_21S, '10.98.208.0/22', '10.98.224.0/21', '10.98.240.0/21'];
    const attempt = () =>
      planRanges(request({ parallelJobs: 40 }), sampleObserved({ reservedRanges: reserved }), {
        pools: ['10.98.0.0/16'],
      });
    expect(attempt).toThrow(SafetyError);
    expect(attempt).toThrow(
      `peeringRanges: pool exhausted: 39 more concurrent jobs of ≤ 8 nodes do not fit in 10.98.0.0/16 (free: ${free21([16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192])}, 12 job(s) in all; ${EXHAUSTED_TAIL}`,
    );
  });

  it('past 12 free blocks, says how many more', () => {
    const attempt = () =>
      planRanges(request({ parallelJobs: 40 }), sampleObserved({ reservedRanges: ODD_21S }), {
        pools: ['10.98.0.0/16'],
      });
    expect(attempt).toThrow(
      `peeringRanges: pool exhausted: 39 more concurrent jobs of ≤ 8 nodes do not fit in 10.98.0.0/16 (free: ${free21([16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192])}, … 3 more, 15 job(s) in all; ${EXHAUSTED_TAIL}`,
    );
  });

  it('with nothing free that holds a job, says so and names every pool', () => {
    const reserved = [
      '10.98.8.0/21',
      '10.98.16.0/20',
      '10.98.32.0/19',
      '10.98.64.0/18',
      '10.98.128.0/17',
      '10.99.0.0/16',
    ];
    expect(() =>
      planRanges(request({ parallelJobs: 3 }), sampleObserved({ reservedRanges: reserved }), {
        pools: ['10.98.0.0/15', '172.20.0.0/22'],
      }),
    ).toThrow(
      `peeringRanges: pool exhausted: 2 more concurrent jobs of ≤ 8 nodes do not fit in 10.98.0.0/15, 172.20.0.0/22 (no free block holds even one such job; ${EXHAUSTED_TAIL}`,
    );
  });
});

describe('the name of a new range', () => {
  it('taken by another address elsewhere: a SafetyError with both, nothing allocated', () => {
    const addresses = [
      ...sampleObserved().addresses,
      { name: 'netreflex-psa-vpc-a-10-98-8-0-21', address: '10.200.0.0', prefixLength: 24 },
    ];
    const attempt = () => planRanges(request({ parallelJobs: 2 }), sampleObserved({ addresses }));
    expect(attempt).toThrow(SafetyError);
    expect(attempt).toThrow(
      'peeringRanges: global address "netreflex-psa-vpc-a-10-98-8-0-21" exists with 10.200.0.0/24 (purpose none), not 10.98.8.0/21 as its name says; rename or delete it, then retry',
    );
    const withPurpose = [
      ...sampleObserved().addresses,
      { name: 'netreflex-psa-vpc-a-10-98-8-0-21', address: '10.200.0.0', prefixLength: 24, purpose: 'GCE_ENDPOINT' },
    ];
    expect(() => planRanges(request({ parallelJobs: 2 }), sampleObserved({ addresses: withPurpose }))).toThrow(
      '(purpose GCE_ENDPOINT)',
    );
  });
});
