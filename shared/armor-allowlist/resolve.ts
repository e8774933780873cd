/**
 * Resolves the symbolic sources of the lists targeting one policy (I/O the pure planner cannot
 * do). A source that cannot be resolved — the router or NAT does not exist, or has no IPs — is a
 * refusal, not an empty list: syncing it as empty would remove the pipelines' egress IP.
 */
import { ConfigError, errorMessage, isNotFound } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { cloudNatIps, type NatIps } from '../gcp/routers.js';
import { symbolicSources, type Allowlist, type ResolvedSources } from '../allowlist/model.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';

export interface Resolution {
  readonly resolved: ResolvedSources;
  /** Human notes, e.g. an AUTO_ONLY NAT whose IPs may change under the allowlist. */
  readonly warnings: readonly string[];
}

/**
 * One sync reads each Cloud NAT once, however many policies name it: `seen` is shared across the
 * sync's policies, so they are all planned from the same IPs.
 */
export async function resolveSources(
  t: Transport,
  project: string,
  defaultRegion: string,
  allowlist: Allowlist,
  policy: string,
  seen = new Map<string, Promise<NatIps>>(),
): Promise<Resolution> {
  const resolved = new Map<string, readonly string[]>();
  const warnings: string[] = [];
  const unresolved: string[] = [];
  for (const entry of symbolicSources(allowlist, policy)) {
    const { router, nat } = entry.cloudNat;
    const region = entry.cloudNat.region ?? defaultRegion;
    try {
      const key = `${region}/${router}/${nat}`;
      if (!seen.has(key)) seen.set(key, cloudNatIps(t, project, region, router, nat));
      const ips = await seen.get(key)!;
      if (ips.allocation === 'AUTO_ONLY')
        warnings.push(
          `Cloud NAT ${nat} on ${router} (${entry.where}) allocates its IPs automatically; they can change, so give it MANUAL_ONLY static IPs`,
        );
      resolved.set(entry.key, ips.ips);
    } catch (err) {
      if (!(err instanceof ConfigError) && !isNotFound(err)) throw err;
      unresolved.push(`Cloud NAT ${nat} on router ${router} in ${region} (${entry.where}): ${errorMessage(err)}`);
    }
  }
  if (unresolved.length)
    throw new AllowlistSafetyError(
      'unresolved-source',
      'Some symbolic sources could not be resolved; nothing was changed (syncing them as empty would remove their callers). Fix the file or the Cloud NAT:',
      unresolved,
    );
  return { resolved, warnings };
}
