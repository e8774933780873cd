/**
 * What peeringRanges read, as the range planner reads it (shared/plan/ranges-observation.ts): only
 * this network's PSA addresses, routes and firewall; the peering's export flag; the demand without
 * spent reservations; the read-back's lists; the reserved runs to look up and the runs that started;
 * a published range list; the Cloud NAT's port settings.
 */
import { describe, expect, it } from 'vitest';
import {
  labelledRuns,
  observedNat,
  observedNetworkOf,
  pendingRuns,
  rangeList,
  startedRunsOf,
  wiringOf,
  type NetworkReads,
} from '../../shared/plan/ranges-observation.js';
import type { GlobalAddress } from '../../shared/gcp/addresses.js';
import type { DemandReservation } from '../../shared/plan/ranges-demand.js';
import type { CloudNat, CloudRouter } from '../../shared/gcp/routers.js';
import type { PipelineJob } from '../../shared/gcp/vertex.js';

const OURS = { project: 'my-project', projectNumber: '123', name: 'vpc-a' };
const A = 'https://www.googleapis.com/compute/v1/projects/my-project/global/networks/vpc-a';
const A_BY_NUMBER = 'projects/123/global/networks/vpc-a';
const B = 'https://www.googleapis.com/compute/v1/projects/my-project/global/networks/vpc-b';
/** A network of the same name in another project: not ours, however its URL ends. */
const A_ELSEWHERE = 'https://www.googleapis.com/compute/v1/projects/other-project/global/networks/vpc-a';
const PEERING = 'servicenetworking-googleapis-com';
const NOW = Date.parse('2026-12-03T12:00:00Z');
const LATER = '2026-12-03T13:00:00Z';
const EARLIER = '2026-12-03T11:00:00Z';

const psa = (name: string, address: string, prefixLength: number | undefined, network: string): GlobalAddress => ({
  name,
  address,
  ...(prefixLength !== undefined ? { prefixLength } : {}),
  purpose: 'VPC_PEERING',
  network,
});
const reservation = (runId: string, expiresAt = LATER, extra: Partial<DemandReservation> = {}): DemandReservation => ({
  runId,
  parallelJobs: 2,
  nodesPerJob: 8,
  expiresAt,
  ...extra,
});
const labelled = (run?: string): PipelineJob => ({
  name: `projects/123/locations/asia-northeast1/pipelineJobs/${run ?? 'none'}`,
  labels: run === undefined ? {} : { 'netreflex-run': run },
});

const reads = (over: Partial<NetworkReads> = {}): NetworkReads => ({
  network: { peerings: [{ name: PEERING, network: 'producer', state: 'ACTIVE', exportCustomRoutes: true }] },
  addresses: [psa('vertex-psa-range', '10.98.0.0', 21, A)],
  connection: { reservedPeeringRanges: ['vertex-psa-range'] },
  subnets: [{ name: 'subnet-a', ipCidrRange: '10.95.0.0/16' }],
  routes: [{ network: A, destRange: '0.0.0.0/0' }],
  peerImportedRanges: ['10.98.0.0/24'],
  firewall: { network: A, sourceRanges: ['10.98.0.0/21'] },
  migRanges: ['10.98.0.0/21'],
  nat: { vmCount: 2, minPortsPerVm: 64, enableDynamicPortAllocation: false },
  jobs: { pipelineJobs: [], customJobs: [] },
  ended: new Set(),
  ...over,
});
const CFG = { reservedRanges: ['192.168.0.0/16'], plan: { peering: PEERING } };
const NO_DEMAND = { reservations: [], now: NOW };

