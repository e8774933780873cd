/**
 * The names of the ranges netreflex allocates, pinned literally: a retry finds the address it
 * created by its name, so a change to the naming would allocate every existing range again.
 */
import { describe, expect, it } from 'vitest';
import { parseIpv4Block } from '../../shared/net/ipv4-blocks.js';
import { rangeName } from '../../shared/plan/ranges-names.js';

const B = parseIpv4Block('10.99.0.0/16')!;
const P = 'netreflex-psa-';

describe('rangeName', () => {
  it('prefix, network and CIDR while it fits in 63 characters', () => {
    expect(rangeName(B, P, 'vpc-a')).toBe('netreflex-psa-vpc-a-10-99-0-0-16');
    expect(rangeName(parseIpv4Block('172.20.128.0/17')!, P, 'vpc-a')).toBe('netreflex-psa-vpc-a-172-20-128-0-17');
    const fits = rangeName(B, P, 'n'.repeat(36));
    expect(fits).toBe(`netreflex-psa-${'n'.repeat(36)}-10-99-0-0-16`);
    expect(fits).toHaveLength(63);
  });

  it('a network too long to fit is shortened, with a hash of its whole name, to exactly 63', () => {
    const long = rangeName(B, P, 'n'.repeat(37));
    expect(long).toBe(`netreflex-psa-${'n'.repeat(28)}-0j48ae9-10-99-0-0-16`);
    expect(long).toHaveLength(63);
    expect(rangeName(B, P, 'shared-vpc-for-the-machine-learning-platform-team-prod')).toBe(
      'netreflex-psa-shared-vpc-for-the-machine-l-0ek46p5-10-99-0-0-16',
    );
    expect(rangeName(B, P, 'a'.repeat(63))).toBe('netreflex-psa-aaaaaaaaaaaaaaaaaaaaaaaaaaaa-0a3pw4m-10-99-0-0-16');
  });

  it('two long networks that share their first characters get different names', () => {
    const a = rangeName(B, P, 'shared-vpc-for-the-machine-learning-platform-team-prod');
    const b = rangeName(B, P, 'shared-vpc-for-the-machine-learning-platform-team-dev');
    expect(a.slice(0, 42)).toBe(b.slice(0, 42));
    expect(a).not.toBe(b);
  });

  it('a shortened network loses a hyphen at the cut', () => {
    expect(rangeName(B, P, `${'a'.repeat(27)}-${'b'.repeat(20)}`)).toMatch(
      new RegExp(`^netreflex-psa-${'a'.repeat(27)}-[0-9a-z]{7}-10-99-0-0-16$`),
    );
  });

  it('a prefix so long that no room is left still keeps one character of the network', () => {
    const name = rangeName(B, 'p'.repeat(45), 'vpc-a-long');
    expect(name).toMatch(new RegExp(`^${'p'.repeat(45)}v-[0-9a-z]{7}-10-99-0-0-16$`));
  });
});
