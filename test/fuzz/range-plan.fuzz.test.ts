/**
 * Whatever peeringRanges is asked or reads — a hostile request body, an address plan with
 * malformed, IPv6, overlapping or absurd ranges — the range planner answers with a plan or a
 * typed error that says what to change (ConfigError: 400; SafetyError: 422), never a crash. And
 * whatever it allocates overlaps nothing it was told about and lies inside the pool.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRangeRequest, planRanges } from '../../shared/plan/ranges.js';
import type { ObservedNetwork } from '../../shared/plan/ranges-types.js';
import { ConfigError, SafetyError } from '../../shared/errors.js';
import { overlaps, parseIpv4Block } from '../../shared/net/ipv4-blocks.js';

const anything = fc.anything({
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  maxDepth: 3,
});

/** Mostly plausible IPv4 ranges, sometimes IPv6, junk or a /0. */
const range = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 8, max: 32 }))
      .map(([n, p]) => `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}/${p}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0.0.0.0/0',
      '2001:db8::/32',
      '10.98.0.0/21',
      '10.99.0.0/16',
      'not-a-range',
      '',
      '300.1.1.1/8',
      '10.0.0.0/40',
    ),
  },
  { weight: 1, arbitrary: fc.string() },
);

const observed: fc.Arbitrary<ObservedNetwork> = fc.record({
  addresses: fc.array(
    fc.record({
      name: fc.constantFrom('vertex-psa-range', 'netreflex-psa-x', 'other'),
      address: range.map((r) => r.split('/')[0] ?? ''),
      prefixLength: fc.integer({ min: -1, max: 40 }),
      purpose: fc.constantFrom('VPC_PEERING', 'GCE_ENDPOINT', undefined),
    }),
    { maxLength: 4 },
  ),
  connection: fc.option(
    fc.record({
      reservedPeeringRanges: fc.array(fc.constantFrom('vertex-psa-range', 'netreflex-psa-x', 'gone'), { maxLength: 3 }),
    }),
    { nil: null },
  ),
  subnets: fc.array(
    fc.record({
      name: fc.string(),
      ipCidrRange: range,
      secondaryIpRanges: fc.array(fc.record({ ipCidrRange: range }), { maxLength: 2 }),
    }),
    { maxLength: 6 },
  ),
  routeDestRanges: fc.array(range, { maxLength: 6 }),
  peerImportedRanges: fc.array(range, { maxLength: 4 }),
  reservedRanges: fc.array(range, { maxLength: 4 }),
  firewallSourceRanges: fc.option(fc.array(range, { maxLength: 3 }), { nil: null }),
  migRanges: fc.array(range, { maxLength: 3 }),
  exportCustomRoutes: fc.boolean(),
  nat: fc.option(
    fc.record({
      vmCount: fc.integer({ min: -1, max: 10 }),
      minPortsPerVm: fc.integer({ min: 0, max: 65536 }),
      enableDynamicPortAllocation: fc.boolean(),
    }),
    { nil: null },
  ),
});

const request = fc.oneof(
  { weight: 1, arbitrary: anything },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        parallelJobs: fc.oneof(fc.integer({ min: -5, max: 200 }), anything),
        nodesPerJob: fc.oneof(fc.integer({ min: -5, max: 64 }), anything),
        network: fc.oneof(fc.constant('vpc-a'), fc.string()),
        region: fc.constant('asia-northeast1'),
      },
      { requiredKeys: [] },
    ),
  },
);

function typedOrRethrow(err: unknown): void {
  if (err instanceof ConfigError || err instanceof SafetyError) {
    expect(err.message.length).toBeGreaterThan(10);
    return;
  }
  throw err;
}

describe('range planner under arbitrary input', () => {
  it('parseRangeRequest answers a request or a ConfigError listing what to change', () => {
    fc.assert(
      fc.property(request, (body) => {
        try {
          const parsed = parseRangeRequest(body);
          expect(parsed.parallelJobs).toBeGreaterThanOrEqual(1);
        } catch (err) {
          typedOrRethrow(err);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('planRanges answers a plan or a typed error; a new range overlaps nothing known and lies in the pool', () => {
    const pool = parseIpv4Block('10.98.0.0/15')!;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.constantFrom(1, 8, 12, 16, 32),
        observed,
        (parallelJobs, nodesPerJob, obs) => {
          try {
            const plan = planRanges({ parallelJobs, nodesPerJob, network: 'vpc-a', region: 'asia-northeast1' }, obs);
            const known = [
              ...obs.subnets.flatMap((s) => [s.ipCidrRange, ...(s.secondaryIpRanges ?? []).map((r) => r.ipCidrRange)]),
              ...obs.routeDestRanges,
              ...obs.peerImportedRanges,
              ...obs.reservedRanges,
            ]
              .flatMap((r) => {
                try {
                  return [parseIpv4Block(r)];
                } catch {
                  return [];
                }
              })
              .filter((b): b is NonNullable<typeof b> => b !== undefined && b.prefix > 0);
            for (const a of plan.allocate) {
              const block = parseIpv4Block(a.cidr)!;
              expect(overlaps(pool, block) && block.prefix >= pool.prefix).toBe(true);
              expect(known.filter((k) => overlaps(k, block))).toEqual([]);
            }
          } catch (err) {
            typedOrRethrow(err);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
