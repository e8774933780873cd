/** What every Compute surface of the local Google Cloud shares. */
import type { Store } from '../store.js';
import type { Settings } from '../settings.js';
import type { Operations } from './operations.js';
import type { AuditLog } from '../events/audit-log.js';
import type { Timers } from '../timers.js';

export interface ComputeContext {
  store: Store;
  settings: Settings;
  operations: Operations;
  audit: AuditLog;
  timers: Timers;
}

export const globalCol = (project: string, kind: string) => `projects/${project}/global/${kind}`;
export const regionCol = (project: string, region: string, kind: string) => `projects/${project}/regions/${region}/${kind}`;
export const zoneCol = (project: string, zone: string, kind: string) => `projects/${project}/zones/${zone}/${kind}`;
