/** Regional managed instance groups: the NAT VMs and their live state. */
import type { Transport } from './transport.js';
import { listAll } from './operations.js';

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
}

const base = (project: string, region: string, mig: string) => `/compute/v1/projects/${project}/regions/${region}/instanceGroupManagers/${mig}`;

export const getRegionMig = (t: Transport, project: string, region: string, mig: string) =>
  t.request<InstanceGroupManager>({ service: 'compute', method: 'GET', path: base(project, region, mig) });

export const listManagedInstances = (t: Transport, project: string, region: string, mig: string) =>
  listAll<ManagedInstance>(t, `${base(project, region, mig)}/listManagedInstances`, 'managedInstances', { maxResults: 500 }, 'POST');
