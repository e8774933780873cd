/** What every Compute surface of the local Google Cloud shares. */
import { collection, type Collection, type Resource, type Store } from '../store.js';
import type { GlobalKinds, RegionKinds, ZoneKinds } from './types.js';
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

/** A project's global collection of `kind`, typed by its resources. */
export const globalCol = <K extends keyof GlobalKinds>(project: string, kind: K): Collection<GlobalKinds[K]> =>
  collection(`projects/${project}/global/${kind}`);
/** A region's collection of `kind`, typed by its resources. */
export const regionCol = <K extends keyof RegionKinds>(
  project: string,
  region: string,
  kind: K,
): Collection<RegionKinds[K]> => collection(`projects/${project}/regions/${region}/${kind}`);
/** A zone's collection of `kind`, typed by its resources. */
export const zoneCol = <K extends keyof ZoneKinds>(project: string, zone: string, kind: K): Collection<ZoneKinds[K]> =>
  collection(`projects/${project}/zones/${zone}/${kind}`);

const SCOPES = { region: 'regions/[^/]+', zone: 'zones/[^/]+' } as const;
const scopePattern = (scope: keyof typeof SCOPES, kind: string, project?: string) =>
  new RegExp(
    `^projects/${project ? project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '[^/]+'}/${SCOPES[scope]}/${kind}$`,
  );
/**
 * Every collection of `kind` in a scope (every zone's instances, every region's forwarding rules)
 * of one project or of all, typed by its resources.
 */
export function collectionsOf<K extends keyof RegionKinds>(
  store: Store,
  scope: 'region',
  kind: K,
  project?: string,
): Collection<RegionKinds[K]>[];
export function collectionsOf<K extends keyof ZoneKinds>(
  store: Store,
  scope: 'zone',
  kind: K,
  project?: string,
): Collection<ZoneKinds[K]>[];
export function collectionsOf(store: Store, scope: 'region' | 'zone', kind: string, project?: string): string[] {
  return store.collectionsMatching(scopePattern(scope, kind, project));
}

/** Every resource of `kind` in a scope of one project or of all. */
export function listAllOf<K extends keyof RegionKinds>(
  store: Store,
  scope: 'region',
  kind: K,
  project?: string,
): RegionKinds[K][];
export function listAllOf<K extends keyof ZoneKinds>(
  store: Store,
  scope: 'zone',
  kind: K,
  project?: string,
): ZoneKinds[K][];
export function listAllOf(store: Store, scope: 'region' | 'zone', kind: string, project?: string): Resource[] {
  return store.collectionsMatching(scopePattern(scope, kind, project)).flatMap((c) => store.list(c));
}

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
