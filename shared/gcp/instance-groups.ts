/** Regional managed instance groups: the NAT VMs and their live state. */
import { ApiError } from '../errors.js';
import type { Transport } from './transport.js';
import { waitOperation, type ComputeOperation } from './operations.js';
import { listAll } from './paging.js';

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
  /** Optimistic lock: every update must send the fingerprint it read (stale or missing → 412 conditionNotMet). */
  fingerprint?: string;
  /** Metadata and labels the MIG applies to every instance, over the template's. */
  allInstancesConfig?: { properties?: { metadata?: Record<string, string>; labels?: Record<string, string> } };
}

export interface InstanceTemplate {
  name: string;
  properties?: { metadata?: { items?: { key: string; value?: string }[] } };
}

const base = (project: string, region: string, mig: string) =>
  `/compute/v1/projects/${project}/regions/${region}/instanceGroupManagers/${mig}`;

export const getRegionMig = (t: Transport, project: string, region: string, mig: string) =>
  t.request<InstanceGroupManager>({ service: 'compute', method: 'GET', path: base(project, region, mig) });

export const listManagedInstances = (t: Transport, project: string, region: string, mig: string) =>
  listAll<ManagedInstance>(
    t,
    `${base(project, region, mig)}/listManagedInstances`,
    'managedInstances',
    { maxResults: 500 },
    { method: 'POST' },
  );

/** A global instance template by URL or name (what a MIG's instances start from). */
export const getInstanceTemplate = (t: Transport, project: string, nameOrUrl: string) =>
  t.request<InstanceTemplate>({
    service: 'compute',
    method: 'GET',
    path: `/compute/v1/projects/${project}/global/instanceTemplates/${nameOrUrl.split('/').pop()}`,
  });

/**
 * Read-modify-write of the MIG's all-instances metadata under its fingerprint: reads the group,
 * asks `change` which keys to set (undefined = nothing to write), and patches only those keys
 * (JSON merge patch, so keys other writers set are kept) with the fingerprint it read. A 412 means
 * another writer changed the group in between: read again and re-merge, so a value another run
 * added to the same key is never overwritten. Existing instances get the keys in place (REFRESH).
 * Answers whether anything was written.
 */
export async function updateMigMetadata(
  t: Transport,
  project: string,
  region: string,
  mig: string,
  change: (current: InstanceGroupManager) => Promise<Record<string, string> | undefined>,
  attempts = 8,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const current = await getRegionMig(t, project, region, mig);
    const metadata = await change(current);
    if (!metadata) return false;
    try {
      const op = await t.request<ComputeOperation>({
        service: 'compute',
        method: 'PATCH',
        path: base(project, region, mig),
        body: { fingerprint: current.fingerprint, allInstancesConfig: { properties: { metadata } } },
      });
      await waitOperation(t, op);
      return true;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 412) || attempt >= attempts) throw err;
    }
  }
}
