/**
 * The model of an allowlist file, as the planner consumes it: validated, with CIDRs canonical,
 * expiries as instants, per-list targets and preview resolved. Produced only by `parseAllowlist`.
 * (The function's environment — which bucket, which object — is shared/config/armor-allowlist.ts.)
 */
import type { AllowlistMode, AllowlistSafety, CloudNatSource } from './schema.js';

export interface Allowlist {
  readonly version: 1;
  /** Where the file came from (path or gs:// URL), for messages. */
  readonly source: string;
  readonly mode: AllowlistMode;
  readonly priorities: { readonly from: number; readonly to: number };
  readonly safety: AllowlistSafety;
  readonly lists: readonly AllowlistList[];
}

export interface AllowlistList {
  readonly name: string;
  readonly description?: string;
  /** Security policies this list is applied to (the list's own, else the file's). */
  readonly policies: readonly string[];
  readonly preview: boolean;
  readonly entries: readonly AllowlistEntry[];
}

interface EntryBase {
  readonly description: string;
  /** The entry stops allowing anything at this instant (`expires <= now` drops it). */
  readonly expires?: Date;
  /** `file.yaml:12:9`, for planner messages about this entry. */
  readonly where: string;
  /** Key path of the entry, e.g. `lists.partners.entries[2]`. */
  readonly path?: string;
}

/** A literal range: canonical CIDRs (`*` becomes 0.0.0.0/0 and ::/0). */
export interface StaticEntry extends EntryBase {
  readonly kind: 'static';
  readonly input: string;
  readonly cidrs: readonly string[];
}

/** A symbolic source the caller resolves to addresses (I/O) before planning. */
export interface CloudNatEntry extends EntryBase {
  readonly kind: 'cloudNat';
  readonly cloudNat: CloudNatSource;
  /** Key of this source in the resolved-sources map (see `sourceKey`). */
  readonly key: string;
}

export type AllowlistEntry = StaticEntry | CloudNatEntry;

/** Resolved addresses of symbolic sources, by `sourceKey`: e.g. `cloudNat:asia-northeast1/nat-router/nat-egress` → ['203.0.113.5']. */
export type ResolvedSources = ReadonlyMap<string, readonly string[]>;

/** Stable key of a Cloud NAT source; an omitted region stays empty (the resolver applies its default). */
export function sourceKey(source: CloudNatSource): string {
  return `cloudNat:${source.region ?? ''}/${source.router}/${source.nat}`;
}

/** The distinct symbolic sources the lists targeting `policy` (or all lists) refer to: what the caller must resolve. */
export function symbolicSources(allowlist: Allowlist, policy?: string): CloudNatEntry[] {
  const byKey = new Map<string, CloudNatEntry>();
  for (const list of allowlist.lists) {
    if (policy !== undefined && !list.policies.includes(policy)) continue;
    for (const entry of list.entries)
      if (entry.kind === 'cloudNat' && !byKey.has(entry.key)) byKey.set(entry.key, entry);
  }
  return [...byKey.values()];
}

/** Every policy some list targets. */
export function targetPolicies(allowlist: Allowlist): string[] {
  return [...new Set(allowlist.lists.flatMap((l) => l.policies))].sort();
}
