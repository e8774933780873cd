/** The read-back after the writes (shared/plan/ranges-verify.ts): what is missing becomes steps; nothing missing is the verification. */
import { describe, expect, it } from 'vitest';
import {
  createdSince,
  noKnown,
  rangesInUse,
  remember,
  repairChanges,
  type WiringState,
} from '../../shared/plan/ranges-verify.js';
import { DEFAULT_RANGE_OPTIONS } from '../../shared/plan/ranges-types.js';
import { parseIpv4Block } from '../../shared/net/ipv4-blocks.js';

const used = [
  { name: 'vertex-psa-range', cidr: '10.98.0.0/21', jobs: 1, isNew: false, block: parseIpv4Block('10.98.0.0/21')! },
  {
    name: 'netreflex-psa-vpc-a-10-99-0-0-16',
    cidr: '10.99.0.0/16',
    jobs: 63,
    isNew: true,
    block: parseIpv4Block('10.99.0.0/16')!,
  },
];
const wired = (): WiringState => ({
  addresses: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16', 'cloudsql-range'],
  connection: ['vertex-psa-range', 'cloudsql-range', 'netreflex-psa-vpc-a-10-99-0-0-16'],
  firewall: ['10.98.0.0/21', '192.168.50.0/24', '10.99.0.0/16'],
  metadata: ['10.98.0.0/21', '10.99.0.0/16', '172.31.0.0/24'],
  exportCustomRoutes: true,
});

describe('repairChanges', () => {
  it("everything in place, everyone's entries included → nothing (verified)", () => {
    expect(repairChanges('vpc-a', used, remember(noKnown(), wired()), wired(), DEFAULT_RANGE_OPTIONS)).toEqual([]);
  });

  it('a concurrent write dropped our range and a foreign one: both go back, in one step per list', () => {
    const known = remember(noKnown(), wired());
    const state = {
      ...wired(),
      connection: ['vertex-psa-range'],
      firewall: ['10.98.0.0/21'],
      metadata: ['10.98.0.0/21'],
    };
    expect(repairChanges('vpc-a', used, known, state, DEFAULT_RANGE_OPTIONS)).toEqual([
      {
        kind: 'patchConnection',
        create: false,
        reservedPeeringRanges: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16', 'cloudsql-range'],
        added: ['netreflex-psa-vpc-a-10-99-0-0-16', 'cloudsql-range'],
      },
      {
        kind: 'patchFirewall',
        firewall: 'allow-psa-to-nat',
        sourceRanges: ['10.98.0.0/21', '10.99.0.0/16', '192.168.50.0/24'],
        added: ['10.99.0.0/16', '192.168.50.0/24'],
      },
      {
        kind: 'setMigMetadata',
        key: 'netreflex-psa-ranges',
        value: '10.98.0.0/21,10.99.0.0/16,172.31.0.0/24',
        ranges: ['10.98.0.0/21', '10.99.0.0/16', '172.31.0.0/24'],
        added: ['10.99.0.0/16', '172.31.0.0/24'],
      },
    ]);
  });

  it('a lost address insert is created again; a name whose address is gone is not put back on the connection', () => {
    const known = remember(noKnown(), { ...wired(), connection: [...wired().connection!, 'deleted-range'] });
    const state = { ...wired(), addresses: ['vertex-psa-range', 'cloudsql-range'] };
    const changes = repairChanges('vpc-a', used, known, state, DEFAULT_RANGE_OPTIONS);
    expect(changes).toEqual([
      {
        kind: 'createAddress',
        name: 'netreflex-psa-vpc-a-10-99-0-0-16',
        cidr: '10.99.0.0/16',
        address: '10.99.0.0',
        prefixLength: 16,
        network: 'vpc-a',
      },
    ]);
  });

  it('a wider entry covers a range; export off is turned back on', () => {
    const state = { ...wired(), firewall: ['10.96.0.0/12', '192.168.50.0/24'], exportCustomRoutes: false };
    expect(repairChanges('vpc-a', used, noKnown(), state, DEFAULT_RANGE_OPTIONS)).toEqual([
      { kind: 'enablePeeringExport', peering: 'servicenetworking-googleapis-com' },
    ]);
  });
});

describe('rangesInUse: what the read-back checks', () => {
  it("the plan's ranges as they are, each with its parsed block", () => {
    const ranges = used.map(({ block: _block, ...r }) => r);
    expect(rangesInUse({ ranges })).toEqual(used);
  });
});

describe('createdSince: the PSA addresses someone created while the preparation ran', () => {
  const STARTED = Date.parse('2026-12-03T12:00:00Z');
  const created = [
    { name: 'before-skew', at: STARTED - 60_001 },
    { name: 'at-skew', at: STARTED - 60_000 },
    { name: 'during', at: STARTED + 5_000 },
    { name: 'unknown-time', at: 0 },
  ];

  it("from a minute before it started (another machine's clock may be behind ours), in their order", () => {
    expect(createdSince(created, STARTED)).toEqual(['at-skew', 'during']);
  });

  it('none created: none', () => {
    expect(createdSince([], STARTED)).toEqual([]);
  });
});

describe('repairChanges: a list that is not there', () => {
  it('no connection yet: it is created with every range this run uses', () => {
    const state = { ...wired(), connection: null };
    expect(repairChanges('vpc-a', used, noKnown(), state, DEFAULT_RANGE_OPTIONS)).toEqual([
      {
        kind: 'patchConnection',
        create: true,
        reservedPeeringRanges: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16'],
        added: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16'],
      },
    ]);
  });

  it('no connection and no range in use: the connection is still created, empty', () => {
    expect(repairChanges('vpc-a', [], noKnown(), { ...wired(), connection: null }, DEFAULT_RANGE_OPTIONS)).toEqual([
      { kind: 'patchConnection', create: true, reservedPeeringRanges: [], added: [] },
    ]);
  });

  it('no firewall rule on the network: no firewall step (nothing to extend)', () => {
    const state = { ...wired(), firewall: null };
    expect(repairChanges('vpc-a', used, remember(noKnown(), wired()), state, DEFAULT_RANGE_OPTIONS)).toEqual([]);
  });

  it('an unreadable entry read back is refused naming the list it is in', () => {
    const firewall = { ...wired(), firewall: ['10.98.0.0/21', 'not-a-range'] };
    expect(() => repairChanges('vpc-a', used, noKnown(), firewall, DEFAULT_RANGE_OPTIONS)).toThrow(
      /^firewall allow-psa-to-nat sourceRanges: .*; fix or remove it, then retry$/,
    );
    const metadata = { ...wired(), metadata: ['not-a-range'] };
    expect(() => repairChanges('vpc-a', used, noKnown(), metadata, DEFAULT_RANGE_OPTIONS)).toThrow(
      /^NAT MIG metadata netreflex-psa-ranges: .*; fix or remove it, then retry$/,
    );
  });
});

describe('noKnown and remember', () => {
  it('nothing known at first', () => {
    expect(noKnown()).toEqual({ connection: [], firewall: [], metadata: [] });
  });

  it('a list that is not there adds nothing; what is there is added once', () => {
    const known = remember(noKnown(), { connection: null, firewall: null, metadata: ['10.98.0.0/21'] });
    expect(remember(known, { connection: ['a'], firewall: null, metadata: ['10.98.0.0/21'] })).toEqual({
      connection: ['a'],
      firewall: [],
      metadata: ['10.98.0.0/21'],
    });
  });
});
