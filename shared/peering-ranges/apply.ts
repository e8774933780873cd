/**
 * A range plan as the kernel's phases: one ordered phase in the planner's order — address →
 * connection → firewall → NAT MIG metadata → peering export — applied by the kernel's runner, which
 * stops at the first failure, since each step needs the one before it (the connection cannot name
 * an address that does not exist). Nothing here is destructive: every step only adds. The plan is
 * self-contained: the network every step writes to is the plan's (the request's), not a second
 * look at the cloud. Every step is idempotent and re-reads
 * the list it extends right before writing it, so a concurrent run's additions are kept and a
 * retry after a failure mid-way only finishes what is missing (what a step decides from its fresh
 * read: shared/plan/ranges-steps.ts):
 *
 * - create address: a 409 is the same desired range when the existing address is the same block
 *   on the same network (a retry, or a concurrent insert got there first): it waits for that
 *   insert to land (a 404 while its operation runs) and counts it as done — never a 500; another
 *   block under the name is an error;
 * - connection, firewall, metadata: the fresh list plus what the step adds (`added`, never the
 *   plan's whole list, which is the observation's: an entry removed since then stays removed);
 *   nothing to add = no-op (the metadata under the MIG fingerprint: a 412 re-reads and re-merges);
 * - export: setting `exportCustomRoutes: true` again changes nothing.
 *
 * `fence` runs before every write (the lease's `assertHeld`): a preparation that lost its lease
 * writes nothing more.
 */
import { ApiError, assertNever } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { RangeChange } from '../plan/ranges.js';
import { rangeResult, type RangeChangeResult } from '../plan/ranges-report.js';
import { addressTaken, extendedList, isPlannedAddress } from '../plan/ranges-steps.js';
import { getGlobalAddress, insertPeeringRange } from '../gcp/addresses.js';
import { insertOrAdopt } from '../gcp/operations.js';
import { consumerNetwork, createConnection, getConnection, patchReservedRanges } from '../gcp/servicenetworking.js';
import { networkUrl } from '../gcp/paths.js';
import { getFirewall, patchFirewallSourceRanges } from '../gcp/firewalls.js';
import { updateMigMetadata } from '../gcp/instance-groups.js';
import { setPeeringExport } from '../gcp/networks.js';
import { applyPlan } from '../reconcile/apply.js';
import { phase, type Plan } from '../reconcile/plan.js';
import { publishedRanges } from './observe.js';

export type Fence = () => void;

/** The network a plan wires, by the names Compute and Service Networking give it. */
interface NetworkNames {
  /** Compute's URL of the network (what addresses and firewalls name). */
  readonly networkUrl: string;
  /** `projects/{projectNumber}/global/networks/{name}` (what Service Networking names). */
  readonly consumerNetwork: string;
  readonly name: string;
}

function networkNames(cfg: Pick<PeeringRangesConfig, 'project' | 'projectNumber'>, network: string): NetworkNames {
  return {
    name: network,
    networkUrl: networkUrl(cfg.project, network),
    consumerNetwork: consumerNetwork(cfg.projectNumber, network),
  };
}

/** The plan's changes as one ordered phase of idempotent steps. */
export function rangePhases(
  t: Transport,
  cfg: PeeringRangesConfig,
  network: string,
  changes: readonly RangeChange[],
  fence: Fence = () => undefined,
): Plan<RangeChange> {
  const names = networkNames(cfg, network);
  const steps = changes.map((change, i) => ({
    id: `${i} ${change.kind}`,
    kind: change.kind,
    detail: change,
    run: () => applyOne(t, cfg, names, change, fence),
  }));
  return { phases: [phase('wire', steps, { ordered: true })] };
}

/** Applies the changes to `network`, in order, stopping at the first failure. */
export async function applyRangeChanges(
  t: Transport,
  cfg: PeeringRangesConfig,
  network: string,
  changes: readonly RangeChange[],
  fence: Fence = () => undefined,
): Promise<RangeChangeResult[]> {
  return (await applyPlan(rangePhases(t, cfg, network, changes, fence))).results.map(rangeResult);
}

/** Applies one step; true when nothing had to be written. */
function applyOne(
  t: Transport,
  cfg: PeeringRangesConfig,
  net: NetworkNames,
  change: RangeChange,
  fence: Fence,
): Promise<boolean> {
  switch (change.kind) {
    case 'createAddress':
      return createAddress(t, cfg, net, change, fence);
    // Only what the step adds, merged into a fresh read: the plan's whole list is the observation's,
    // and an entry someone removed since then stays removed.
    case 'patchConnection':
      return extendConnection(t, net, change.added, fence);
    case 'patchFirewall':
      return extendFirewall(t, cfg, change.added, fence);
    case 'setMigMetadata':
      return extendMetadata(t, cfg, change.added, fence);
    case 'enablePeeringExport':
      fence();
      return setPeeringExport(t, cfg.project, net.name, change.peering, true).then(() => false);
    default:
      return assertNever(change);
  }
}

async function createAddress(
  t: Transport,
  cfg: PeeringRangesConfig,
  net: NetworkNames,
  c: Extract<RangeChange, { kind: 'createAddress' }>,
  fence: Fence,
): Promise<boolean> {
  fence();
  return insertOrAdopt({
    insert: () =>
      insertPeeringRange(t, cfg.project, {
        name: c.name,
        address: c.address,
        prefixLength: c.prefixLength,
        network: net.networkUrl,
        description: 'netreflex peeringRanges: Private Service Access range for Vertex AI',
      }),
    get: () => getGlobalAddress(t, cfg.project, c.name),
    same: (existing) => isPlannedAddress(existing, c, net.networkUrl),
    taken: (existing) => new ApiError(409, 'ALREADY_EXISTS', addressTaken(c, existing)),
    what: `global address ${c.name}`,
  });
}

/** Connection: a fresh read right before the write, merged (Service Networking's patch replaces the whole list). */
async function extendConnection(
  t: Transport,
  net: NetworkNames,
  wanted: readonly string[],
  fence: Fence,
): Promise<boolean> {
  const fresh = await getConnection(t, net.consumerNetwork);
  fence();
  if (!fresh) {
    await createConnection(t, net.consumerNetwork, wanted);
    return false;
  }
  const ranges = extendedList(fresh.reservedPeeringRanges ?? [], wanted);
  if (!ranges) return true;
  await patchReservedRanges(t, net.consumerNetwork, ranges);
  return false;
}

/** Firewall: a v1 Firewall has no fingerprint (compute.proto), so a fresh read right before the patch, merged. */
async function extendFirewall(
  t: Transport,
  cfg: PeeringRangesConfig,
  wanted: readonly string[],
  fence: Fence,
): Promise<boolean> {
  const current = (await getFirewall(t, cfg.project, cfg.plan.firewall)).sourceRanges ?? [];
  const ranges = extendedList(current, wanted);
  if (!ranges) return true;
  fence();
  await patchFirewallSourceRanges(t, cfg.project, cfg.plan.firewall, ranges);
  return false;
}

/** Adds the wanted ranges to the NAT MIG's return-path key, re-merged on every fingerprint conflict. */
async function extendMetadata(
  t: Transport,
  cfg: PeeringRangesConfig,
  wanted: readonly string[],
  fence: Fence,
): Promise<boolean> {
  const wrote = await updateMigMetadata(t, cfg.project, cfg.region, cfg.natMig, async (mig) => {
    const current = await publishedRanges(t, cfg, mig);
    const ranges = extendedList(current, wanted);
    if (!ranges) return undefined;
    fence();
    return { [cfg.plan.metadataKey]: ranges.join(',') };
  });
  return !wrote;
}
