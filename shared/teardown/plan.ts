/**
 * What `netreflex teardown` removes before `terraform destroy`: exactly what the functions created
 * and Terraform does not know, which otherwise keeps the network from being deleted
 * ("The network resource … is already being used by …"):
 *
 * - natRoutes' routes and hold markers: on the network, marked with its owner (the NAT MIG), so a
 *   hand-made or another MIG's route is never touched (the MIG itself may be gone by now, so the
 *   marker is what is left to go by);
 * - peeringRanges' Private Service Access ranges: named `netreflex-psa-…` AND described by
 *   peeringRanges, on the network; they are first dropped from the Service Networking connection
 *   (which keeps the ranges Terraform made), then released.
 *
 * Pure: observation in, plan out.
 */
import { claimsOwner, type ObservedRoute } from '../plan/routes.js';
import { DEFAULT_RANGE_OPTIONS } from '../plan/ranges-types.js';
import type { GlobalAddress } from '../gcp/addresses.js';
import type { Connection } from '../gcp/servicenetworking.js';

/** The description peeringRanges gives the ranges it allocates (shared/peering-ranges/apply.ts). */
const RANGE_DESCRIPTION_PREFIX = 'netreflex peeringRanges:';

export interface TeardownObservation {
  /** `projects/{p}/regions/{r}/instanceGroupManagers/{mig}`: natRoutes' ownership key. */
  owner: string;
  /** The network's name (`vpc-a`). */
  network: string;
  routes: ObservedRoute[];
  addresses: GlobalAddress[];
  connection: Connection | null;
}

export interface TeardownPlan {
  routes: string[];
  /** The connection's ranges after the teardown, when it must change. */
  connectionRanges?: string[];
  /** Ranges dropped from the connection. */
  released: string[];
  addresses: string[];
  /** Resources on the network netreflex does not own, left alone (reported so nobody is surprised). */
  foreign: string[];
}

const onNetwork = (url: string | undefined, network: string) =>
  url !== undefined && (url === network || url.endsWith(`/networks/${network}`));

function isNetreflexRange(a: GlobalAddress): boolean {
  return (
    a.purpose === 'VPC_PEERING' &&
    a.name.startsWith(DEFAULT_RANGE_OPTIONS.namePrefix) &&
    (a.description ?? '').startsWith(RANGE_DESCRIPTION_PREFIX)
  );
}

export function planTeardown(obs: TeardownObservation): TeardownPlan {
  const mine = obs.routes
    .filter((r) => onNetwork(r.network, obs.network) && claimsOwner(r, obs.owner))
    .map((r) => r.name)
    .sort();
  const foreign = obs.routes
    .filter(
      (r) => onNetwork(r.network, obs.network) && !claimsOwner(r, obs.owner) && !r.name.startsWith('default-route-'),
    )
    .map((r) => `route ${r.name}`);
  const ranges = obs.addresses
    .filter((a) => onNetwork(a.network, obs.network) && isNetreflexRange(a))
    .map((a) => a.name)
    .sort();
  const held = obs.connection?.reservedPeeringRanges ?? [];
  const released = held.filter((r) => ranges.includes(r));
  const plan: TeardownPlan = { routes: mine, released, addresses: ranges, foreign: foreign.sort() };
  if (released.length) plan.connectionRanges = held.filter((r) => !ranges.includes(r));
  return plan;
}

export const isEmptyTeardown = (p: TeardownPlan) => !p.routes.length && !p.addresses.length && !p.released.length;
