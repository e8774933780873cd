/**
 * The read-back after a preparation's writes: what is still missing, as steps (pure).
 *
 * Every operation is DONE before this runs; then the connection, the firewall and the NAT
 * metadata are read again and compared with what must be there:
 * - every range this run uses (its address, its name on the connection, its CIDR in the firewall's
 *   `sourceRanges` and in the metadata — a wider entry covers it), and the peering's export;
 * - the `known` entries the caller says a write of ours may have dropped (peeringRanges: the PSA
 *   ranges created on the network while it ran, missing from the connection, whose patch has no
 *   precondition). An entry someone else removed on purpose is not among them and stays removed:
 *   every write of ours extends a fresh read, so it never drops what it read. (A name on the
 *   connection whose address is gone is not put back: Service Networking would refuse it.)
 * An empty answer is the verification; otherwise the steps are applied and the lists read again.
 */
import { formatIpv4Block, parseIpv4Block } from '../net/ipv4-blocks.js';
import { isCovered, parseObservedList, type RangeWithBlock } from './ranges-observed.js';
import type { RangeChange, RangePlan, RangePlanOptions } from './ranges-types.js';

export interface WiringState {
  /** Names of the network's VPC_PEERING addresses. */
  addresses: readonly string[];
  connection: readonly string[] | null;
  firewall: readonly string[] | null;
  metadata: readonly string[];
  exportCustomRoutes: boolean;
}

/** Entries of each list a write of ours may have dropped: they go back. */
export interface KnownEntries {
  connection: string[];
  firewall: string[];
  metadata: string[];
}

/** The plan's ranges with their blocks: what the read-back finds wired or repairs. */
export const rangesInUse = (plan: Pick<RangePlan, 'ranges'>): RangeWithBlock[] =>
  plan.ranges.map((r) => ({ ...r, block: parseIpv4Block(r.cidr)! }));

/** How far another machine's clock (Compute's creationTimestamp) may be behind ours. */
const CLOCK_SKEW_MS = 60_000;

/**
 * The PSA addresses created while a preparation ran (since `startedAt`, less the clock skew): a
 * concurrent addition of someone's that a write of ours to the connection (Service Networking's
 * patch has no precondition) may have dropped, so it goes back.
 */
export const createdSince = (created: readonly { name: string; at: number }[], startedAt: number): string[] =>
  created.filter((c) => c.at >= startedAt - CLOCK_SKEW_MS).map((c) => c.name);

export const noKnown = (): KnownEntries => ({ connection: [], firewall: [], metadata: [] });

/** Adds what `state` shows to `known` (in place) and returns it. */
export function remember(
  known: KnownEntries,
  state: Pick<WiringState, 'connection' | 'firewall' | 'metadata'>,
): KnownEntries {
  const add = (list: string[], items: readonly string[] | null) =>
    items?.forEach((i) => list.includes(i) || list.push(i));
  add(known.connection, state.connection);
  add(known.firewall, state.firewall);
  add(known.metadata, state.metadata);
  return known;
}

export function repairChanges(
  network: string,
  used: readonly RangeWithBlock[],
  known: KnownEntries,
  state: WiringState,
  opts: RangePlanOptions,
): RangeChange[] {
  const changes: RangeChange[] = [];
  for (const r of used.filter((u) => !state.addresses.includes(u.name))) {
    changes.push({
      kind: 'createAddress',
      name: r.name,
      cidr: r.cidr,
      address: r.cidr.split('/')[0] ?? '',
      prefixLength: r.block.prefix,
      network,
    });
  }
  // Stryker disable next-line ArrowFunction: a known name that is a used one is wanted anyway (used names come first, the Set drops the repeat)
  const exists = new Set([...state.addresses, ...used.map((u) => u.name)]);
  const current = state.connection ?? [];
  const wantedNames = [...used.map((u) => u.name), ...known.connection.filter((n) => exists.has(n))];
  const addNames = [...new Set(wantedNames.filter((n) => !current.includes(n)))];
  if (state.connection === null || addNames.length)
    changes.push({
      kind: 'patchConnection',
      create: state.connection === null,
      reservedPeeringRanges: [...current, ...addNames],
      added: addNames,
    });
  if (state.firewall !== null) {
    const add = missing(used, known.firewall, state.firewall, `firewall ${opts.firewall} sourceRanges`);
    if (add.length)
      changes.push({
        kind: 'patchFirewall',
        firewall: opts.firewall,
        sourceRanges: [...state.firewall, ...add],
        added: add,
      });
  }
  const addMeta = missing(used, known.metadata, state.metadata, `NAT MIG metadata ${opts.metadataKey}`);
  if (addMeta.length) {
    const ranges = [...state.metadata, ...addMeta];
    changes.push({ kind: 'setMigMetadata', key: opts.metadataKey, value: ranges.join(','), ranges, added: addMeta });
  }
  if (!state.exportCustomRoutes) changes.push({ kind: 'enablePeeringExport', peering: opts.peering });
  return changes;
}

/** CIDRs of `used` not covered by `current`, then known entries no longer there. */
function missing(
  used: readonly RangeWithBlock[],
  known: readonly string[],
  current: readonly string[],
  source: string,
): string[] {
  const cover = parseObservedList(current, source);
  const ours = used.filter((r) => !isCovered(r.block, cover)).map((r) => formatIpv4Block(r.block));
  const theirs = known.filter((k) => !current.includes(k) && !ours.includes(k));
  return [...new Set([...ours, ...theirs])];
}
