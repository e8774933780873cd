/**
 * Reading observed state for the peered-range planner: which addresses are Vertex's ranges and
 * which blocks a new range must stay clear of. Observed ranges that do not parse are reported as a
 * ConfigError naming where they came from, since the plan would otherwise be built on a guess.
 */
import { ConfigError } from '../errors.js';
import { jobsPerRange } from './capacity.js';
import { type Ipv4Block, contains, formatIpv4Block, parseIpv4Block } from '../net/ipv4-blocks.js';
import type { ObservedNetwork, PlannedRange, RangePlanOptions } from './ranges-types.js';

/** A Vertex range with its parsed block. */
export interface RangeWithBlock extends PlannedRange {
  block: Ipv4Block;
}

/** The `VPC_PEERING` addresses Vertex may use, sorted by address. */
export function vertexRanges(
  observed: Pick<ObservedNetwork, 'addresses'>,
  opts: Pick<RangePlanOptions, 'vertexRangeNames' | 'namePrefix'>,
  nodesPerJob: number,
): RangeWithBlock[] {
  const ranges: RangeWithBlock[] = [];
  for (const a of observed.addresses) {
    if (a.purpose !== 'VPC_PEERING') continue;
    if (!opts.vertexRangeNames.includes(a.name) && !a.name.startsWith(opts.namePrefix)) continue;
    const block = parseObserved(`${a.address}/${a.prefixLength}`, `global address ${a.name}`);
    if (!block) continue;
    ranges.push({
      name: a.name,
      cidr: formatIpv4Block(block),
      jobs: jobsPerRange(block.prefix, nodesPerJob),
      isNew: false,
      block,
    });
  }
  return ranges.sort((x, y) => x.block.start - y.block.start);
}

/** Parses one observed range; IPv6 → undefined; garbage → ConfigError naming where it came from. */
export function parseObserved(text: string, source: string): Ipv4Block | undefined {
  try {
    return parseIpv4Block(text);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}; fix or remove it, then retry`);
  }
}

/** Parses a list of observed ranges, dropping IPv6 ones. */
export function parseObservedList(texts: readonly string[], source: string): Ipv4Block[] {
  return texts.flatMap((t) => parseObserved(t, source) ?? []);
}

/**
 * Everything a new range must not overlap: every global address (any purpose), every subnet range
 * (primary and secondary: GKE pods and services live there), routes, peer-imported and configured
 * reserved ranges. A /0 route is the default route, not an address-plan claim, so it is skipped.
 * The firewall's and the metadata's ranges are permissions for PSA ranges, not occupants.
 */
export function takenBlocks(observed: ObservedNetwork): Ipv4Block[] {
  const addresses = observed.addresses.flatMap(
    (a) => parseObserved(`${a.address}/${a.prefixLength}`, `global address ${a.name}`) ?? [],
  );
  const subnets = observed.subnets.flatMap((s) => [
    ...parseObservedList([s.ipCidrRange], `subnet ${s.name ?? ''}`),
    ...parseObservedList(
      (s.secondaryIpRanges ?? []).map((r) => r.ipCidrRange),
      `secondary range of subnet ${s.name ?? ''}`,
    ),
  ]);
  const routes = parseObservedList(observed.routeDestRanges, 'route destRange').filter((b) => b.prefix > 0);
  return [
    ...addresses,
    ...subnets,
    ...routes,
    ...parseObservedList(observed.peerImportedRanges, 'peer-imported range'),
    ...parseObservedList(observed.reservedRanges, 'reserved range'),
  ];
}

/** True when some block of `cover` contains `block`. */
export function isCovered(block: Ipv4Block, cover: readonly Ipv4Block[]): boolean {
  return cover.some((c) => contains(c, block));
}
