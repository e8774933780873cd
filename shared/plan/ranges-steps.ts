/**
 * What a peeringRanges apply step decides from the fresh read it takes right before writing (pure;
 * shared/peering-ranges/apply.ts reads and writes):
 *
 * - a list it extends (the connection's ranges, the firewall's sources, the NAT metadata) becomes
 *   the fresh entries in their order, then the wanted ones missing from them — never the plan's
 *   whole list, which is the observation's, so an entry removed since then stays removed; nothing
 *   missing, nothing to write;
 * - an address insert answered 409 is ours when the existing address is the planned block on the
 *   planned network (a retry, or a concurrent insert got there first); else its name is taken, and
 *   the refusal says what holds it.
 */
import type { GlobalAddress } from '../gcp/addresses.js';
import type { RangeChange } from './ranges-types.js';

type CreateAddress = Extract<RangeChange, { kind: 'createAddress' }>;

/** The fresh list extended with the wanted entries it misses; undefined when it misses none. */
export function extendedList(current: readonly string[], wanted: readonly string[]): string[] | undefined {
  const added = wanted.filter((w) => !current.includes(w));
  return added.length ? [...current, ...added] : undefined;
}

/** True when the existing address is the one the step creates: the same block, a PSA range, on the network. */
export const isPlannedAddress = (
  existing: Pick<GlobalAddress, 'address' | 'prefixLength' | 'purpose' | 'network'>,
  c: Pick<CreateAddress, 'address' | 'prefixLength'>,
  networkUrl: string,
): boolean =>
  existing.address === c.address &&
  existing.prefixLength === c.prefixLength &&
  existing.purpose === 'VPC_PEERING' &&
  existing.network === networkUrl;

/** Why the planned name cannot be created: what holds it, and what to do. */
export const addressTaken = (
  c: Pick<CreateAddress, 'name' | 'cidr'>,
  existing: Pick<GlobalAddress, 'address' | 'prefixLength' | 'purpose'>,
): string =>
  `global address ${c.name} exists as ${existing.address}/${existing.prefixLength} (${existing.purpose ?? 'no purpose'}) — not the planned ${c.cidr}; rename or delete it, then retry`;
