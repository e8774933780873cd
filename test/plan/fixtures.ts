/** The sample topology (DOMAIN §7) as the peered-range planner observes it, fully wired. */
import type { ObservedNetwork, RangeRequest } from '../../shared/plan/ranges.js';

export function sampleObserved(overrides: Partial<ObservedNetwork> = {}): ObservedNetwork {
  return {
    addresses: [{ name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' }],
    connection: { reservedPeeringRanges: ['vertex-psa-range'] },
    subnets: [{ name: 'subnet-a', ipCidrRange: '10.95.0.0/16' }],
    routeDestRanges: ['0.0.0.0/0', '198.51.100.10/32', '198.51.100.64/27'],
    peerImportedRanges: ['10.98.0.0/24'],
    reservedRanges: [],
    firewallSourceRanges: ['10.98.0.0/21'],
    migRanges: ['10.98.0.0/21'],
    exportCustomRoutes: true,
    nat: { vmCount: 2, minPortsPerVm: 64, enableDynamicPortAllocation: false },
    ...overrides,
  };
}

export function request(overrides: Partial<RangeRequest> = {}): RangeRequest {
  return {
    parallelJobs: 1,
    nodesPerJob: 8,
    network: 'vpc-a',
    region: 'asia-northeast1',
    displayName: 'train',
    ...overrides,
  };
}
