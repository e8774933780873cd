/**
 * Warnings of the peered-range plan: things that will hurt the run but that this plan does not
 * change, each with the fix. The Cloud NAT check follows DOMAIN §5: every Vertex node is
 * masqueraded behind the NAT VMs, and Cloud NAT gives each NAT VM only `minPortsPerVm` source
 * ports per destination IP:port (up to `maxPortsPerVm`, default 65536, with dynamic port
 * allocation), so 2 VMs × 64 ports = 128 concurrent connections to one endpoint.
 */
import { type RangeWithBlock, parseObservedList } from './ranges-observed.js';
import { overlaps } from '../net/ipv4-blocks.js';
import type { ObservedNat, ObservedNetwork, RangePlanOptions, RangeRequest, RangeWarning } from './ranges-types.js';

/** Default `maxPortsPerVm` when dynamic port allocation is on and no maximum is set. */
export const DYNAMIC_DEFAULT_MAX_PORTS = 65536;

export function rangeWarnings(
  request: RangeRequest,
  existing: readonly RangeWithBlock[],
  observed: ObservedNetwork,
  opts: RangePlanOptions,
): RangeWarning[] {
  return [
    ...missingRanges(existing, opts),
    ...overlapWarnings(existing, observed),
    ...(observed.firewallSourceRanges === null ? [firewallMissing(opts)] : []),
    ...natWarnings(request, observed.nat),
  ];
}

function missingRanges(existing: readonly RangeWithBlock[], opts: RangePlanOptions): RangeWarning[] {
  return opts.vertexRangeNames
    .filter((name) => !existing.some((r) => r.name === name))
    .map((name) => ({
      code: 'range-not-found',
      message: `configured Vertex range "${name}" is not a VPC_PEERING global address of this network; it is not counted — create it or remove it from the configuration`,
    }));
}

/** A Vertex range that overlaps a subnet or a reserved range will collide as soon as both are used. */
function overlapWarnings(existing: readonly RangeWithBlock[], observed: ObservedNetwork): RangeWarning[] {
  const others = [
    ...parseObservedList(
      observed.subnets.flatMap((s) => [s.ipCidrRange, ...(s.secondaryIpRanges ?? []).map((r) => r.ipCidrRange)]),
      'subnet',
    ),
    ...parseObservedList(observed.reservedRanges, 'reserved range'),
  ];
  return existing
    .filter((r) => others.some((o) => overlaps(r.block, o)))
    .map((r) => ({
      code: 'range-overlap',
      message: `Vertex range ${r.name} (${r.cidr}) overlaps a subnet or a reserved range; move one of them, or drop ${r.name} from the Vertex ranges`,
    }));
}

function firewallMissing(opts: RangePlanOptions): RangeWarning {
  return {
    code: 'firewall-missing',
    message: `firewall rule ${opts.firewall} was not found, so PSA ranges may not reach the NAT VMs; create it (terraform-bootstrap nat.tf) or configure its name`,
  };
}

/** Warns when the NAT VMs × ports per VM cannot carry the run's connections to one destination. */
export function natWarnings(request: RangeRequest, nat: ObservedNat | null): RangeWarning[] {
  if (nat === null)
    return [
      {
        code: 'nat-unknown',
        message: 'Cloud NAT settings could not be read; the per-destination port check was skipped',
      },
    ];
  if (nat.vmCount < 1) {
    return [
      {
        code: 'nat-no-vms',
        message: 'the NAT MIG has no instances: pipeline egress has no path; scale the NAT MIG to 2 or more',
      },
    ];
  }
  const expected = request.connectionsPerDestination ?? request.parallelJobs * request.nodesPerJob;
  const perVm = nat.enableDynamicPortAllocation ? (nat.maxPortsPerVm ?? DYNAMIC_DEFAULT_MAX_PORTS) : nat.minPortsPerVm;
  if (expected <= nat.vmCount * perVm) return [];
  const needed = Math.ceil(expected / nat.vmCount);
  const setting = nat.enableDynamicPortAllocation ? `maxPortsPerVm ${perVm}` : `minPortsPerVm ${perVm}`;
  return [
    {
      code: 'nat-ports',
      message:
        `Cloud NAT: ${nat.vmCount} NAT VMs × ${setting} = ${nat.vmCount * perVm} concurrent connections per destination IP:port, ` +
        `but the run may open ${expected}. Fix: enable dynamic port allocation with maxPortsPerVm ≥ ${needed}, ` +
        `or raise minPortsPerVm to ≥ ${needed}, or add NAT VMs (and NAT IPs)`,
    },
  ];
}