describe('observedNetworkOf', () => {
  it('the sample network as the planner reads it, every list passed on', () => {
    expect(observedNetworkOf(reads(), OURS, CFG, NO_DEMAND)).toEqual({
      addresses: [{ name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' }],
      connection: { reservedPeeringRanges: ['vertex-psa-range'] },
      subnets: [{ name: 'subnet-a', ipCidrRange: '10.95.0.0/16', secondaryIpRanges: undefined }],
      routeDestRanges: ['0.0.0.0/0'],
      peerImportedRanges: ['10.98.0.0/24'],
      reservedRanges: ['192.168.0.0/16'],
      firewallSourceRanges: ['10.98.0.0/21'],
      migRanges: ['10.98.0.0/21'],
      exportCustomRoutes: true,
      nat: { vmCount: 2, minPortsPerVm: 64, enableDynamicPortAllocation: false },
      demand: [],
    });
  });

  it("addresses: this network's PSA ranges (by id or number) and every other-purpose address; another network's PSA range is not ours", () => {
    const observed = observedNetworkOf(
      reads({
        addresses: [
          psa('ours', '10.98.0.0', 21, A),
          psa('ours-by-number', '10.97.0.0', undefined, A_BY_NUMBER),
          psa('theirs', '10.96.0.0', 20, B),
          psa('netreflex-psa-vpc-a-10-99-0-0-16', '10.99.0.0', 16, A_ELSEWHERE),
          { name: 'lb', address: '10.1.2.3', purpose: 'GCE_ENDPOINT', network: B },
          { name: 'static', address: '34.1.2.3' },
        ],
      }),
      OURS,
      CFG,
      NO_DEMAND,
    );
    expect(observed.addresses).toEqual([
      { name: 'ours', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
      { name: 'ours-by-number', address: '10.97.0.0', prefixLength: 32, purpose: 'VPC_PEERING' },
      { name: 'lb', address: '10.1.2.3', prefixLength: 32, purpose: 'GCE_ENDPOINT' },
      { name: 'static', address: '34.1.2.3', prefixLength: 32, purpose: undefined },
    ]);
  });

  it('no connection is null; a connection without a list has an empty one', () => {
    expect(observedNetworkOf(reads({ connection: null }), OURS, CFG, NO_DEMAND).connection).toBeNull();
    const bare = { reservedPeeringRanges: undefined } as unknown as NetworkReads['connection'];
    expect(observedNetworkOf(reads({ connection: bare }), OURS, CFG, NO_DEMAND).connection).toEqual({
      reservedPeeringRanges: [],
    });
  });

  it('subnets keep their name and ranges, secondary ones included, and nothing else', () => {
    const subnet = {
      name: 's',
      ipCidrRange: '10.0.0.0/24',
      secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.4.0.0/14' }],
      network: A,
      gatewayAddress: '10.0.0.1',
    };
    expect(observedNetworkOf(reads({ subnets: [subnet] }), OURS, CFG, NO_DEMAND).subnets).toEqual([
      { name: 's', ipCidrRange: '10.0.0.0/24', secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.4.0.0/14' }] },
    ]);
  });

  it("routes: only this network's destinations", () => {
    const routes = [
      { network: A, destRange: '10.1.0.0/16' },
      { network: B, destRange: '10.2.0.0/16' },
      { network: A_BY_NUMBER, destRange: '10.3.0.0/16' },
    ];
    expect(observedNetworkOf(reads({ routes }), OURS, CFG, NO_DEMAND).routeDestRanges).toEqual([
      '10.1.0.0/16',
      '10.3.0.0/16',
    ]);
  });

  it("the firewall: its source ranges on this network; none, or another network's rule, is null; no list is empty", () => {
    const of = (firewall: NetworkReads['firewall']) =>
      observedNetworkOf(reads({ firewall }), OURS, CFG, NO_DEMAND).firewallSourceRanges;
    expect(of(undefined)).toBeNull();
    expect(of({ network: B, sourceRanges: ['10.98.0.0/21'] })).toBeNull();
    expect(of({ network: A })).toEqual([]);
    expect(of({ network: A, sourceRanges: ['10.0.0.0/8'] })).toEqual(['10.0.0.0/8']);
  });

  it("the export flag is the named peering's, and only a true one counts", () => {
    const of = (peerings: NetworkReads['network']['peerings']) =>
      observedNetworkOf(reads({ network: { peerings } }), OURS, CFG, NO_DEMAND).exportCustomRoutes;
    const peering = (name: string, exportCustomRoutes?: boolean) => ({
      name,
      network: 'producer',
      state: 'ACTIVE',
      ...(exportCustomRoutes !== undefined ? { exportCustomRoutes } : {}),
    });
    expect(of(undefined)).toBe(false);
    expect(of([])).toBe(false);
    expect(of([peering('other', true)])).toBe(false);
    expect(of([peering(PEERING)])).toBe(false);
    expect(of([peering(PEERING, false)])).toBe(false);
    expect(of([peering('other', false), peering(PEERING, true)])).toBe(true);
  });

  it('no Cloud NAT read is null', () => {
    expect(observedNetworkOf(reads({ nat: null }), OURS, CFG, NO_DEMAND).nat).toBeNull();
  });

  it("the demand: the jobs on the network and the reservations of runs not started yet, never this run's own", () => {
    const job = {
      name: 'projects/123/locations/r/pipelineJobs/p1',
      labels: { 'netreflex-parallel-jobs': '3', 'netreflex-nodes-per-job': '16' },
    };
    const observed = observedNetworkOf(
      reads({ jobs: { pipelineJobs: [job], customJobs: [] }, ended: new Set(['r-done']) }),
      OURS,
      CFG,
      {
        reservations: [
          reservation('r-done'),
          reservation('r-next', LATER, { reservedIpRanges: ['vertex-psa-range'] }),
          reservation('r-own'),
        ],
        runId: 'r-own',
        now: NOW,
      },
    );
    expect(observed.demand).toEqual([
      { source: 'projects/123/locations/r/pipelineJobs/p1', jobs: 3, nodesPerJob: 16, estimated: false },
      { source: 'reservation r-next', jobs: 2, nodesPerJob: 8, estimated: false, ranges: ['vertex-psa-range'] },
    ]);
  });

  it('a reservation counts until it expires (the time of the observation decides)', () => {
    const demand = { reservations: [reservation('r-1', LATER)], now: Date.parse(LATER) };
    expect(observedNetworkOf(reads(), OURS, CFG, demand).demand).toEqual([]);
    expect(observedNetworkOf(reads(), OURS, CFG, { ...demand, now: Date.parse(LATER) - 1 }).demand).toHaveLength(1);
  });
});

describe('wiringOf: the read-back of the lists', () => {
  const back = (over: Partial<Parameters<typeof wiringOf>[0]> = {}) =>
    wiringOf(
      {
        addresses: [],
        connection: { reservedPeeringRanges: ['vertex-psa-range'] },
        firewall: { network: A, sourceRanges: ['10.98.0.0/21'] },
        metadata: ['10.98.0.0/21'],
        network: { peerings: [{ name: PEERING, network: 'producer', state: 'ACTIVE', exportCustomRoutes: true }] },
        ...over,
      },
      OURS,
      PEERING,
    );

  it("this network's PSA addresses, each with its creation time (0 when missing or unreadable)", () => {
    const wiring = back({
      addresses: [
        { ...psa('a1', '10.98.0.0', 21, A), creationTimestamp: '2026-12-03T11:59:00.000-08:00' },
        psa('a2', '10.97.0.0', 20, A_BY_NUMBER),
        { ...psa('a3', '10.96.0.0', 20, A), creationTimestamp: 'yesterday' },
        psa('theirs', '10.95.0.0', 20, B),
        { name: 'lb', address: '10.1.2.3', purpose: 'GCE_ENDPOINT', network: A },
      ],
    });
    expect(wiring.addresses).toEqual(['a1', 'a2', 'a3']);
    expect(wiring.created).toEqual([
      { name: 'a1', at: Date.parse('2026-12-03T19:59:00Z') },
      { name: 'a2', at: 0 },
      { name: 'a3', at: 0 },
    ]);
  });

  it('the lists as read: connection, firewall, metadata and the export flag', () => {
    expect(back()).toEqual({
      addresses: [],
      created: [],
      connection: ['vertex-psa-range'],
      firewall: ['10.98.0.0/21'],
      metadata: ['10.98.0.0/21'],
      exportCustomRoutes: true,
    });
  });

  it("no connection and no firewall on this network are null; a list that is absent is empty; another peering's flag is not ours", () => {
    expect(
      back({
        connection: null,
        firewall: { network: B, sourceRanges: ['10.98.0.0/21'] },
        network: { peerings: [{ name: 'other', network: 'x', state: 'ACTIVE', exportCustomRoutes: true }] },
      }),
    ).toMatchObject({ connection: null, firewall: null, exportCustomRoutes: false });
    const bare = { reservedPeeringRanges: undefined } as unknown as Parameters<typeof wiringOf>[0]['connection'];
    expect(back({ connection: bare, firewall: { network: A } })).toMatchObject({ connection: [], firewall: [] });
    expect(back({ firewall: undefined }).firewall).toBeNull();
  });
});

describe('labelledRuns', () => {
  it('the run ids of the labelled jobs, once each; unlabelled jobs and empty labels are none', () => {
    expect([
      ...labelledRuns([
        labelled('r-1'),
        labelled(),
        { labels: undefined },
        labelled(''),
        labelled('r-2'),
        labelled('r-1'),
      ]),
    ]).toEqual(['r-1', 'r-2']);
  });

  it('among the given ids only, when given', () => {
    expect([...labelledRuns([labelled('r-1'), labelled('r-2'), labelled('r-3')], ['r-3', 'r-1'])]).toEqual([
      'r-1',
      'r-3',
    ]);
    expect([...labelledRuns([labelled('r-1')], [])]).toEqual([]);
  });
});

describe('pendingRuns: the reserved runs to look up', () => {
  it("other runs' unexpired reservations, once each, in order", () => {
    expect(
      pendingRuns({
        reservations: [reservation('r-2'), reservation('r-1'), reservation('r-2')],
        now: NOW,
      }),
    ).toEqual(['r-2', 'r-1']);
  });

  it("not this run's own, not an expired one (expiring now included), not an id the label cannot carry", () => {
    expect(
      pendingRuns({
        reservations: [
          reservation('r-own'),
          reservation('r-old', EARLIER),
          reservation('r-now', new Date(NOW).toISOString()),
          reservation('Not/A-Label'),
          reservation('r-ok'),
        ],
        runId: 'r-own',
        now: NOW,
      }),
    ).toEqual(['r-ok']);
  });

  it('none reserved: nothing to look up', () => {
    expect(pendingRuns({ reservations: [], now: NOW })).toEqual([]);
  });
});

describe('startedRunsOf', () => {
  it('the runs found by their reservation, then those of the active jobs on the network', () => {
    const started = startedRunsOf({
      ended: new Set(['r-1']),
      jobs: { pipelineJobs: [labelled('r-2'), labelled(), labelled('r-1')], customJobs: [] },
    });
    expect([...started]).toEqual(['r-1', 'r-2']);
  });
});

describe('rangeList: a published list of ranges', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['10.98.0.0/21', ['10.98.0.0/21']],
    [' 10.98.0.0/21 , ,10.99.0.0/16,', ['10.98.0.0/21', '10.99.0.0/16']],
  ])('%j → %j', (value, list) => {
    expect(rangeList(value)).toEqual(list);
  });
});

describe('observedNat: the egress Cloud NAT as the port check reads it', () => {
  const router = (nats?: (CloudNat & { maxPortsPerVm?: number })[]): CloudRouter => ({
    name: 'r',
    network: A,
    region: 'asia-northeast1',
    ...(nats ? { nats } : {}),
  });

  it('no router, no NAT on it, or not the named one: null (the check is skipped)', () => {
    expect(observedNat(undefined, 'egress', 2)).toBeNull();
    expect(observedNat(router(), 'egress', 2)).toBeNull();
    expect(observedNat(router([{ name: 'other', minPortsPerVm: 128 }]), 'egress', 2)).toBeNull();
  });

  it("the named NAT's settings, with Google's defaults (64 ports, no dynamic allocation), and the VM count", () => {
    expect(observedNat(router([{ name: 'other' }, { name: 'egress' }]), 'egress', 3)).toEqual({
      vmCount: 3,
      minPortsPerVm: 64,
      enableDynamicPortAllocation: false,
    });
  });

  it('set values are kept; maxPortsPerVm only when set', () => {
    const nat = { name: 'egress', minPortsPerVm: 1024, enableDynamicPortAllocation: true, maxPortsPerVm: 4096 };
    expect(observedNat(router([nat]), 'egress', 2)).toEqual({
      vmCount: 2,
      minPortsPerVm: 1024,
      enableDynamicPortAllocation: true,
      maxPortsPerVm: 4096,
    });
    expect(Object.keys(observedNat(router([{ name: 'egress', maxPortsPerVm: undefined }]), 'egress', 2)!)).toEqual([
      'vmCount',
      'minPortsPerVm',
      'enableDynamicPortAllocation',
    ]);
  });
});
