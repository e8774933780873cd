/** VPC networks: peering export settings and what a peering actually hands to the peer. */
import type { Transport } from './transport.js';
import { waitOperation, type ComputeOperation } from './operations.js';
import { listAll } from './paging.js';
import { resourcePath } from './paths.js';

export interface Peering {
  name: string;
  network: string;
  state: string;
  exportCustomRoutes?: boolean;
  importCustomRoutes?: boolean;
}

export interface Network {
  name: string;
  selfLink: string;
  peerings?: Peering[];
  subnetworks?: string[];
}

export interface ExchangedRoute {
  destRange: string;
  type: string;
  priority?: number;
  nextHopRegion?: string;
  imported?: boolean;
}

const base = (project: string, network: string) => `/compute/v1/projects/${project}/global/networks/${network}`;

export const getNetwork = (t: Transport, project: string, network: string) =>
  t.request<Network>({ service: 'compute', method: 'GET', path: base(project, network) });

export async function setPeeringExport(
  t: Transport,
  project: string,
  network: string,
  peering: string,
  exportCustomRoutes: boolean,
): Promise<void> {
  const op = await t.request<ComputeOperation>({
    service: 'compute',
    method: 'PATCH',
    path: `${base(project, network)}/updatePeering`,
    body: { networkPeering: { name: peering, exportCustomRoutes } },
  });
  await waitOperation(t, op);
}

export const listPeeringRoutes = (
  t: Transport,
  project: string,
  network: string,
  peering: string,
  region: string,
  direction: 'INCOMING' | 'OUTGOING',
) =>
  listAll<ExchangedRoute>(t, `${base(project, network)}/listPeeringRoutes`, 'items', {
    peeringName: peering,
    region,
    direction,
    maxResults: 500,
  });

export interface Subnetwork {
  name: string;
  network: string;
  ipCidrRange: string;
  gatewayAddress?: string;
  secondaryIpRanges?: { rangeName?: string; ipCidrRange: string }[];
}

/** A subnetwork by its URL (as a network's `subnetworks` lists them). */
export const getSubnetwork = (t: Transport, url: string) =>
  t.request<Subnetwork>({ service: 'compute', method: 'GET', path: `/compute/v1/${resourcePath(url)}` });
