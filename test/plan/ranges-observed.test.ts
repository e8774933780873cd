/**
 * How the peered-range planner reads observed state: which addresses are Vertex's ranges, which
 * blocks a new range must stay clear of, and how an unreadable observed range is reported.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { formatIpv4Block, parseIpv4Block } from '../../shared/net/ipv4-blocks.js';
import {
  isCovered,
  parseObserved,
  parseObservedList,
  takenBlocks,
  vertexRanges,
} from '../../shared/plan/ranges-observed.js';
import { DEFAULT_RANGE_OPTIONS } from '../../shared/plan/ranges-types.js';
import { sampleObserved } from './fixtures.js';

const cidrs = (blocks: readonly { start: number; prefix: number }[]) => blocks.map(formatIpv4Block);
const block = (cidr: string) => parseIpv4Block(cidr)!;

/** Everything empty: each test adds the one kind of occupant it is about. */
const empty = () =>
  sampleObserved({
    addresses: [],
    subnets: [],
    routeDestRanges: [],
    peerImportedRanges: [],
    reservedRanges: [],
    firewallSourceRanges: [],
    migRanges: [],
  });

describe('vertexRanges: which addresses Vertex may use', () => {
  it('only VPC_PEERING addresses named in the configuration or carrying the prefix, lowest address first', () => {
    const addresses = [
      { name: 'netreflex-psa-vpc-a-10-99-0-0-16', address: '10.99.0.0', prefixLength: 16, purpose: 'VPC_PEERING' },
      { name: 'netreflex-psa-ilb', address: '10.98.64.5', prefixLength: 32, purpose: 'GCE_ENDPOINT' },
      { name: 'netreflex-psa-no-purpose', address: '10.98.128.0', prefixLength: 20 },
      { name: 'cloudsql-range', address: '10.98.8.0', prefixLength: 24, purpose: 'VPC_PEERING' },
      { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
    ];
    const ranges = vertexRanges({ addresses }, DEFAULT_RANGE_OPTIONS, 8);
    expect(ranges.map(({ block: _b, ...r }) => r)).toEqual([
      { name: 'vertex-psa-range', cidr: '10.98.0.0/21', jobs: 1, isNew: false },
      { name: 'netreflex-psa-vpc-a-10-99-0-0-16', cidr: '10.99.0.0/16', jobs: 63, isNew: false },
    ]);
  });

  it('sorts by address, not by the order Compute lists them in or by name', () => {
    const addresses = [
      { name: 'netreflex-psa-a', address: '10.99.128.0', prefixLength: 17, purpose: 'VPC_PEERING' },
      { name: 'netreflex-psa-b', address: '10.98.0.0', prefixLength: 20, purpose: 'VPC_PEERING' },
      { name: 'netreflex-psa-c', address: '10.99.0.0', prefixLength: 17, purpose: 'VPC_PEERING' },
    ];
    expect(vertexRanges({ addresses }, DEFAULT_RANGE_OPTIONS, 8).map((r) => r.cidr)).toEqual([
      '10.98.0.0/20',
      '10.99.0.0/17',
      '10.99.128.0/17',
    ]);
  });

  it('a Vertex range whose address does not parse is a ConfigError naming the address', () => {
    const addresses = [{ name: 'vertex-psa-range', address: '10.98.0', prefixLength: 21, purpose: 'VPC_PEERING' }];
    const attempt = () => vertexRanges({ addresses }, DEFAULT_RANGE_OPTIONS, 8);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'global address vertex-psa-range: "10.98.0/21" is not an IP range (expected e.g. 10.98.0.0/21); fix or remove it, then retry',
    );
  });
});

describe('parseObserved / parseObservedList', () => {
  it('IPv6 ranges are dropped, IPv4 ones kept in order', () => {
    expect(parseObserved('2001:db8::/32', 'x')).toBeUndefined();
    expect(cidrs(parseObservedList(['10.1.0.0/16', '2001:db8::/32', 'fd00::/8', '10.0.0.0/8'], 'x'))).toEqual([
      '10.1.0.0/16',
      '10.0.0.0/8',
    ]);
  });

  it('garbage is a ConfigError that says where it came from and what to do', () => {
    const attempt = () => parseObservedList(['10.1.0.0/16', 'not-a-range'], 'firewall allow-psa-to-nat sourceRanges');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'firewall allow-psa-to-nat sourceRanges: "not-a-range" is not an IP range (expected e.g. 10.98.0.0/21); fix or remove it, then retry',
    );
  });
});

