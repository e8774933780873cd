/** Regional managed instance groups: the NAT VMs and their live state. */
import type { Transport } from './transport.js';
import { listAll, waitOperation, type ComputeOperation } from './operations.js';

export interface ManagedInstance {
  instance: string;
  name?: string;
  id?: string;
  instanceStatus?: string;
  currentAction?: string;
  instanceHealth?: { healthCheck?: string; detailedHealthState?: string }[];
}

export interface InstanceGroupManager {
  name: string;
  selfLink: string;
  targetSize: number;
  baseInstanceName?: string;
  autoHealingPolicies?: { healthCheck?: string }[];
  status?: { isStable?: boolean };
  instanceTemplate?: string;
  /** Metadata and labels the MIG applies to every instance, over the template's. */
  allInstancesConfig?: { properties?: { metadata?: Record<string, string>; labels?: Record<string, string> } };
}

export interface InstanceTemplate {
  name: string;
  properties?: { metadata?: { items?: { key: string; value?: string }[] } };
}

const base = (project: string, region: string, mig: string) => `/compute/v1/projects/${project}/regions/${region}/instanceGroupManagers/${mig}`;

export const getRegionMig = (t: Transport, project: string, region: string, mig: string) =>
  t.request<InstanceGroupManager>({ service: 'compute', method: 'GET', path: base(project, region, mig) });

export const listManagedInstances = (t: Transport, project: string, region: string, mig: string) =>
  listAll<ManagedInstance>(t, `${base(project, region, mig)}/listManagedInstances`, 'managedInstances', { maxResults: 500 }, { method: 'POST' });

/** A global instance template by URL or name (what a MIG's instances start from). */
export const getInstanceTemplate = (t: Transport, project: string, nameOrUrl: string) =>
  t.request<InstanceTemplate>({ service: 'compute', method: 'GET', path: `/compute/v1/projects/${project}/global/instanceTemplates/${nameOrUrl.split('/').pop()}` });

/**
 * Sets metadata keys on every instance of the MIG through `allInstancesConfig` (merged with the
 * keys already set; existing instances get them in place, without a recreate) and waits.
 */
export async function patchMigMetadata(t: Transport, project: string, region: string, mig: string, metadata: Record<string, string>): Promise<void> {
  const op = await t.request<ComputeOperation>({ service: 'compute', method: 'PATCH', path: base(project, region, mig), body: { allInstancesConfig: { properties: { metadata } } } });
  await waitOperation(t, op);
}
