/**
 * The warnings of the peered-range plan, word for word (they go into the report a person reads),
 * and where each one starts: the Cloud NAT port arithmetic at its boundary, a single NAT VM, a
 * configured range among several, overlaps with each kind of neighbour.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { natWarnings } from '../../shared/plan/ranges-warnings.js';
import { planRanges } from '../../shared/plan/ranges.js';
import { request, sampleObserved } from './fixtures.js';

const nat = (
  vmCount: number,
  minPortsPerVm: number,
  extra: { enableDynamicPortAllocation?: boolean; maxPortsPerVm?: number } = {},
) => ({
  vmCount,
  minPortsPerVm,
  enableDynamicPortAllocation: false,
  ...extra,
});

describe('natWarnings: the per-destination port check', () => {
  it('exactly as many connections as the NAT carries is enough; one more is not', () => {
    // 2 VMs × 64 ports = 128 connections to one destination IP:port
    expect(natWarnings(request({ parallelJobs: 16, nodesPerJob: 8 }), nat(2, 64))).toEqual([]);
    expect(natWarnings(request({ connectionsPerDestination: 128 }), nat(2, 64))).toEqual([]);
    expect(natWarnings(request({ connectionsPerDestination: 129 }), nat(2, 64))).toEqual([
      {
        code: 'nat-ports',
        message:
          'Cloud NAT: 2 NAT VMs × minPortsPerVm 64 = 128 concurrent connections per destination IP:port, but the run may open 129. ' +
          'Fix: enable dynamic port allocation with maxPortsPerVm ≥ 65, or raise minPortsPerVm to ≥ 65, or add NAT VMs (and NAT IPs)',
      },
    ]);
  });

  it('with dynamic port allocation the limit is maxPortsPerVm, and the message names it', () => {
    expect(
      natWarnings(
        request({ connectionsPerDestination: 300 }),
        nat(3, 64, { enableDynamicPortAllocation: true, maxPortsPerVm: 100 }),
      ),
    ).toEqual([]);
    expect(
      natWarnings(
        request({ connectionsPerDestination: 301 }),
        nat(3, 64, { enableDynamicPortAllocation: true, maxPortsPerVm: 100 }),
      ),
    ).toEqual([
      {
        code: 'nat-ports',
        message:
          'Cloud NAT: 3 NAT VMs × maxPortsPerVm 100 = 300 concurrent connections per destination IP:port, but the run may open 301. ' +
          'Fix: enable dynamic port allocation with maxPortsPerVm ≥ 101, or raise minPortsPerVm to ≥ 101, or add NAT VMs (and NAT IPs)',
      },
    ]);
    // no maximum set: Cloud NAT's default of 65536 per VM
    expect(
      natWarnings(request({ connectionsPerDestination: 65536 }), nat(1, 64, { enableDynamicPortAllocation: true })),
    ).toEqual([]);
    expect(
      natWarnings(request({ connectionsPerDestination: 65537 }), nat(1, 64, { enableDynamicPortAllocation: true }))[0]
        ?.message,
    ).toMatch(/^Cloud NAT: 1 NAT VMs × maxPortsPerVm 65536 = 65536 /);
  });

  it('one NAT VM is a path (the port check applies to it); none is no path at all', () => {
    expect(natWarnings(request({ connectionsPerDestination: 64 }), nat(1, 64))).toEqual([]);
    expect(natWarnings(request(), nat(0, 64))).toEqual([
      {
        code: 'nat-no-vms',
        message: 'the NAT MIG has no instances: pipeline egress has no path; scale the NAT MIG to 2 or more',
      },
    ]);
  });

  it('an unreadable Cloud NAT is said, not guessed', () => {
    expect(natWarnings(request(), null)).toEqual([
      {
        code: 'nat-unknown',
        message: 'Cloud NAT settings could not be read; the per-destination port check was skipped',
      },
    ]);
  });
});

describe('planRanges: warnings about the ranges and the firewall', () => {
  it('a configured Vertex range that is missing is named, while the ones present are not', () => {
    const observed = sampleObserved({
      addresses: [
        { name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' },
        { name: 'netreflex-psa-vpc-a-10-99-0-0-16', address: '10.99.0.0', prefixLength: 16, purpose: 'VPC_PEERING' },
      ],
      connection: { reservedPeeringRanges: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16'] },
      firewallSourceRanges: ['10.98.0.0/15'],
      migRanges: ['10.98.0.0/15'],
    });
    expect(planRanges(request(), observed, { vertexRangeNames: ['vertex-psa-range', 'old-range'] }).warnings).toEqual([
      {
        code: 'range-not-found',
        message:
          'configured Vertex range "old-range" is not a VPC_PEERING global address of this network; it is not counted — create it or remove it from the configuration',
      },
    ]);
  });

  it.each([
    ['a subnet', { subnets: [{ name: 'subnet-a', ipCidrRange: '10.98.4.0/24' }] }],
    [
      'a subnet secondary range',
      {
        subnets: [
          {
            name: 'subnet-a',
            ipCidrRange: '10.95.0.0/16',
            secondaryIpRanges: [{ rangeName: 'pods', ipCidrRange: '10.98.6.0/23' }],
          },
        ],
      },
    ],
    ['a reserved range', { reservedRanges: ['10.98.0.0/16'] }],
  ])('a Vertex range overlapping %s is warned about, with what to do', (_what, overrides) => {
    expect(planRanges(request(), sampleObserved(overrides)).warnings).toEqual([
      {
        code: 'range-overlap',
        message:
          'Vertex range vertex-psa-range (10.98.0.0/21) overlaps a subnet or a reserved range; move one of them, or drop vertex-psa-range from the Vertex ranges',
      },
    ]);
  });

  it('neighbours that only touch the range do not overlap it', () => {
    const observed = sampleObserved({
      subnets: [
        { name: 'below', ipCidrRange: '10.97.255.0/24' },
        { name: 'above', ipCidrRange: '10.98.8.0/21' },
      ],
      reservedRanges: ['10.98.8.0/24'],
    });
    expect(planRanges(request(), observed).warnings).toEqual([]);
  });

  it.each([
    [
      'a subnet',
      {
        subnets: [
          { name: 'subnet-a', ipCidrRange: '10.95.0.0' },
          { name: 'subnet-b', ipCidrRange: 'ten/8' },
        ],
      },
      'subnet: "ten/8"',
    ],
    ['a reserved range', { reservedRanges: ['on-prem'] }, 'reserved range: "on-prem"'],
  ])('with nothing to allocate, %s that does not parse is still refused, by name', (_what, overrides, start) => {
    const attempt = () => planRanges(request(), sampleObserved(overrides));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`${start} is not an IP range (expected e.g. 10.98.0.0/21); fix or remove it, then retry`);
  });

  it('a missing firewall rule is named with the fix', () => {
    expect(
      planRanges(request(), sampleObserved({ firewallSourceRanges: null }), { firewall: 'psa-to-nat' }).warnings,
    ).toEqual([
      {
        code: 'firewall-missing',
        message:
          'firewall rule psa-to-nat was not found, so PSA ranges may not reach the NAT VMs; create it (terraform-bootstrap nat.tf) or configure its name',
      },
    ]);
  });
});
