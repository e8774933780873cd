/**
 * Which existing ranges a run is given (pickRanges in shared/plan/ranges.ts): out of the Vertex
 * ranges no other run is confined to, the smallest one that holds the run alone, else the largest
 * first until they hold it; what it does not take stays free for the next run. And the one refusal
 * other runs' demand does not turn into PoolBusy: one that is not about room.
 */
import { describe, expect, it } from 'vitest';
import { SafetyError } from '../../shared/errors.js';
import { type ObservedDemand, type ObservedNetwork, planRanges, PoolBusy } from '../../shared/plan/ranges.js';
import { request, sampleObserved } from './fixtures.js';

const BASE = 'vertex-psa-range';
const R16_20 = 'netreflex-psa-vpc-a-10-98-16-0-20'; // 3 jobs of ≤ 8 nodes
const R32_19 = 'netreflex-psa-vpc-a-10-98-32-0-19'; // 7
const R128_17 = 'netreflex-psa-vpc-a-10-98-128-0-17'; // 31
const R99_19 = 'netreflex-psa-vpc-a-10-99-0-0-19'; // 7

/** The sample network with these Vertex ranges (beside the /21 base range, 1 job), all wired. */
function withRanges(ranges: readonly [name: string, cidr: string][], demand?: ObservedDemand[]): ObservedNetwork {
  const all: [string, string][] = [[BASE, '10.98.0.0/21'], ...ranges];
  return sampleObserved({
    addresses: all.map(([name, cidr]) => {
      const [address, prefix] = cidr.split('/');
      return { name, address: address!, prefixLength: Number(prefix), purpose: 'VPC_PEERING' };
    }),
    connection: { reservedPeeringRanges: all.map(([name]) => name) },
    firewallSourceRanges: all.map(([, cidr]) => cidr),
    migRanges: all.map(([, cidr]) => cidr),
    ...(demand ? { demand } : {}),
  });
}

/** What `attempt` threw. */
function thrown(attempt: () => unknown): unknown {
  try {
    attempt();
  } catch (err) {
    return err;
  }
  throw new Error('nothing was thrown');
}

describe('planRanges: the ranges a run is given', () => {
  // by address: the base /21 (1), the /17 (31), the /19 above it (7)
  const wide = () =>
    withRanges([
      [R128_17, '10.98.128.0/17'],
      [R99_19, '10.99.0.0/19'],
    ]);

  it('the smallest free range that holds the run alone, not the largest nor the lowest-addressed one', () => {
    const plan = planRanges(request({ parallelJobs: 5 }), wide());
    expect(plan.reservedIpRanges).toEqual([R99_19]);
    expect(plan.allocate).toEqual([]);
    expect(plan.changes).toEqual([]);
    expect(plan.capacity).toMatchObject({ required: 5, before: 7, after: 7 });
  });

  it('a range that holds exactly the run is enough: 7 jobs get the /19 (7), not the /17 (31)', () => {
    const plan = planRanges(request({ parallelJobs: 7 }), wide());
    expect(plan.reservedIpRanges).toEqual([R99_19]);
    expect(plan.capacity).toMatchObject({ required: 7, before: 7, after: 7 });
  });

  it('when no range holds it alone: largest first, stopping as soon as they hold it, so a range left over stays free', () => {
    // the /19 (7) and the /20 (3) hold 10 exactly: the base /21 is not needed
    const observed = withRanges([
      [R16_20, '10.98.16.0/20'],
      [R32_19, '10.98.32.0/19'],
    ]);
    const ten = planRanges(request({ parallelJobs: 10 }), observed);
    expect(ten.reservedIpRanges).toEqual([R16_20, R32_19]);
    expect(ten.allocate).toEqual([]);
    expect(ten.capacity).toMatchObject({ required: 10, before: 10, after: 10 });
    // one more and all three are needed
    const eleven = planRanges(request({ parallelJobs: 11 }), observed);
    expect(eleven.reservedIpRanges).toEqual([BASE, R16_20, R32_19]);
    expect(eleven.capacity).toMatchObject({ required: 11, after: 11 });
  });
});

describe('planRanges: the ranges left to other runs', () => {
  it('are reported once each, sorted by name, whatever order the runs list them in; the run gets a range of its own', () => {
    const demand = [
      { source: 'reservation run-a', jobs: 7, nodesPerJob: 8, estimated: false, ranges: [R32_19, BASE] },
      { source: 'reservation run-b', jobs: 3, nodesPerJob: 8, estimated: false, ranges: [R16_20, BASE] },
    ];
    const observed = withRanges(
      [
        [R16_20, '10.98.16.0/20'],
        [R32_19, '10.98.32.0/19'],
      ],
      demand,
    );
    const plan = planRanges(request({ parallelJobs: 1 }), observed);
    expect(plan.capacity).toMatchObject({ required: 1, others: 0, leftToOthers: [R16_20, R32_19, BASE] });
    expect(plan.allocate).toEqual([{ name: 'netreflex-psa-vpc-a-10-98-8-0-21', cidr: '10.98.8.0/21' }]);
    expect(plan.reservedIpRanges).toEqual(['netreflex-psa-vpc-a-10-98-8-0-21']);
  });
});

describe('planRanges: a refusal that is not about room', () => {
  it('is passed on as it is beside other demand: a name taken by another address stays a SafetyError, not PoolBusy', () => {
    // 1 job here + 1 of another team's pipeline: 1 more job needs 10.98.8.0/21, whose derived name an ILB has
    const observed = sampleObserved({
      addresses: [
        { name: BASE, address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: 'netreflex-psa-vpc-a-10-98-8-0-21', address: '10.50.0.0', prefixLength: 24, purpose: 'GCE_ENDPOINT' },
      ],
      demand: [{ source: 'projects/p/locations/r/pipelineJobs/other', jobs: 1, nodesPerJob: 8, estimated: true }],
    });
    const err = thrown(() => planRanges(request({ parallelJobs: 1 }), observed));
    expect(err).toBeInstanceOf(SafetyError);
    expect(err).not.toBeInstanceOf(PoolBusy);
    expect((err as Error).message).toMatch(
      /^peeringRanges: global address "netreflex-psa-vpc-a-10-98-8-0-21" exists with 10.50.0.0\/24 \(purpose GCE_ENDPOINT\), not 10.98.8.0\/21 as its name says; rename or delete it, then retry$/,
    );
  });
});
