/**
 * The wiring steps that make every Vertex range usable end to end, in apply order:
 * create the new global address → name it on the Service Networking connection → let it through
 * the firewall to the NAT VMs → publish it in the NAT MIG metadata (the startup script adds the
 * return route on every NAT VM) → export custom routes on the peering.
 *
 * Each list step carries the full new value: what is there now, untouched and in its order, plus
 * what is missing appended. Patching the connection with a shorter list would release a range
 * that jobs may be running in, so nothing here ever removes an entry. A range already covered by
 * a wider firewall or metadata entry counts as present.
 */
import { formatIpv4Block } from '../net/ipv4-blocks.js';
import { type RangeWithBlock, isCovered, parseObservedList } from './ranges-observed.js';
import type { ObservedNetwork, RangeChange, RangePlanOptions } from './ranges-types.js';

/** The changes still missing for `used`, in apply order; empty when everything is wired. */
export function wiringChanges(
  network: string,
  used: readonly RangeWithBlock[],
  observed: ObservedNetwork,
  opts: RangePlanOptions,
): RangeChange[] {
  return [
    ...used.filter((r) => r.isNew).map((r) => createAddress(network, r)),
    ...connectionChange(used, observed),
    ...firewallChange(used, observed, opts),
    ...metadataChange(used, observed, opts),
    ...(observed.exportCustomRoutes ? [] : [{ kind: 'enablePeeringExport', peering: opts.peering } as const]),
  ];
}

function createAddress(network: string, r: RangeWithBlock): RangeChange {
  const [address = ''] = r.cidr.split('/');
  return { kind: 'createAddress', name: r.name, cidr: r.cidr, address, prefixLength: r.block.prefix, network };
}

function connectionChange(used: readonly RangeWithBlock[], observed: ObservedNetwork): RangeChange[] {
  const current = observed.connection?.reservedPeeringRanges ?? [];
  const added = used.map((r) => r.name).filter((name) => !current.includes(name));
  if (observed.connection && added.length === 0) return [];
  return [
    {
      kind: 'patchConnection',
      create: observed.connection === null,
      reservedPeeringRanges: [...current, ...added],
      added,
    },
  ];
}

/** CIDRs of `used` not covered by any of `current`. */
function uncovered(used: readonly RangeWithBlock[], current: readonly string[], source: string): string[] {
  const cover = parseObservedList(current, source);
  return used.filter((r) => !isCovered(r.block, cover)).map((r) => formatIpv4Block(r.block));
}

function firewallChange(
  used: readonly RangeWithBlock[],
  observed: ObservedNetwork,
  opts: RangePlanOptions,
): RangeChange[] {
  if (observed.firewallSourceRanges === null) return [];
  const current = observed.firewallSourceRanges;
  const added = uncovered(used, current, `firewall ${opts.firewall} sourceRanges`);
  return added.length
    ? [{ kind: 'patchFirewall', firewall: opts.firewall, sourceRanges: [...current, ...added], added }]
    : [];
}

function metadataChange(
  used: readonly RangeWithBlock[],
  observed: ObservedNetwork,
  opts: RangePlanOptions,
): RangeChange[] {
  const current = observed.migRanges;
  const added = uncovered(used, current, `NAT MIG metadata ${opts.metadataKey}`);
  if (added.length === 0) return [];
  const ranges = [...current, ...added];
  return [{ kind: 'setMigMetadata', key: opts.metadataKey, value: ranges.join(','), ranges, added }];
}
