/** What the peered-range plan reports about the ranges it uses, and the capacity before it runs. */
import { describe, expect, it } from 'vitest';
import { planRanges } from '../../shared/plan/ranges.js';
import { request, sampleObserved } from './fixtures.js';

describe('planRanges: the ranges of the report', () => {
  it("every Vertex range, existing then new, with the jobs of the request's tier it holds", () => {
    const plan = planRanges(request({ parallelJobs: 40 }), sampleObserved());
    expect(plan.ranges).toEqual([
      { name: 'vertex-psa-range', cidr: '10.98.0.0/21', jobs: 1, isNew: false },
      { name: 'netreflex-psa-vpc-a-10-99-0-0-16', cidr: '10.99.0.0/16', jobs: 63, isNew: true },
    ]);
  });

  it('not connected yet: nothing counts as capacity before, the connection is created with every range', () => {
    const plan = planRanges(request(), sampleObserved({ connection: null }));
    expect(plan.capacity).toMatchObject({ before: 0, after: 1 });
    expect(plan.changes).toEqual([
      {
        kind: 'patchConnection',
        create: true,
        reservedPeeringRanges: ['vertex-psa-range'],
        added: ['vertex-psa-range'],
      },
    ]);
  });
});
