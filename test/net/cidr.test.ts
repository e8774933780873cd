import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addressCount,
  aggregate,
  aggregateCidrs,
  cidrsContain,
  contains,
  intersect,
  parseCidr,
  rangeSetOf,
  subtract,
  subtractCidrs,
  toCidrs,
  tryParseCidr,
  type IpRange,
} from '../../shared/net/cidr.js';
import { cidr as cidrSchema } from '../../shared/net/cidr-schema.js';

/** Naive model: a set of integer addresses inside 10.0.0.0/24 (small enough to enumerate). */
const BASE = 10 * 2 ** 24;
const smallCidr = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 24, max: 32 }))
  .map(([host, prefix]) => `10.0.0.${host}/${prefix}`);

function expand(cidrs: string[]): Set<number> {
  const out = new Set<number>();
  for (const c of cidrs) {
    const r = parseCidr(c);
    for (let a = Number(r.first); a <= Number(r.last); a++) out.add(a - BASE);
  }
  return out;
}

describe('parseCidr', () => {
  it.each([
    ['198.51.100.0/24', '198.51.100.0/24', false],
    ['198.51.100.7/24', '198.51.100.0/24', true],
    ['203.0.113.5', '203.0.113.5/32', false],
    ['0.0.0.0/0', '0.0.0.0/0', false],
    ['2001:DB8::1/32', '2001:db8::/32', true],
    ['2001:db8:0:0::1', '2001:db8::1/128', false],
    ['::/0', '::/0', false],
  ])('%s → %s (host bits: %s)', (input, canonical, hostBits) => {
    const parsed = parseCidr(input);
    expect(parsed.cidr).toBe(canonical);
    expect(parsed.hadHostBits).toBe(hostBits);
  });

  it.each([
    '1',
    '010.0.0.1',
    '0x7f.0.0.1',
    '1.2.3',
    '256.0.0.1',
    '1.2.3.4/33',
    '1.2.3.4/08',
    '1.2.3.4/',
    'fe80::1%eth0',
    '::/129',
    '',
    '*',
    ' 1.2.3.4',
  ])('refuses %j', (input) => {
    expect(tryParseCidr(input)).toBeUndefined();
    expect(() => parseCidr(input)).toThrow(/not an IP address|prefix length|leading zero/);
  });

  it('keeps the zod schema export that route config imports', () => {
    expect(cidrSchema.safeParse('10.98.0.0/21').success).toBe(true);
    expect(cidrSchema.safeParse('10.98.0.1/21').success).toBe(false);
  });
});

describe('range sets', () => {
  it('merges contained and adjacent ranges into the minimal CIDR set', () => {
    expect(
      aggregateCidrs([
        '10.0.0.0/25',
        '10.0.0.128/25',
        '10.0.1.0/24',
        '10.0.0.5',
        '2001:db8::/33',
        '2001:db8:8000::/33',
      ]),
    ).toEqual(['10.0.0.0/23', '2001:db8::/32']);
    expect(aggregateCidrs(['0.0.0.0/1', '128.0.0.0/1'])).toEqual(['0.0.0.0/0']);
    expect(aggregateCidrs(['10.0.0.1', '10.0.0.2'])).toEqual(['10.0.0.1/32', '10.0.0.2/32']);
  });

  it('subtracts, intersects and counts', () => {
    expect(subtractCidrs(['10.0.0.0/8'], ['10.0.0.0/9'])).toEqual(['10.128.0.0/9']);
    expect(subtractCidrs(['10.0.0.0/30'], ['10.0.0.1'])).toEqual(['10.0.0.0/32', '10.0.0.2/31']);
    expect(toCidrs(intersect(rangeSetOf(['10.0.0.0/24']), rangeSetOf(['10.0.0.128/25', '192.0.2.0/24'])))).toEqual([
      '10.0.0.128/25',
    ]);
    expect(addressCount(rangeSetOf(['0.0.0.0/0', '::/0']))).toBe(2n ** 32n + 2n ** 128n);
    expect(addressCount(rangeSetOf(['0.0.0.0/0', '::/0']), 6)).toBe(2n ** 128n);
    expect(cidrsContain(['10.0.0.0/25', '10.0.0.128/25'], '10.0.0.0/24')).toBe(true);
    expect(cidrsContain(['10.0.0.0/25'], '10.0.0.0/24')).toBe(false);
    expect(cidrsContain(['10.0.0.0/8'], '2001:db8::1')).toBe(false);
  });

  it('aggregate matches a naive address-set model', () => {
    fc.assert(
      fc.property(fc.array(smallCidr, { maxLength: 12 }), (cidrs) => {
        const merged = aggregateCidrs(cidrs);
        expect(expand(merged)).toEqual(expand(cidrs));
        // minimal: no two output CIDRs could be merged into one, and none overlap
        const set = rangeSetOf(merged);
        expect(addressCount(set)).toBe(BigInt(expand(cidrs).size));
      }),
      { numRuns: 300 },
    );
  });

  it('subtract, intersect and contains match the naive model', () => {
    fc.assert(
      fc.property(
        fc.array(smallCidr, { maxLength: 8 }),
        fc.array(smallCidr, { maxLength: 8 }),
        smallCidr,
        (a, b, probe) => {
          const A = expand(a);
          const B = expand(b);
          expect(expand(subtractCidrs(a, b))).toEqual(new Set([...A].filter((x) => !B.has(x))));
          expect(expand(toCidrs(intersect(rangeSetOf(a), rangeSetOf(b))))).toEqual(
            new Set([...A].filter((x) => B.has(x))),
          );
          const P = expand([probe]);
          expect(contains(rangeSetOf(a), parseCidr(probe))).toBe([...P].every((x) => A.has(x)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips IPv6 intervals through CIDRs', () => {
    const v6 = fc
      .tuple(fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 20n }))
      .map(([first, len]): IpRange => ({
        family: 6,
        first,
        last: first + len > 2n ** 128n - 1n ? 2n ** 128n - 1n : first + len,
      }));
    fc.assert(
      fc.property(fc.array(v6, { maxLength: 5 }), (ranges) => {
        const set = aggregate(ranges);
        expect(rangeSetOf(toCidrs(set))).toEqual(set);
        expect(subtract(set, set)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  // Speed is measured against cidr-tools by `npm run bench`, not asserted here.
  it('merges 100,000 scattered addresses without losing one', () => {
    const cidrs: string[] = [];
    for (let i = 0; i < 100_000; i++) cidrs.push(`${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`);
    expect(aggregateCidrs(cidrs)).toHaveLength(100_000);
  });
});
