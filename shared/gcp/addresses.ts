/** Global addresses: the Private Service Access allocated ranges (`purpose: VPC_PEERING`). */
import type { Transport } from './transport.js';
import { waitOperation, type ComputeOperation } from './operations.js';
import { listAll } from './paging.js';

export interface GlobalAddress {
  name: string;
  address: string;
  prefixLength?: number;
  purpose?: string;
  addressType?: string;
  network?: string;
  description?: string;
  status?: string;
  selfLink?: string;
  creationTimestamp?: string;
}

const base = (project: string) => `/compute/v1/projects/${project}/global/addresses`;

export const listGlobalAddresses = (t: Transport, project: string) =>
  listAll<GlobalAddress>(t, base(project), 'items', { maxResults: 500 });

export const getGlobalAddress = (t: Transport, project: string, name: string) =>
  t.request<GlobalAddress>({ service: 'compute', method: 'GET', path: `${base(project)}/${name}` });

/** Reserves an internal range for VPC peering on `network` and waits until it exists. */
export async function insertPeeringRange(
  t: Transport,
  project: string,
  range: { name: string; address: string; prefixLength: number; network: string; description?: string },
): Promise<void> {
  const body = { ...range, purpose: 'VPC_PEERING', addressType: 'INTERNAL' };
  const op = await t.request<ComputeOperation>({ service: 'compute', method: 'POST', path: base(project), body });
  await waitOperation(t, op);
}

/** Releases a global address and waits until it is gone. */
export async function deleteGlobalAddress(t: Transport, project: string, name: string): Promise<void> {
  const op = await t.request<ComputeOperation>({
    service: 'compute',
    method: 'DELETE',
    path: `${base(project)}/${name}`,
  });
  await waitOperation(t, op);
}
