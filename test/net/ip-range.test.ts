/**
 * shared/net/ip-range.ts on its own: the one CIDR parser (every field it answers, every refusal in
 * words), address formatting, the range order the set algebra sorts by, and the split of one
 * interval into its minimal CIDR list.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CidrSyntaxError,
  compareRanges,
  FAMILY_BITS,
  formatAddress,
  parseCidr,
  rangeSize,
  rangeToCidrs,
  tryParseCidr,
  type IpFamily,
  type IpRange,
} from '../../shared/net/ip-range.js';

const V4_MAX = 2n ** 32n - 1n;
const V6_MAX = 2n ** 128n - 1n;

function refusal(text: string): CidrSyntaxError {
  try {
    parseCidr(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CidrSyntaxError);
    return err as CidrSyntaxError;
  }
  expect.fail(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseCidr: what it answers', () => {
  it.each([
    [
      '198.51.100.0/24',
      {
        family: 4,
        first: 0xc6336400n,
        last: 0xc63364ffn,
        prefixLength: 24,
        cidr: '198.51.100.0/24',
        hadHostBits: false,
        bareAddress: false,
      },
    ],
    [
      '198.51.100.7/24',
      {
        family: 4,
        first: 0xc6336400n,
        last: 0xc63364ffn,
        prefixLength: 24,
        cidr: '198.51.100.0/24',
        hadHostBits: true,
        bareAddress: false,
      },
    ],
    [
      '203.0.113.5',
      {
        family: 4,
        first: 0xcb007105n,
        last: 0xcb007105n,
        prefixLength: 32,
        cidr: '203.0.113.5/32',
        hadHostBits: false,
        bareAddress: true,
      },
    ],
    [
      '203.0.113.5/32',
      {
        family: 4,
        first: 0xcb007105n,
        last: 0xcb007105n,
        prefixLength: 32,
        cidr: '203.0.113.5/32',
        hadHostBits: false,
        bareAddress: false,
      },
    ],
    [
      '0.0.0.0/0',
      {
        family: 4,
        first: 0n,
        last: V4_MAX,
        prefixLength: 0,
        cidr: '0.0.0.0/0',
        hadHostBits: false,
        bareAddress: false,
      },
    ],
    [
      '255.255.255.255/1',
      {
        family: 4,
        first: 2n ** 31n,
        last: V4_MAX,
        prefixLength: 1,
        cidr: '128.0.0.0/1',
        hadHostBits: true,
        bareAddress: false,
      },
    ],
    [
      '255.255.255.255',
      {
        family: 4,
        first: V4_MAX,
        last: V4_MAX,
        prefixLength: 32,
        cidr: '255.255.255.255/32',
        hadHostBits: false,
        bareAddress: true,
      },
    ],
    [
      '2001:db8::/32',
      {
        family: 6,
        first: 0x20010db8n << 96n,
        last: (0x20010db8n << 96n) + 2n ** 96n - 1n,
        prefixLength: 32,
        cidr: '2001:db8::/32',
        hadHostBits: false,
        bareAddress: false,
      },
    ],
    [
      '2001:DB8::1/32',
      {
        family: 6,
        first: 0x20010db8n << 96n,
        last: (0x20010db8n << 96n) + 2n ** 96n - 1n,
        prefixLength: 32,
        cidr: '2001:db8::/32',
        hadHostBits: true,
        bareAddress: false,
      },
    ],
    [
      '2001:db8:0:0::1',
      {
        family: 6,
        first: (0x20010db8n << 96n) + 1n,
        last: (0x20010db8n << 96n) + 1n,
        prefixLength: 128,
        cidr: '2001:db8::1/128',
        hadHostBits: false,
        bareAddress: true,
      },
    ],
    [
      '::/0',
      { family: 6, first: 0n, last: V6_MAX, prefixLength: 0, cidr: '::/0', hadHostBits: false, bareAddress: false },
    ],
    [
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128',
      {
        family: 6,
        first: V6_MAX,
        last: V6_MAX,
        prefixLength: 128,
        cidr: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128',
        hadHostBits: false,
        bareAddress: false,
      },
    ],
  ])('%s', (input, expected) => {
    expect({ ...parseCidr(input) }).toEqual(expected);
  });

  it('answers one frozen object per text, shared by every caller', () => {
    const a = parseCidr('192.0.2.0/24');
    parseCidr('192.0.2.1');
    expect(parseCidr('192.0.2.0/24')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(tryParseCidr('192.0.2.0/24')).toBe(a);
  });

  it('reads back every IPv4 CIDR it prints, and clears exactly the host bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }), (value, prefix) => {
        const text = `${formatAddress(4, BigInt(value))}/${prefix}`;
        const parsed = parseCidr(text);
        const size = 2n ** BigInt(32 - prefix);
        expect(parsed.first).toBe((BigInt(value) / size) * size);
        expect(parsed.last).toBe(parsed.first + size - 1n);
        expect(parsed.prefixLength).toBe(prefix);
        expect(parsed.hadHostBits).toBe(parsed.first !== BigInt(value));
        expect(parsed.cidr).toBe(`${formatAddress(4, parsed.first)}/${prefix}`);
        expect(parseCidr(parsed.cidr).cidr).toBe(parsed.cidr);
      }),
      { numRuns: 300 },
    );
  });

  it('reads back every IPv6 CIDR it prints, and clears exactly the host bits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: V6_MAX }), fc.integer({ min: 0, max: 128 }), (value, prefix) => {
        const parsed = parseCidr(`${formatAddress(6, value)}/${prefix}`);
        const size = 2n ** BigInt(128 - prefix);
        expect(parsed.family).toBe(6);
        expect(parsed.first).toBe((value / size) * size);
        expect(parsed.last).toBe(parsed.first + size - 1n);
        expect(parsed.hadHostBits).toBe(parsed.first !== value);
        expect(parseCidr(parsed.cidr).first).toBe(parsed.first);
        expect(parseCidr(parsed.cidr).hadHostBits).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseCidr: refusals in words', () => {
  const notAnAddress = (text: string) =>
    `"${text}" is not an IP address or CIDR (expected e.g. 198.51.100.0/24, 203.0.113.5 or 2001:db8::/32)`;

  it.each([
    '1',
    '1.2.3',
    '1.2.3.',
    '1.2.3./24',
    '1.2.3.4.5',
    '1.2.3.4.',
    '.1.2.3',
    '1..2.3',
    '1.2.3.1000',
    '1.2.3.256',
    '256.0.0.1',
    '1.2.3.-1',
    '1.2.3.a',
    '1.2.3.:',
    '0x7f.0.0.1',
    '0001.2.3.4',
    '010.0.0.256',
    '',
    '*',
    ' 1.2.3.4',
    '1.2.3.4 ',
    'fe80::1%eth0',
    '2001:db8::g',
    '1:2:3:4:5:6:7:8:9',
  ])('%j is not an address', (text) => {
    const err = refusal(text);
    expect(err.message).toBe(notAnAddress(text));
    expect(err.name).toBe('CidrSyntaxError');
    expect(tryParseCidr(text)).toBeUndefined();
  });

  it.each([
    ['1.2.3.4/33', 32],
    ['1.2.3.4/00', 32],
    ['1.2.3.4/08', 32],
    ['1.2.3.4/-1', 32],
    ['1.2.3.4/+8', 32],
    ['1.2.3.4/ 8', 32],
    ['1.2.3.4/8 ', 32],
    ['1.2.3.4/1e1', 32],
    ['1.2.3.4/0x8', 32],
    ['1.2.3.4/1000', 32],
    ['1.2.3.4/a8', 32],
    ['1.2.3.4/8a', 32],
    ['1.2.3.4//8', 32],
    ['1.2.3.4/', 32],
    ['::/129', 128],
    ['::/', 128],
    ['::/0128', 128],
    ['2001:db8::/x', 128],
  ] as const)('%j has an invalid prefix length', (text, bits) => {
    expect(refusal(text).message).toBe(`"${text}" has an invalid prefix length (expected /0 to /${bits})`);
  });

  it('accepts every prefix length from /0 to the family width', () => {
    for (let p = 0; p <= 32; p++) expect(parseCidr(`0.0.0.0/${p}`).prefixLength).toBe(p);
    for (let p = 0; p <= 128; p++) expect(parseCidr(`::/${p}`).prefixLength).toBe(p);
  });

  it.each([
    ['010.0.0.0/8', '10.0.0.0/8'],
    ['01.2.3.4', '1.2.3.4'],
    ['1.2.3.00', '1.2.3.0'],
    ['010.0.0.255', '10.0.0.255'],
    ['172.016.0.0/12', '172.16.0.0/12'],
    ['00.000.0.0/x', '0.0.0.0/x'],
  ])('%j has a leading zero: names the decimal form %j', (text, decimal) => {
    expect(refusal(text).message).toBe(
      `"${text}" has an octet with a leading zero, which inet_aton and ipaddr.js read as octal and Google as decimal; write ${decimal}`,
    );
  });
});

describe('formatAddress', () => {
  it.each([
    [4, 0n, '0.0.0.0'],
    [4, V4_MAX, '255.255.255.255'],
    [4, 0x80ff017fn, '128.255.1.127'],
    [4, 0x01020304n, '1.2.3.4'],
    [6, 0n, '::'],
    [6, 1n, '::1'],
    [6, V6_MAX, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    [6, 0x20010db8n << 96n, '2001:db8::'],
    [6, (0x20010db8n << 96n) + (0xabcdn << 16n), '2001:db8::abcd:0'],
    [6, 0x00010000000000000000000000000002n, '1::2'],
  ] as const)('family %i, %s → %s', (family, value, text) => {
    expect(formatAddress(family, value)).toBe(text);
  });
});

describe('rangeSize and compareRanges', () => {
  const r = (family: IpFamily, first: bigint, last: bigint): IpRange => ({ family, first, last });

  it('counts the addresses of a range, both ends included', () => {
    expect(rangeSize(r(4, 5n, 5n))).toBe(1n);
    expect(rangeSize(r(4, 0n, V4_MAX))).toBe(2n ** 32n);
    expect(rangeSize(r(6, 0n, V6_MAX))).toBe(2n ** 128n);
    expect(rangeSize(r(6, 10n, 19n))).toBe(10n);
  });

  it('orders IPv4 before IPv6, then by first address, then the widest first', () => {
    expect(compareRanges(r(4, 9n, 9n), r(6, 0n, 0n))).toBeLessThan(0);
    expect(compareRanges(r(6, 0n, 0n), r(4, 9n, 9n))).toBeGreaterThan(0);
    expect(compareRanges(r(4, 1n, 9n), r(4, 2n, 3n))).toBe(-1);
    expect(compareRanges(r(4, 2n, 3n), r(4, 1n, 9n))).toBe(1);
    expect(compareRanges(r(4, 1n, 9n), r(4, 1n, 3n))).toBe(-1);
    expect(compareRanges(r(4, 1n, 3n), r(4, 1n, 9n))).toBe(1);
    expect(compareRanges(r(6, 1n, 3n), r(6, 1n, 3n))).toBe(0);
  });

  it('has family widths of 32 and 128 bits', () => {
    expect(FAMILY_BITS).toEqual({ 4: 32, 6: 128 });
  });
});

describe('rangeToCidrs', () => {
  it.each([
    [r4(0n, V4_MAX), ['0.0.0.0/0']],
    [r4(0n, 0n), ['0.0.0.0/32']],
    [r4(V4_MAX, V4_MAX), ['255.255.255.255/32']],
    [r4(2n ** 31n, V4_MAX), ['128.0.0.0/1']],
    [r4(0xc0000201n, 0xc0000206n), ['192.0.2.1/32', '192.0.2.2/31', '192.0.2.4/31', '192.0.2.6/32']],
    [r4(0n, 2n ** 31n + 2n ** 30n - 1n), ['0.0.0.0/1', '128.0.0.0/2']],
    [
      r4(0n, V4_MAX - 1n),
      [
        '0.0.0.0/1',
        '128.0.0.0/2',
        '192.0.0.0/3',
        '224.0.0.0/4',
        '240.0.0.0/5',
        '248.0.0.0/6',
        '252.0.0.0/7',
        '254.0.0.0/8',
        '255.0.0.0/9',
        '255.128.0.0/10',
        '255.192.0.0/11',
        '255.224.0.0/12',
        '255.240.0.0/13',
        '255.248.0.0/14',
        '255.252.0.0/15',
        '255.254.0.0/16',
        '255.255.0.0/17',
        '255.255.128.0/18',
        '255.255.192.0/19',
        '255.255.224.0/20',
        '255.255.240.0/21',
        '255.255.248.0/22',
        '255.255.252.0/23',
        '255.255.254.0/24',
        '255.255.255.0/25',
        '255.255.255.128/26',
        '255.255.255.192/27',
        '255.255.255.224/28',
        '255.255.255.240/29',
        '255.255.255.248/30',
        '255.255.255.252/31',
        '255.255.255.254/32',
      ],
    ],
    [{ family: 6, first: 0n, last: V6_MAX }, ['::/0']],
    [{ family: 6, first: V6_MAX, last: V6_MAX }, ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128']],
    [{ family: 6, first: 1n, last: 6n }, ['::1/128', '::2/127', '::4/127', '::6/128']],
    [{ family: 6, first: 2n ** 127n, last: V6_MAX }, ['8000::/1']],
  ] as [IpRange, string[]][])('%o', (range, cidrs) => {
    expect(rangeToCidrs(range)).toEqual(cidrs);
  });

  it('from the second address to the last: one block per prefix length, growing', () => {
    const v4 = rangeToCidrs(r4(1n, V4_MAX));
    expect(v4).toHaveLength(32);
    expect(v4.slice(0, 4)).toEqual(['0.0.0.1/32', '0.0.0.2/31', '0.0.0.4/30', '0.0.0.8/29']);
    expect(v4.at(-1)).toBe('128.0.0.0/1');
    const v6 = rangeToCidrs({ family: 6, first: 1n, last: V6_MAX });
    expect(v6).toHaveLength(128);
    expect(v6.slice(0, 3)).toEqual(['::1/128', '::2/127', '::4/126']);
    expect(v6.at(-1)).toBe('8000::/1');
  });

  // The greedy split is minimal for one interval: an aligned block list covers it exactly, in order,
  // and no two neighbours are the halves of one aligned block.
  for (const family of [4, 6] as const) {
    it(`IPv${family}: aligned blocks, in order, covering exactly the interval, none mergeable`, () => {
      const max = family === 4 ? V4_MAX : V6_MAX;
      const bits = BigInt(FAMILY_BITS[family]);
      const interval = fc
        .tuple(
          fc.bigInt({ min: 0n, max }),
          fc.bigInt({ min: 0n, max: 2n ** 40n }),
          fc.integer({ min: 0, max: Number(bits) }),
        )
        .map(([a, len, shift]) => {
          const first = (a >> BigInt(shift)) << BigInt(shift);
          const last = first + len > max ? max : first + len;
          return { family, first, last } satisfies IpRange;
        });
      fc.assert(
        fc.property(interval, (range) => {
          const blocks = rangeToCidrs(range).map((c) => parseCidr(c));
          expect(blocks[0]?.first).toBe(range.first);
          expect(blocks.at(-1)?.last).toBe(range.last);
          blocks.forEach((b, i) => {
            expect(b.hadHostBits).toBe(false);
            expect(b.family).toBe(family);
            if (i > 0) expect(b.first).toBe(blocks[i - 1]!.last + 1n);
            if (i > 0 && b.prefixLength === blocks[i - 1]!.prefixLength) {
              const size = rangeSize(b);
              expect(blocks[i - 1]!.first % (2n * size)).not.toBe(0n);
            }
          });
          expect(blocks.length).toBeLessThanOrEqual(2 * Number(bits));
        }),
        { numRuns: 300 },
      );
    });
  }
});

function r4(first: bigint, last: bigint): IpRange {
  return { family: 4, first, last };
}
