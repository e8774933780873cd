/** VPC firewall rules: read one, patch its source ranges (PATCH replaces only the fields sent). */
import type { Transport } from './transport.js';
import { waitOperation, type ComputeOperation } from './operations.js';

export interface Firewall {
  name: string;
  network: string;
  direction?: string;
  sourceRanges?: string[];
  targetTags?: string[];
  selfLink?: string;
}

const path = (project: string, name: string) => `/compute/v1/projects/${project}/global/firewalls/${name}`;

export const getFirewall = (t: Transport, project: string, name: string) =>
  t.request<Firewall>({ service: 'compute', method: 'GET', path: path(project, name) });

export async function patchFirewallSourceRanges(
  t: Transport,
  project: string,
  name: string,
  sourceRanges: readonly string[],
): Promise<void> {
  const op = await t.request<ComputeOperation>({
    service: 'compute',
    method: 'PATCH',
    path: path(project, name),
    body: { sourceRanges },
  });
  await waitOperation(t, op);
}
