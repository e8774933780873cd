/**
 * Applies a range plan in its order — address → connection → firewall → NAT MIG metadata →
 * peering export — stopping at the first failure, since each step needs the one before it (the
 * connection cannot name an address that does not exist). Every step is idempotent and re-reads
 * the list it extends right before writing it, so a concurrent run's additions are kept and a
 * retry after a failure mid-way only finishes what is missing:
 *
 * - create address: a 409 is success when the existing address is the same block on the same
 *   network (a retry, or a concurrent run got there first), an error otherwise;
 * - connection, firewall, metadata: the fresh list plus what the plan adds; nothing to add = no-op
 *   (the metadata under the MIG fingerprint: a 412 re-reads and re-merges);
 * - export: setting `exportCustomRoutes: true` again changes nothing.
 */
import { ApiError, assertNever } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { RangeChange } from '../plan/ranges.js';
import { describeRangeChange } from '../plan/ranges-describe.js';
import { getGlobalAddress, insertPeeringRange } from '../gcp/addresses.js';
import { createConnection, getConnection, patchReservedRanges } from '../gcp/servicenetworking.js';
import { getFirewall, patchFirewallSourceRanges } from '../gcp/firewalls.js';
import { updateMigMetadata } from '../gcp/instance-groups.js';
import { setPeeringExport } from '../gcp/networks.js';
import { timed, type Timed } from '../util/timed.js';
import { publishedRanges, type RangeObservation } from './observe.js';

export interface RangeChangeResult extends Timed {
  kind: RangeChange['kind'];
  description: string;
}

/** Existing entries in their order, then the wanted ones that are missing. */
const union = (current: readonly string[], wanted: readonly string[]) => [...current, ...wanted.filter((w) => !current.includes(w))];

export async function applyRangeChanges(t: Transport, cfg: PeeringRangesConfig, obs: RangeObservation, changes: readonly RangeChange[]): Promise<RangeChangeResult[]> {
  const results: RangeChangeResult[] = [];
  for (const change of changes) {
    const result = { kind: change.kind, description: describeRangeChange(change), ...(await timed(() => applyOne(t, cfg, obs, change))) };
    results.push(result);
    if (!result.ok) break;
  }
  return results;
}

/** Applies one step; true when nothing had to be written. */
function applyOne(t: Transport, cfg: PeeringRangesConfig, obs: RangeObservation, change: RangeChange): Promise<boolean> {
  switch (change.kind) {
    case 'createAddress':
      return createAddress(t, cfg, obs, change);
    case 'patchConnection':
      return extendConnection(t, obs, change.reservedPeeringRanges);
    case 'patchFirewall':
      return extendFirewall(t, cfg, change.sourceRanges);
    case 'setMigMetadata':
      return extendMetadata(t, cfg, change.ranges);
    case 'enablePeeringExport':
      return setPeeringExport(t, cfg.project, obs.networkUrl.split('/').pop()!, change.peering, true).then(() => false);
    default:
      return assertNever(change);
  }
}

async function createAddress(t: Transport, cfg: PeeringRangesConfig, obs: RangeObservation, c: Extract<RangeChange, { kind: 'createAddress' }>): Promise<boolean> {
  try {
    await insertPeeringRange(t, cfg.project, { name: c.name, address: c.address, prefixLength: c.prefixLength, network: obs.networkUrl, description: 'netreflex peeringRanges: Private Service Access range for Vertex AI' });
    return false;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
    const existing = await getGlobalAddress(t, cfg.project, c.name);
    const same = existing.address === c.address && existing.prefixLength === c.prefixLength && existing.purpose === 'VPC_PEERING' && existing.network === obs.networkUrl;
    if (!same) throw new ApiError(409, 'ALREADY_EXISTS', `global address ${c.name} exists as ${existing.address}/${existing.prefixLength} (${existing.purpose ?? 'no purpose'}) — not the planned ${c.cidr}; rename or delete it, then retry`);
    return true;
  }
}

async function extendConnection(t: Transport, obs: RangeObservation, wanted: readonly string[]): Promise<boolean> {
  const fresh = await getConnection(t, obs.consumerNetwork);
  if (!fresh) {
    await createConnection(t, obs.consumerNetwork, wanted);
    return false;
  }
  const ranges = union(fresh.reservedPeeringRanges ?? [], wanted);
  if (ranges.length === (fresh.reservedPeeringRanges ?? []).length) return true;
  await patchReservedRanges(t, obs.consumerNetwork, ranges);
  return false;
}

async function extendFirewall(t: Transport, cfg: PeeringRangesConfig, wanted: readonly string[]): Promise<boolean> {
  const current = (await getFirewall(t, cfg.project, cfg.plan.firewall)).sourceRanges ?? [];
  const ranges = union(current, wanted);
  if (ranges.length === current.length) return true;
  await patchFirewallSourceRanges(t, cfg.project, cfg.plan.firewall, ranges);
  return false;
}

/** Adds the wanted ranges to the NAT MIG's return-path key, re-merged on every fingerprint conflict. */
async function extendMetadata(t: Transport, cfg: PeeringRangesConfig, wanted: readonly string[]): Promise<boolean> {
  const wrote = await updateMigMetadata(t, cfg.project, cfg.region, cfg.natMig, async (mig) => {
    const current = await publishedRanges(t, cfg, mig);
    const ranges = union(current, wanted);
    return ranges.length === current.length ? undefined : { [cfg.plan.metadataKey]: ranges.join(',') };
  });
  return !wrote;
}
