/**
 * The VPC A side of the chain: the PSA ranges the Vertex nodes get their IPs from (and how many
 * jobs they hold) and the peering that must export the custom routes (the routes themselves are
 * natRoutes' dry run: routes-link.ts).
 */
import type { Transport } from '../gcp/transport.js';
import { listGlobalAddresses, type GlobalAddress } from '../gcp/addresses.js';
import { vertexRangesOf } from '../peering-ranges/vertex-ranges.js';
import { DEFAULT_RANGE_OPTIONS } from '../plan/ranges-types.js';
import { getNetwork, listPeeringRoutes, type Peering } from '../gcp/networks.js';
import type { ManagedInstance } from '../gcp/instance-groups.js';
import { capacityOf, NODE_TIERS } from '../plan/capacity.js';
import { isEligible, type NatInstance } from '../plan/routes.js';
import { natInstanceOf } from '../nat-routes/observe.js';
import type { Link, StatusConfig } from './types.js';
import { broken, ok, unreadableLink, type LinkHead } from './link.js';

const PSA: LinkHead = { id: 'psa-ranges', title: 'PSA ranges and capacity' };
const PEERING: LinkHead = { id: 'peering-export', title: 'Peering export' };

/**
 * The PSA ranges Vertex may use on the network and the jobs they hold — through the same
 * observation peeringRanges plans from (shared/peering-ranges/vertex-ranges.ts), so a Cloud SQL range on the
 * network is listed but never counted as Vertex capacity.
 */
export async function psaRangesLink(t: Transport, cfg: StatusConfig): Promise<Link> {
  let all: GlobalAddress[];
  try {
    all = await listGlobalAddresses(t, cfg.project);
  } catch (err) {
    return unreadableLink(PSA, 'the PSA ranges (globalAddresses.list)', ['compute.globalAddresses.list'], err, cfg);
  }
  const { vertex, other } = vertexRangesOf(all, cfg.network, {
    vertexRangeNames: cfg.vertexRangeNames,
    namePrefix: DEFAULT_RANGE_OPTIONS.namePrefix,
  });
  const others = other.map((r) => `${r.name} ${r.cidr}: another service's PSA range, not counted`);
  if (!vertex.length)
    return broken(
      PSA,
      `no PSA range Vertex may use on ${cfg.network}${other.length ? ` (${other.length} other VPC_PEERING range(s) are not Vertex's)` : ''}`,
      'reserve one for Private Service Access: netreflex apply ranges (or terraform-bootstrap/psa.tf)',
      others,
    );
  const details = [
    ...vertex.map(
      (r) => `${r.name} ${r.cidr}: ${NODE_TIERS.map((n) => `${capacityOf([r], n)} jobs of ≤${n} nodes`).join(', ')}`,
    ),
    ...others,
  ];
  const capacity = capacityOf(vertex, cfg.nodesPerJob);
  const summary = `${vertex.length} Vertex range(s), room for ${capacity} concurrent job(s) of ≤${cfg.nodesPerJob} nodes`;
  if (cfg.jobs !== undefined && capacity < cfg.jobs) {
    return broken(
      PSA,
      `${summary}, fewer than the ${cfg.jobs} wanted`,
      `add a range: netreflex apply ranges --jobs ${cfg.jobs} --nodes-per-job ${cfg.nodesPerJob}`,
      details,
    );
  }
  return ok(PSA, summary, details);
}

export async function peeringExportLink(t: Transport, cfg: StatusConfig): Promise<Link> {
  let peering: Peering | undefined;
  try {
    peering = (await getNetwork(t, cfg.project, cfg.network)).peerings?.find((p) => p.name === cfg.peering);
  } catch (err) {
    return unreadableLink(PEERING, `network ${cfg.network}`, ['compute.networks.get'], err, cfg);
  }
  if (!peering)
    return broken(
      PEERING,
      `${cfg.network} has no peering ${cfg.peering}`,
      'create the Private Service Access connection (terraform-bootstrap/psa.tf, or gcloud services vpc-peerings connect)',
    );
  const details = [
    `${peering.name}: state ${peering.state}, exportCustomRoutes ${peering.exportCustomRoutes === true}`,
  ];
  if (peering.state !== 'ACTIVE')
    return broken(
      PEERING,
      `peering ${cfg.peering} is ${peering.state}, not ACTIVE`,
      'recreate the Private Service Access connection; an inactive peering carries no traffic',
      details,
    );
  if (!peering.exportCustomRoutes)
    return broken(
      PEERING,
      `peering ${cfg.peering} does not export custom routes: the Vertex nodes never see the routes to the NAT VMs`,
      'netreflex apply routes turns exportCustomRoutes on (NETREFLEX_EXPORT_MODE=ensure)',
      details,
    );
  let sent: Set<string>;
  try {
    sent = new Set(
      (await listPeeringRoutes(t, cfg.project, cfg.network, cfg.peering, cfg.region, 'OUTGOING')).map(
        (r) => r.destRange,
      ),
    );
  } catch (err) {
    return unreadableLink(
      PEERING,
      `the routes ${cfg.peering} exports (listPeeringRoutes)`,
      ['compute.networks.listPeeringRoutes'],
      err,
      cfg,
      details,
    );
  }
  const missing = cfg.destinations.filter((d) => !sent.has(d));
  details.push(...cfg.destinations.map((d) => `${d}: ${sent.has(d) ? 'exported' : 'NOT exported'}`));
  if (missing.length)
    return broken(
      PEERING,
      `the peer does not receive ${missing.join(', ')}: no exportable (untagged) route to it`,
      'netreflex apply routes creates untagged routes to every destination',
      details,
    );
  return ok(PEERING, `exports all ${cfg.destinations.length} destination(s)`, details);
}

/** Healthy is the rule natRoutes routes by: RUNNING, no action under way, HEALTHY when health-checked. */
export const isHealthy = (mi: ManagedInstance): boolean => isEligible(natInstanceOf(mi), true);

export const describeInstance = (mi: ManagedInstance): string => describeNat(natInstanceOf(mi));

/** A NAT VM as natRoutes judges it: status, the action under way, health (`RUNNING, UNHEALTHY`). */
export function describeNat(i: Pick<NatInstance, 'instanceStatus' | 'currentAction' | 'health'>): string {
  return [
    i.instanceStatus ?? 'UNKNOWN',
    i.currentAction && i.currentAction !== 'NONE' ? i.currentAction : undefined,
    i.health,
  ]
    .filter(Boolean)
    .join(', ');
}
