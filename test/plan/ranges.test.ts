import { describe, expect, it } from 'vitest';
import { ConfigError, SafetyError } from '../../shared/errors.js';
import {
  type ObservedNetwork,
  type RangeChange,
  type RangePlan,
  planRanges,
  PoolBusy,
  PoolExhausted,
} from '../../shared/plan/ranges.js';
import { failureOf, httpStatus } from '../../shared/reconcile/report.js';
import { refusal } from '../../functions/http.js';
import { describeRangeChange } from '../../shared/plan/ranges-describe.js';
import { request, sampleObserved } from './fixtures.js';

/** Applies a plan's changes to an observed state, the way the apply step would, optionally stopping early. */
function applyChanges(
  observed: ObservedNetwork,
  changes: readonly RangeChange[],
  stopAfter = changes.length,
): ObservedNetwork {
  const next = structuredClone(observed) as ObservedNetwork & { addresses: ObservedNetwork['addresses'][number][] };
  for (const change of changes.slice(0, stopAfter)) {
    switch (change.kind) {
      case 'createAddress':
        next.addresses = [
          ...next.addresses,
          { name: change.name, address: change.address, prefixLength: change.prefixLength, purpose: 'VPC_PEERING' },
        ];
        break;
      case 'patchConnection':
        next.connection = { reservedPeeringRanges: change.reservedPeeringRanges };
        break;
      case 'patchFirewall':
        next.firewallSourceRanges = change.sourceRanges;
        break;
      case 'setMigMetadata':
        next.migRanges = change.ranges;
        break;
      case 'enablePeeringExport':
        next.exportCustomRoutes = true;
        break;
    }
  }
  return next;
}

const kinds = (plan: RangePlan) => plan.changes.map((c) => c.kind);

