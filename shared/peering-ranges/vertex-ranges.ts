/**
 * The one observation of "the PSA ranges Vertex may use on this network", shared by peeringRanges,
 * `netreflex status` and (through peeringRanges' answer, its `reservedIpRanges`) the workflow, so
 * the three never disagree: the `VPC_PEERING` global addresses of the network that are named in
 * NETREFLEX_VERTEX_RANGES or carry netreflex's prefix. Other PSA ranges of the network (a Cloud SQL
 * range, say) are listed apart: they are avoided by allocation and kept on the connection, but
 * they are not Vertex capacity — counting them is how a status page said "room for 64 jobs" while
 * peeringRanges saw room for 1.
 */
import type { Transport } from '../gcp/transport.js';
import { listGlobalAddresses, type GlobalAddress } from '../gcp/addresses.js';
import { vertexRanges } from '../plan/ranges-observed.js';
import type { ObservedAddress, RangePlanOptions } from '../plan/ranges-types.js';
import { sameNetwork, type NetworkRef } from '../gcp/paths.js';

export interface PsaRange {
  name: string;
  cidr: string;
  prefixLength: number;
}

export interface VertexRangesObservation {
  /** The ranges Vertex may use, by address. */
  vertex: PsaRange[];
  /** The network's other PSA (VPC_PEERING) ranges: not Vertex's. */
  other: PsaRange[];
}

/** The network's VPC_PEERING addresses as the planner reads them (`sameNetwork`: the one network test). */
export function peeringAddressesOf(all: readonly GlobalAddress[], network: NetworkRef): ObservedAddress[] {
  return all
    .filter((a) => a.purpose === 'VPC_PEERING' && sameNetwork(a.network, network))
    .map((a) => ({ name: a.name, address: a.address, prefixLength: a.prefixLength ?? 32, purpose: a.purpose }));
}

/** Splits the network's PSA ranges into Vertex's and the others, by the planner's own rule. */
export function vertexRangesOf(
  all: readonly GlobalAddress[],
  network: NetworkRef,
  opts: Pick<RangePlanOptions, 'vertexRangeNames' | 'namePrefix'>,
): VertexRangesObservation {
  const psa = peeringAddressesOf(all, network);
  const vertex = vertexRanges({ addresses: psa }, opts, 8).map((r) => ({
    name: r.name,
    cidr: r.cidr,
    prefixLength: r.block.prefix,
  }));
  const names = new Set(vertex.map((r) => r.name));
  const other = psa
    .filter((a) => !names.has(a.name))
    .map((a) => ({ name: a.name, cidr: `${a.address}/${a.prefixLength}`, prefixLength: a.prefixLength }));
  return { vertex, other };
}

export async function observeVertexRanges(
  t: Transport,
  project: string,
  network: string,
  opts: Pick<RangePlanOptions, 'vertexRangeNames' | 'namePrefix'>,
): Promise<VertexRangesObservation> {
  return vertexRangesOf(await listGlobalAddresses(t, project), { project, name: network }, opts);
}
