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
export const regionCol = (project: string, region: string, kind: string) =>
  `projects/${project}/regions/${region}/${kind}`;
export const zoneCol = (project: string, zone: string, kind: string) => `projects/${project}/zones/${zone}/${kind}`;

/**
 * Compute Engine serves the same methods under `/compute/v1/` and `/compute/beta/`, and the audit
 * log names each call with the version it came in on (`v1.compute.instances.stop`,
 * `beta.compute.instances.stop`: https://cloud.google.com/compute/docs/logging/migrating-from-activity-logs-to-audit-logs).
 */
export const COMPUTE_VERSIONS = ['v1', 'beta'] as const;
export type ComputeVersion = (typeof COMPUTE_VERSIONS)[number];

/** The API version a request used, from its path. */
export const versionOf = (req: { path: string }): ComputeVersion =>
  req.path.startsWith('/compute/beta/') ? 'beta' : 'v1';
