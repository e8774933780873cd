/**
 * Observe + plan for every policy the file targets, before any of them changes: a refusal for one
 * policy (world-open, removal share, band full, unresolved source, ownership conflict, missing
 * policy) refuses the whole upload, so a file is applied everywhere or nowhere.
 */
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { getSecurityPolicy, type SecurityPolicy } from '../gcp/security-policies.js';
import { targetPolicies, type AllowlistConfig } from '../allowlist/config.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import { desiredAllowlist, planAllowlist, type AllowlistPlan, type DesiredAllowlist, type SecurityPolicyRule } from '../plan/allowlist.js';
import { claimOf, isStale } from './lock.js';
import type { NatIps } from '../gcp/routers.js';
import { resolveSources } from './resolve.js';

export interface PreparedPolicy {
  readonly name: string;
  readonly policy: SecurityPolicy;
  readonly desired: DesiredAllowlist;
  readonly plan: AllowlistPlan;
}

export interface Prepared {
  readonly prepared: PreparedPolicy[];
  /** Policies already claimed for a newer generation than this sync's: left alone. */
  readonly stale: { readonly name: string; readonly generation: string }[];
  readonly warnings: string[];
}

export interface PrepareOptions {
  readonly project: string;
  readonly region: string;
  readonly now: Date;
  readonly generation?: string;
  readonly force?: boolean;
}

export async function preparePolicies(t: Transport, config: AllowlistConfig, opts: PrepareOptions): Promise<Prepared> {
  const prepared: PreparedPolicy[] = [];
  const stale: Prepared['stale'] = [];
  const warnings: string[] = [];
  const natIps = new Map<string, Promise<NatIps>>();
  for (const name of targetPolicies(config)) {
    const policy = await readPolicy(t, opts.project, name);
    if (isStale(policy, opts.generation)) {
      stale.push({ name, generation: claimOf(policy).generation! });
      continue;
    }
    const { resolved, warnings: notes } = await resolveSources(t, opts.project, opts.region, config, name, natIps);
    warnings.push(...notes);
    const desired = desiredAllowlist(config, { policy: name, now: opts.now, resolved });
    const plan = planAllowlist(desired, policy.rules as SecurityPolicyRule[], { force: opts.force });
    prepared.push({ name, policy, desired, plan });
  }
  return { prepared, stale, warnings };
}

/** The policy, or a refusal naming what to fix when it does not exist. */
export async function readPolicy(t: Transport, project: string, name: string): Promise<SecurityPolicy> {
  try {
    return await getSecurityPolicy(t, project, name);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) {
      throw new AllowlistSafetyError('missing-policy', `Security policy ${name} does not exist in project ${project}; nothing was changed. Create it (terraform-bootstrap/armor.tf) or fix \`policies\` in the file.`);
    }
    throw err;
  }
}