describe('planRanges: named scenarios', () => {
  it('enough capacity on a fully wired network → no change (plan(x, x) is empty)', () => {
    const plan = planRanges(request(), sampleObserved());
    expect(plan.changes).toEqual([]);
    expect(plan.allocate).toEqual([]);
    expect(plan.reservedIpRanges).toEqual(['vertex-psa-range']);
    expect(plan.capacity).toEqual({
      nodesPerJobTier: 8,
      required: 1,
      requested: 1,
      others: 0,
      estimated: false,
      demand: [],
      leftToOthers: [],
      before: 1,
      after: 1,
    });
    expect(plan.warnings).toEqual([]);
  });

  it('40 parallel 8-node jobs on the sample /21 → one /16 beside it, wired everywhere, in order', () => {
    const plan = planRanges(
      request({ parallelJobs: 40, connectionsPerDestination: 10 }),
      sampleObserved({ exportCustomRoutes: false }),
    );
    expect(plan.allocate).toEqual([{ name: 'netreflex-psa-vpc-a-10-99-0-0-16', cidr: '10.99.0.0/16' }]);
    // the /16 alone holds the 40: the /21 stays free for another run
    expect(plan.reservedIpRanges).toEqual(['netreflex-psa-vpc-a-10-99-0-0-16']);
    expect(plan.capacity).toEqual({
      nodesPerJobTier: 8,
      required: 40,
      requested: 40,
      others: 0,
      estimated: false,
      demand: [],
      leftToOthers: [],
      before: 0,
      after: 63,
    });
    expect(kinds(plan)).toEqual([
      'createAddress',
      'patchConnection',
      'patchFirewall',
      'setMigMetadata',
      'enablePeeringExport',
    ]);
    expect(plan.changes).toEqual([
      {
        kind: 'createAddress',
        name: 'netreflex-psa-vpc-a-10-99-0-0-16',
        cidr: '10.99.0.0/16',
        address: '10.99.0.0',
        prefixLength: 16,
        network: 'vpc-a',
      },
      {
        kind: 'patchConnection',
        create: false,
        reservedPeeringRanges: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16'],
        added: ['netreflex-psa-vpc-a-10-99-0-0-16'],
      },
      {
        kind: 'patchFirewall',
        firewall: 'allow-psa-to-nat',
        sourceRanges: ['10.98.0.0/21', '10.99.0.0/16'],
        added: ['10.99.0.0/16'],
      },
      {
        kind: 'setMigMetadata',
        key: 'netreflex-psa-ranges',
        value: '10.98.0.0/21,10.99.0.0/16',
        ranges: ['10.98.0.0/21', '10.99.0.0/16'],
        added: ['10.99.0.0/16'],
      },
      { kind: 'enablePeeringExport', peering: 'servicenetworking-googleapis-com' },
    ]);
  });

  it('asking again after apply changes nothing', () => {
    const req = request({ parallelJobs: 40, connectionsPerDestination: 10 });
    const first = planRanges(req, sampleObserved());
    const second = planRanges(req, applyChanges(sampleObserved(), first.changes));
    expect(second.changes).toEqual([]);
    expect(second.reservedIpRanges).toEqual(first.reservedIpRanges);
    expect(second.capacity.before).toBe(63);
  });

  it('short by a little → the minimal range for the shortfall, at the lowest free address', () => {
    const plan = planRanges(request({ parallelJobs: 2 }), sampleObserved());
    expect(plan.allocate).toEqual([{ name: 'netreflex-psa-vpc-a-10-98-8-0-21', cidr: '10.98.8.0/21' }]);
    expect(plan.capacity.after).toBe(2);
  });

  it('crowded address plan → the first aligned hole that avoids everything it was told about', () => {
    const observed = sampleObserved({
      addresses: [
        { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: 'cloudsql-range', address: '10.98.8.0', prefixLength: 24, purpose: 'VPC_PEERING' },
        { name: 'some-ilb', address: '10.98.64.5', prefixLength: 32, purpose: 'GCE_ENDPOINT' },
      ],
      subnets: [
        {
          name: 'subnet-a',
          ipCidrRange: '10.95.0.0/16',
          secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.98.16.0/20' }],
        },
      ],
      routeDestRanges: ['0.0.0.0/0', '10.98.32.0/22', '2001:db8::/32'],
      peerImportedRanges: ['10.98.40.0/21'],
      reservedRanges: ['10.98.48.0/20'],
    });
    const plan = planRanges(request({ parallelJobs: 4 }), observed);
    // 3 more jobs need a /20: 10.98.0/20 (base, cloudsql), 16/20 (pods), 32/20 (route, peer), 48/20 (reserved), 64/20 (ilb) → 80/20
    expect(plan.allocate).toEqual([{ name: 'netreflex-psa-vpc-a-10-98-80-0-20', cidr: '10.98.80.0/20' }]);
    expect(plan.reservedIpRanges).toEqual(['vertex-psa-range', 'netreflex-psa-vpc-a-10-98-80-0-20']);
  });

  it('pool exhausted → SafetyError saying what to do, nothing planned', () => {
    const observed = sampleObserved({
      reservedRanges: [
        '10.98.8.0/21',
        '10.98.16.0/20',
        '10.98.32.0/19',
        '10.98.64.0/18',
        '10.98.128.0/17',
        '10.99.0.0/17',
        '10.99.192.0/18',
      ],
    });
    const attempt = () => planRanges(request({ parallelJobs: 40 }), observed);
    expect(attempt).toThrow(SafetyError);
    expect(attempt).toThrow(
      /pool exhausted: 39 more concurrent jobs of ≤ 8 nodes do not fit in 10.98.0.0\/15 \(free: 10.99.128.0\/18 \(15\), 15 job\(s\) in all;.*Nothing was changed. Widen or add a pool/,
    );
  });

  it('falls through to the next pool when the first is full', () => {
    const observed = sampleObserved({ reservedRanges: ['10.99.0.0/16'] });
    const plan = planRanges(request({ parallelJobs: 40 }), observed, { pools: ['10.98.0.0/15', '172.20.0.0/14'] });
    expect(plan.allocate).toEqual([{ name: 'netreflex-psa-vpc-a-172-20-0-0-16', cidr: '172.20.0.0/16' }]);
  });

  it('retry after a failure mid-way finishes the job without allocating twice', () => {
    const req = request({ parallelJobs: 40 });
    const first = planRanges(req, sampleObserved({ exportCustomRoutes: false }));
    for (let done = 1; done < first.changes.length; done += 1) {
      const partial = applyChanges(sampleObserved({ exportCustomRoutes: false }), first.changes, done);
      const retry = planRanges(req, partial);
      expect(retry.allocate).toEqual([]);
      expect(retry.changes).toEqual(first.changes.slice(done));
      expect(retry.reservedIpRanges).toEqual(first.reservedIpRanges);
      expect(planRanges(req, applyChanges(partial, retry.changes)).changes).toEqual([]);
    }
  });

  it('never drops an existing reserved peering range, even ones it does not know', () => {
    const observed = sampleObserved({
      addresses: [
        { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: 'cloudsql-range', address: '10.100.0.0', prefixLength: 24, purpose: 'VPC_PEERING' },
      ],
      connection: { reservedPeeringRanges: ['cloudsql-range', 'vertex-psa-range', 'deleted-long-ago'] },
      firewallSourceRanges: ['10.200.0.0/24', '10.98.0.0/21'],
      migRanges: ['10.98.0.0/21', '10.201.0.0/24'],
    });
    const plan = planRanges(request({ parallelJobs: 3 }), observed);
    const connection = plan.changes.find((c) => c.kind === 'patchConnection');
    expect(connection).toMatchObject({
      reservedPeeringRanges: [
        'cloudsql-range',
        'vertex-psa-range',
        'deleted-long-ago',
        'netreflex-psa-vpc-a-10-98-16-0-20',
      ],
    });
    expect(plan.changes.find((c) => c.kind === 'patchFirewall')).toMatchObject({
      sourceRanges: ['10.200.0.0/24', '10.98.0.0/21', '10.98.16.0/20'],
    });
    expect(plan.changes.find((c) => c.kind === 'setMigMetadata')).toMatchObject({
      ranges: ['10.98.0.0/21', '10.201.0.0/24', '10.98.16.0/20'],
    });
    expect(plan.reservedIpRanges).not.toContain('cloudsql-range');
  });

  it('a range not on the connection is wired but not counted as capacity before', () => {
    const observed = sampleObserved({
      addresses: [
        { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: 'netreflex-psa-vpc-a-10-99-0-0-16', address: '10.99.0.0', prefixLength: 16, purpose: 'VPC_PEERING' },
      ],
    });
    const plan = planRanges(request({ parallelJobs: 10 }), observed);
    expect(plan.capacity).toMatchObject({ before: 0, after: 63 });
    expect(kinds(plan)).toEqual(['patchConnection', 'patchFirewall', 'setMigMetadata']);
  });

  it('a wider firewall or metadata entry already covers a new range', () => {
    const plan = planRanges(
      request({ parallelJobs: 2 }),
      sampleObserved({ firewallSourceRanges: ['10.98.0.0/15'], migRanges: ['10.98.0.0/15'] }),
    );
    expect(kinds(plan)).toEqual(['createAddress', 'patchConnection']);
  });

  it('no connection yet → the patch step creates it', () => {
    const plan = planRanges(request(), sampleObserved({ connection: null }));
    expect(plan.changes).toEqual([
      {
        kind: 'patchConnection',
        create: true,
        reservedPeeringRanges: ['vertex-psa-range'],
        added: ['vertex-psa-range'],
      },
    ]);
    expect(plan.capacity.before).toBe(0);
  });

  it('export off on a wired network → only the export step', () => {
    expect(planRanges(request(), sampleObserved({ exportCustomRoutes: false })).changes).toEqual([
      { kind: 'enablePeeringExport', peering: 'servicenetworking-googleapis-com' },
    ]);
  });

  it('rounds 12 nodes up to the 16 tier and leaves too-small ranges out of reservedIpRanges', () => {
    const plan = planRanges(request({ nodesPerJob: 12 }), sampleObserved());
    expect(plan.capacity).toMatchObject({ nodesPerJobTier: 16, before: 0, after: 1 });
    expect(plan.allocate).toEqual([{ name: 'netreflex-psa-vpc-a-10-98-16-0-20', cidr: '10.98.16.0/20' }]);
    expect(plan.reservedIpRanges).toEqual(['netreflex-psa-vpc-a-10-98-16-0-20']);
  });

  it('refuses when an address already carries the derived name with another CIDR', () => {
    const observed = sampleObserved({
      addresses: [
        { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: 'netreflex-psa-vpc-a-10-98-8-0-21', address: '10.50.0.0', prefixLength: 24, purpose: 'GCE_ENDPOINT' },
      ],
    });
    expect(() => planRanges(request({ parallelJobs: 2 }), observed)).toThrow(
      /exists with 10.50.0.0\/24 .*rename or delete it/,
    );
  });
});

describe('planRanges: capacity across runs', () => {
  it('two 40-job runs need 80: the second, seeing the first (which may use any range), gets room for both', () => {
    const first = planRanges(request({ parallelJobs: 40 }), sampleObserved());
    const afterFirst = applyChanges(sampleObserved(), first.changes);
    const second = planRanges(request({ parallelJobs: 40 }), {
      ...afterFirst,
      demand: [{ source: 'reservation run-a', jobs: 40, nodesPerJob: 8, estimated: false }],
    });
    expect(second.capacity).toMatchObject({
      required: 80,
      requested: 40,
      others: 40,
      before: 63,
      estimated: false,
      leftToOthers: [],
    });
    expect(second.capacity.after).toBeGreaterThanOrEqual(80);
    expect(second.allocate).toEqual([{ name: 'netreflex-psa-vpc-a-10-98-128-0-17', cidr: '10.98.128.0/17' }]);
  });

  it("a run confined to its ranges keeps them: the second run gets other ranges, so neither can take the other's blocks", () => {
    const first = planRanges(request({ parallelJobs: 30 }), sampleObserved());
    expect(first.reservedIpRanges).toEqual(['netreflex-psa-vpc-a-10-98-128-0-17']); // a /17 (31) holds 30 alone
    const afterFirst = applyChanges(sampleObserved(), first.changes);
    const demand = [
      { source: 'reservation run-a', jobs: 30, nodesPerJob: 8, estimated: false, ranges: first.reservedIpRanges },
    ];
    const second = planRanges(request({ parallelJobs: 40 }), { ...afterFirst, demand });
    expect(second.capacity).toMatchObject({
      required: 40,
      requested: 40,
      others: 0,
      leftToOthers: first.reservedIpRanges,
    });
    expect(second.allocate).toEqual([{ name: 'netreflex-psa-vpc-a-10-99-0-0-16', cidr: '10.99.0.0/16' }]);
    expect(second.reservedIpRanges).toEqual(['netreflex-psa-vpc-a-10-99-0-0-16']);
    // a third, small run takes the range nobody is confined to before allocating anything
    const afterSecond = applyChanges(afterFirst, second.changes);
    const third = planRanges(request({ parallelJobs: 1 }), {
      ...afterSecond,
      demand: [
        ...demand,
        { source: 'reservation run-b', jobs: 40, nodesPerJob: 8, estimated: false, ranges: second.reservedIpRanges },
      ],
    });
    expect(third.allocate).toEqual([]);
    expect(third.reservedIpRanges).toEqual(['vertex-psa-range']);
  });

  it('counts other jobs by the address space they take, in blocks of ours; estimates say so', () => {
    // one 32-node job (4 units) + three 1-node jobs (3 units) = 7 units = 4 blocks of a 16-node job (2 units each)
    const plan = planRanges(
      request({ parallelJobs: 1, nodesPerJob: 16 }),
      sampleObserved({
        demand: [
          { source: 'customJob a', jobs: 1, nodesPerJob: 32, estimated: false },
          { source: 'pipelineJob b', jobs: 3, nodesPerJob: 1, estimated: true },
        ],
      }),
    );
    expect(plan.capacity).toMatchObject({ nodesPerJobTier: 16, others: 4, required: 5, estimated: true });
  });

  it('nothing else on the network counts nothing: plan(x, x) stays empty', () => {
    expect(planRanges(request(), sampleObserved({ demand: [] })).changes).toEqual([]);
  });
});

describe('planRanges: allocation that uses the pool', () => {
  const mostlyTaken = () =>
    sampleObserved({
      addresses: [
        { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: 'netreflex-psa-vpc-a-10-99-0-0-16', address: '10.99.0.0', prefixLength: 16, purpose: 'VPC_PEERING' },
      ],
      connection: { reservedPeeringRanges: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16'] },
      firewallSourceRanges: ['10.98.0.0/21', '10.99.0.0/16'],
      migRanges: ['10.98.0.0/21', '10.99.0.0/16'],
    });

  it('100 jobs with a /16 taken: no single free block holds 36 more, so the free /17 (31) and then a /19 (7) for the rest', () => {
    const plan = planRanges(request({ parallelJobs: 100 }), mostlyTaken());
    expect(plan.allocate).toEqual([
      { name: 'netreflex-psa-vpc-a-10-98-128-0-17', cidr: '10.98.128.0/17' },
      { name: 'netreflex-psa-vpc-a-10-98-32-0-19', cidr: '10.98.32.0/19' },
    ]);
    expect(plan.capacity).toMatchObject({ before: 63, after: 101 }); // the /21 is not needed once the new blocks are there
    expect(plan.changes.filter((c) => c.kind === 'createAddress')).toHaveLength(2);
    expect(plan.changes.find((c) => c.kind === 'patchFirewall')).toMatchObject({
      added: ['10.98.128.0/17', '10.98.32.0/19'],
    });
  });

  it('takes no more than what is left needs: 96 jobs → the /17 and then the smallest block for the last job', () => {
    const plan = planRanges(request({ parallelJobs: 96 }), mostlyTaken());
    expect(plan.allocate.map((a) => a.cidr)).toEqual(['10.98.128.0/17', '10.98.8.0/21']);
  });

  it('exhausted only when the free blocks together fall short, listing them', () => {
    expect(() => planRanges(request({ parallelJobs: 125 }), mostlyTaken())).toThrow(
      /pool exhausted: 61 more concurrent jobs .*free: 10.98.128.0\/17 \(31\), 10.98.64.0\/18 \(15\), 10.98.32.0\/19 \(7\), 10.98.16.0\/20 \(3\), 10.98.8.0\/21 \(1\), 57 job\(s\) in all/,
    );
  });
});

describe('planRanges: names unique per project', () => {
  it('the network is part of the name, so the same CIDR on two networks never clashes', () => {
    const a = planRanges(request({ parallelJobs: 40 }), sampleObserved());
    const b = planRanges(request({ parallelJobs: 40, network: 'vpc-b' }), sampleObserved());
    expect(a.allocate[0]!.name).toBe('netreflex-psa-vpc-a-10-99-0-0-16');
    expect(b.allocate[0]!.name).toBe('netreflex-psa-vpc-b-10-99-0-0-16');
  });

  it('a network name too long to fit is shortened with a hash, and stays a valid, unique 63-character name', () => {
    const long = `net-${'x'.repeat(55)}`;
    const names = ['', '-2'].map(
      (tail) => planRanges(request({ parallelJobs: 40, network: long + tail }), sampleObserved()).allocate[0]!.name,
    );
    for (const n of names) expect(n).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(names[0]).not.toBe(names[1]);
    expect(names[0]!.endsWith('-10-99-0-0-16')).toBe(true);
  });
});

describe('planRanges: bad input says what to change', () => {
  it.each([
    [{ parallelJobs: 0 }, /parallelJobs must be at least 1/],
    [{ parallelJobs: -2 }, /parallelJobs must be at least 1/],
    [{ nodesPerJob: 0 }, /nodesPerJob must be at least 1/],
    [{ parallelJobs: 1.5 }, /parallelJobs must be a whole number/],
    [{ network: '' }, /network must name VPC A/],
    [{ nodesPerJob: 64 }, /above 32.*split the job/],
    [
      { parallelJobs: 200 },
      /199 more concurrent jobs of ≤ 8 nodes are more than the pools 10.98.0.0\/15 could ever hold \(at most 127 such jobs, even empty\); ask for fewer parallel jobs/,
    ],
  ])('%o → ConfigError', (overrides, message) => {
    const attempt = () => planRanges(request(overrides), sampleObserved());
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('an observed range that does not parse names its source', () => {
    expect(() =>
      planRanges(request({ parallelJobs: 2 }), sampleObserved({ reservedRanges: ['10.300.0.0/16'] })),
    ).toThrow(/reserved range: "10.300.0.0\/16" is not an IP range/);
  });

  it('an IPv6 pool is refused', () => {
    expect(() => planRanges(request({ parallelJobs: 2 }), sampleObserved(), { pools: ['fd00::/48'] })).toThrow(
      /must be IPv4/,
    );
  });
});

describe('planRanges: warnings', () => {
  it('Cloud NAT ports: 2 VMs × 64 ports cannot carry 40 jobs × 8 nodes to one destination', () => {
    const plan = planRanges(request({ parallelJobs: 40 }), sampleObserved());
    expect(plan.warnings).toEqual([
      {
        code: 'nat-ports',
        message: expect.stringMatching(
          /2 NAT VMs × minPortsPerVm 64 = 128 .* may open 320\. Fix: enable dynamic port allocation with maxPortsPerVm ≥ 160, or raise minPortsPerVm to ≥ 160/,
        ),
      },
    ]);
  });

  it('dynamic port allocation lifts the limit to maxPortsPerVm', () => {
    const nat = { vmCount: 2, minPortsPerVm: 64, enableDynamicPortAllocation: true };
    expect(planRanges(request({ parallelJobs: 40 }), sampleObserved({ nat })).warnings).toEqual([]);
    const capped = planRanges(request({ parallelJobs: 40 }), sampleObserved({ nat: { ...nat, maxPortsPerVm: 128 } }));
    expect(capped.warnings.map((w) => w.code)).toEqual(['nat-ports']);
  });

  it('no NAT VMs, unknown NAT, missing firewall, missing configured range, overlap', () => {
    const observed = sampleObserved({
      nat: null,
      firewallSourceRanges: null,
      reservedRanges: ['10.98.4.0/24'],
    });
    const plan = planRanges(request(), observed, { vertexRangeNames: ['vertex-psa-range', 'old-range'] });
    expect(plan.warnings.map((w) => w.code)).toEqual([
      'range-not-found',
      'range-overlap',
      'firewall-missing',
      'nat-unknown',
    ]);
    expect(plan.changes.map((c) => c.kind)).not.toContain('patchFirewall');
    const empty = planRanges(
      request(),
      sampleObserved({ nat: { vmCount: 0, minPortsPerVm: 64, enableDynamicPortAllocation: false } }),
    );
    expect(empty.warnings.map((w) => w.code)).toEqual(['nat-no-vms']);
  });
});

describe('describeRangeChange', () => {
  it('renders every step of the 40-job plan as one readable line', () => {
    const plan = planRanges(
      request({ parallelJobs: 40 }),
      sampleObserved({ exportCustomRoutes: false, connection: null }),
    );
    expect(plan.changes.map(describeRangeChange)).toEqual([
      'create global address netreflex-psa-vpc-a-10-99-0-0-16 10.99.0.0/16 (purpose VPC_PEERING) on network vpc-a',
      'connect the Service Networking connection: reservedPeeringRanges = [vertex-psa-range, netreflex-psa-vpc-a-10-99-0-0-16] (adds vertex-psa-range, netreflex-psa-vpc-a-10-99-0-0-16)',
      'extend firewall allow-psa-to-nat sourceRanges with 10.99.0.0/16',
      'set NAT MIG metadata netreflex-psa-ranges=10.98.0.0/21,10.99.0.0/16 (NAT VMs add return routes for 10.99.0.0/16)',
      'enable exportCustomRoutes on peering servicenetworking-googleapis-com',
    ]);
  });
});

describe('the documented request', () => {
  it('functions/peering-ranges/sample-request.json passes the strict request schema as it is', async () => {
    const { readFileSync } = await import('node:fs');
    const sample = JSON.parse(
      readFileSync(new URL('../../functions/peering-ranges/sample-request.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(() => planRanges(sample as Parameters<typeof planRanges>[0], sampleObserved())).not.toThrow();
  });
});

describe('planRanges: short because of other runs, or exhausted for good', () => {
  // a pool of 12 jobs of ≤ 8 nodes: the sample /21 (1) and the free /19 (7), /20 (3) and /21 (1)
  const tight = { pools: ['10.98.0.0/18'] };
  const RUN_A = 'netreflex-psa-vpc-a-10-98-32-0-19';
  /** Run a prepared and confined to the /21 and the /19 (8 jobs), not started yet. */
  const withRunA = () =>
    sampleObserved({
      addresses: [
        { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: RUN_A, address: '10.98.32.0', prefixLength: 19, purpose: 'VPC_PEERING' },
      ],
      connection: { reservedPeeringRanges: ['vertex-psa-range', RUN_A] },
      firewallSourceRanges: ['10.98.0.0/21', '10.98.32.0/19'],
      migRanges: ['10.98.0.0/21', '10.98.32.0/19'],
      demand: [
        {
          source: 'reservation run-a',
          jobs: 8,
          nodesPerJob: 8,
          estimated: false,
          ranges: ['vertex-psa-range', RUN_A],
        },
      ],
    });
  /** The status code the function answers for what the planner threw. */
  const answered = (attempt: () => unknown) => {
    try {
      attempt();
    } catch (err) {
      return httpStatus(refusal(failureOf(err, 'invalid-request')));
    }
    return 200;
  };

  it("held by another run's ranges, fitting once it ends → PoolBusy naming it: 503, retry", () => {
    const attempt = () => planRanges(request({ parallelJobs: 8 }), withRunA(), tight);
    expect(attempt).toThrow(PoolBusy);
    expect(attempt).toThrow(
      /8 concurrent jobs of ≤ 8 nodes fit the pools with nothing else on the network, but not beside what runs or is prepared there now: reservation run-a\. Nothing was changed; retry/,
    );
    expect(answered(attempt)).toBe(503);
    // once run a has ended, the same request fits in its ranges
    const after = planRanges(request({ parallelJobs: 8 }), { ...withRunA(), demand: [] }, tight);
    expect(after.reservedIpRanges).toEqual(['vertex-psa-range', RUN_A]);
  });

  it('jobs that may use any range (a running pipeline of another team) → PoolBusy too', () => {
    const observed = sampleObserved({
      demand: [{ source: 'projects/p/locations/r/pipelineJobs/other', jobs: 10, nodesPerJob: 8, estimated: true }],
    });
    const attempt = () => planRanges(request({ parallelJobs: 5 }), observed, tight);
    expect(attempt).toThrow(PoolBusy);
    expect(attempt).toThrow(/now: projects\/p\/locations\/r\/pipelineJobs\/other\./);
    expect(answered(attempt)).toBe(503);
  });

  it('more than even empty pools hold only together with the others → PoolBusy, not 400', () => {
    const observed = sampleObserved({
      demand: [{ source: 'reservation big', jobs: 20, nodesPerJob: 8, estimated: false }],
    });
    expect(answered(() => planRanges(request({ parallelJobs: 2 }), observed, tight))).toBe(503);
  });

  it('exhausted even with nothing else running → the permanent refusal of the run alone: 422', () => {
    const attempt = () => planRanges(request({ parallelJobs: 13 }), withRunA(), tight);
    expect(attempt).toThrow(PoolExhausted);
    expect(attempt).toThrow(/pool exhausted: 5 more concurrent jobs .*free: 10.98.16.0\/20 \(3\), 10.98.8.0\/21 \(1\)/);
    expect(answered(attempt)).toBe(422);
    expect(answered(() => planRanges(request({ parallelJobs: 24 }), withRunA(), tight))).toBe(400);
  });
});
