/**
 * Where the last applied generation lives, and the lock two concurrent syncs meet at: two labels
 * on the security policy itself, so they survive function restarts, travel with the policy, and
 * need no other store. Labels are written with `setLabels` under `labelFingerprint`: of two syncs
 * that read the same labels, exactly one claim succeeds (the other gets 412).
 *
 * A sync claims the policy (generation + its run id) right before its first rule change, then
 * re-checks the run label before every step: a newer claimer means a newer sync owns the policy,
 * and the older one stops. Only syncs that change rules claim; a sync with nothing to do leaves
 * the policy untouched. Not the policy description: Terraform owns that.
 */
import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { setSecurityPolicyLabels, type SecurityPolicy } from '../gcp/security-policies.js';
import { compareGenerations } from '../gcp/storage.js';

export const GENERATION_LABEL = 'netreflex-allowlist-generation';
export const RUN_LABEL = 'netreflex-allowlist-run';

export interface Claim {
  readonly generation?: string;
  readonly run?: string;
}

/** A run id that fits a label value. */
export const newRunId = () => `r-${randomBytes(6).toString('hex')}`;

export function claimOf(policy: Pick<SecurityPolicy, 'labels'>): Claim {
  const labels = policy.labels ?? {};
  const generation = labels[GENERATION_LABEL];
  return { ...(generation && /^\d+$/.test(generation) ? { generation } : {}), ...(labels[RUN_LABEL] ? { run: labels[RUN_LABEL] } : {}) };
}

/** True when `generation` is older than the one the policy was last claimed for. */
export function isStale(policy: Pick<SecurityPolicy, 'labels'>, generation: string | undefined): boolean {
  const last = claimOf(policy).generation;
  return generation !== undefined && /^\d+$/.test(generation) && last !== undefined && compareGenerations(generation, last) < 0;
}

/** Claims the policy for `run`; false when another sync changed the labels since `policy` was read. */
export async function claimPolicy(t: Transport, project: string, policy: SecurityPolicy, generation: string | undefined, run: string): Promise<boolean> {
  const labels = { ...policy.labels, [RUN_LABEL]: run, ...(generation && /^\d+$/.test(generation) ? { [GENERATION_LABEL]: generation } : {}) };
  try {
    await setSecurityPolicyLabels(t, project, policy.name, labels, policy.labelFingerprint);
    return true;
  } catch (err) {
    // 412 when the request saw the stale fingerprint; a failed operation when another claim landed first.
    if (err instanceof ApiError && (err.code === 412 || err.status === 'CONDITION_NOT_MET')) return false;
    throw err;
  }
}