describe('takenBlocks: what a new range must avoid', () => {
  it('every global address of any purpose, both subnet ranges, routes, peer-imported and reserved ranges, in that order', () => {
    const observed = {
      ...empty(),
      addresses: [
        { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: 'some-ilb', address: '10.98.64.5', prefixLength: 32, purpose: 'GCE_ENDPOINT' },
      ],
      subnets: [
        {
          name: 'subnet-a',
          ipCidrRange: '10.95.0.0/16',
          secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.98.16.0/20' }],
        },
        { name: 'subnet-b', ipCidrRange: '10.97.0.0/16' },
      ],
      routeDestRanges: ['10.98.32.0/22'],
      peerImportedRanges: ['10.98.40.0/21'],
      reservedRanges: ['10.98.48.0/20'],
    };
    expect(cidrs(takenBlocks(observed))).toEqual([
      '10.98.0.0/21',
      '10.98.64.5/32',
      '10.95.0.0/16',
      '10.98.16.0/20',
      '10.97.0.0/16',
      '10.98.32.0/22',
      '10.98.40.0/21',
      '10.98.48.0/20',
    ]);
  });

  it('the default route is not an occupant, any other route is — however short its prefix', () => {
    expect(cidrs(takenBlocks({ ...empty(), routeDestRanges: ['0.0.0.0/0', '10.0.0.0/8', '10.98.1.7/32'] }))).toEqual([
      '10.0.0.0/8',
      '10.98.1.7/32',
    ]);
  });

  it('IPv6 occupants of every kind are dropped', () => {
    const observed = {
      ...empty(),
      addresses: [{ name: 'v6', address: 'fd20::', prefixLength: 96, purpose: 'VPC_PEERING' }],
      subnets: [{ name: 'dual', ipCidrRange: '10.95.0.0/16', secondaryIpRanges: [{ ipCidrRange: 'fd20:1::/64' }] }],
      routeDestRanges: ['::/0', '2001:db8::/32'],
      peerImportedRanges: ['fd20:2::/64'],
      reservedRanges: ['fd20:3::/64'],
    };
    expect(cidrs(takenBlocks(observed))).toEqual(['10.95.0.0/16']);
  });

  it.each([
    [
      'a global address',
      { addresses: [{ name: 'bad-address', address: '10.98.0.300', prefixLength: 24 }] },
      'global address bad-address: "10.98.0.300/24"',
    ],
    ['a subnet', { subnets: [{ name: 'subnet-a', ipCidrRange: '10.95.0.0/33' }] }, 'subnet subnet-a: "10.95.0.0/33"'],
    [
      'a secondary range',
      { subnets: [{ name: 'subnet-a', ipCidrRange: '10.95.0.0/16', secondaryIpRanges: [{ ipCidrRange: 'pods' }] }] },
      'secondary range of subnet subnet-a: "pods"',
    ],
    ['a route', { routeDestRanges: ['10.1.2'] }, 'route destRange: "10.1.2"'],
    ['a peer-imported range', { peerImportedRanges: ['10.98.0.0/x'] }, 'peer-imported range: "10.98.0.0/x"'],
    ['a reserved range', { reservedRanges: ['on-prem'] }, 'reserved range: "on-prem"'],
  ])('%s that does not parse is a ConfigError naming it', (_what, overrides, start) => {
    const attempt = () => takenBlocks({ ...empty(), ...overrides });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`${start} is not an IP range (expected e.g. 10.98.0.0/21); fix or remove it, then retry`);
  });
});

describe('isCovered', () => {
  it('true only when one block of the cover holds the whole block', () => {
    expect(isCovered(block('10.98.8.0/21'), [block('10.0.0.0/24'), block('10.98.0.0/16')])).toBe(true);
    expect(isCovered(block('10.98.8.0/21'), [block('10.98.8.0/22'), block('10.98.12.0/22')])).toBe(false);
    expect(isCovered(block('10.98.8.0/21'), [])).toBe(false);
  });
});
