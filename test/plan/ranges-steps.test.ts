/**
 * What a peeringRanges apply step decides from its fresh read (shared/plan/ranges-steps.ts): the
 * list it writes, whether a 409 on an address is ours, and the words when the name is taken.
 */
import { describe, expect, it } from 'vitest';
import { addressTaken, extendedList, isPlannedAddress } from '../../shared/plan/ranges-steps.js';

describe('extendedList', () => {
  it('the fresh entries in their order, then the wanted ones it misses, in theirs', () => {
    expect(
      extendedList(['cloudsql-range', 'vertex-psa-range'], ['netreflex-psa-b', 'vertex-psa-range', 'netreflex-psa-a']),
    ).toEqual(['cloudsql-range', 'vertex-psa-range', 'netreflex-psa-b', 'netreflex-psa-a']);
  });

  it('an empty fresh list becomes the wanted entries', () => {
    expect(extendedList([], ['10.98.0.0/21'])).toEqual(['10.98.0.0/21']);
  });

  it('nothing missing (or nothing wanted): nothing to write', () => {
    expect(extendedList(['10.98.0.0/21', '10.99.0.0/16'], ['10.99.0.0/16'])).toBeUndefined();
    expect(extendedList(['10.98.0.0/21'], [])).toBeUndefined();
    expect(extendedList([], [])).toBeUndefined();
  });

  it('an entry removed since the plan is not put back: only the wanted ones are added', () => {
    expect(extendedList(['a'], ['b'])).toEqual(['a', 'b']);
  });
});

describe('isPlannedAddress: a 409 on the insert is ours when the existing address is the planned one', () => {
  const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-a';
  const planned = { address: '10.99.0.0', prefixLength: 16 };
  const existing = { address: '10.99.0.0', prefixLength: 16, purpose: 'VPC_PEERING', network: NET };

  it('same block, a PSA range, same network: ours', () => {
    expect(isPlannedAddress(existing, planned, NET)).toBe(true);
  });

  it.each([
    ['another address', { address: '10.98.0.0' }],
    ['another prefix length', { prefixLength: 20 }],
    ['another purpose', { purpose: 'GCE_ENDPOINT' }],
    ['no purpose', { purpose: undefined }],
    ['another network', { network: `${NET}-b` }],
  ])('%s: not ours', (_what, change) => {
    expect(isPlannedAddress({ ...existing, ...change }, planned, NET)).toBe(false);
  });
});

describe('addressTaken', () => {
  const c = { name: 'netreflex-psa-vpc-a-10-99-0-0-16', cidr: '10.99.0.0/16' };

  it('names the address, what it is and the planned block, and what to do', () => {
    expect(addressTaken(c, { address: '10.50.0.0', prefixLength: 24, purpose: 'VPC_PEERING' })).toBe(
      'global address netreflex-psa-vpc-a-10-99-0-0-16 exists as 10.50.0.0/24 (VPC_PEERING) — not the planned 10.99.0.0/16; rename or delete it, then retry',
    );
  });

  it('an address without a purpose says so', () => {
    expect(addressTaken(c, { address: '34.1.2.3', prefixLength: 32 })).toBe(
      'global address netreflex-psa-vpc-a-10-99-0-0-16 exists as 34.1.2.3/32 (no purpose) — not the planned 10.99.0.0/16; rename or delete it, then retry',
    );
  });
});
