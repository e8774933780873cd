/**
 * What a policy holds and who is changing it, as labels on the security policy itself — they
 * survive function restarts, travel with the policy and need no other store — written with
 * `setLabels` under `labelFingerprint`, a compare-and-set: of two writers that read the same labels,
 * exactly one succeeds (the other gets 412).
 *
 * The labels, and the rule of who may take a claim over, are read in shared/plan/allowlist-claim.ts;
 * the generation label is written only after a fresh plan on the read-back rules is empty.
 *
 * A sync claims the policy right before its first change and re-checks the run label before every
 * step; a newer claimer makes it stop. A claim is taken over by a sync of the same or a newer
 * generation, never by an older one — unless it is older than the lease (a crashed sync: deployed,
 * a sync cannot outlive the function's 300 s timeout). A 412 is not proof of a rival sync: a
 * cost-label script or Terraform may have set labels in between, so the claimer reads the labels
 * again and judges once more. Terraform owns the description, so nothing is stored there.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { getSecurityPolicy, setSecurityPolicyLabels, type SecurityPolicy } from '../gcp/security-policies.js';
import {
  CLAIM_LABEL,
  GENERATION,
  GENERATION_LABEL,
  OUR_LABELS,
  RUN_LABEL,
  SOURCE_LABEL,
  claimOf,
  newerThan,
} from '../plan/allowlist-claim.js';

/** How many label writes a sync tries (each after a 412 reads the labels again) before it gives up (503). */
const ATTEMPTS = 5;

/** A run id that fits a label value with its claim time. */
export const newRunId = () => `r-${randomBytes(6).toString('hex')}`;

/** The source label value of an allowlist object. */
export const sourceId = (bucket: string, object: string) =>
  createHash('sha256').update(`gs://${bucket}/${object}`).digest('hex').slice(0, 16);

export type ClaimResult =
  | { readonly claimed: true; readonly policy: SecurityPolicy }
  | { readonly claimed: false; readonly newer: string; readonly policy: SecurityPolicy };

/** Claims the policy for `run` applying `generation`; re-reads and retries when the labels changed under it. */
export async function claimPolicy(
  t: Transport,
  project: string,
  policy: SecurityPolicy,
  generation: string | undefined,
  run: string,
  nowMs = Date.now(),
): Promise<ClaimResult> {
  const labels = (p: SecurityPolicy) => ({
    ...p.labels,
    [RUN_LABEL]: `${run}-${Math.floor(nowMs / 1000)}`,
    ...(generation && GENERATION.test(generation) ? { [CLAIM_LABEL]: generation } : {}),
  });
  return casLabels(t, project, policy, generation, nowMs, labels, () => true);
}

export type RecordResult = 'written' | 'unchanged' | 'lost';

/**
 * Records that the policy holds `generation` of `source` (after it verified). Only while `run`
 * still holds the claim: a sync that lost its claim leaves the labels to the one that took it.
 */
export async function recordApplied(
  t: Transport,
  project: string,
  policy: SecurityPolicy,
  generation: string,
  source: string,
  run: string,
  nowMs = Date.now(),
): Promise<RecordResult> {
  const c = claimOf(policy);
  if (c.run !== run) return 'lost';
  if (c.generation === generation && c.source === source) return 'unchanged';
  const result = await casLabels(
    t,
    project,
    policy,
    generation,
    nowMs,
    (p) => ({ ...p.labels, [GENERATION_LABEL]: generation, [SOURCE_LABEL]: source }),
    (p) => claimOf(p).run === run,
  );
  return result.claimed ? 'written' : 'lost';
}

/** Drops netreflex's labels from a policy the file no longer targets (after its rules were removed). */
export async function releasePolicy(
  t: Transport,
  project: string,
  policy: SecurityPolicy,
  run: string,
  nowMs = Date.now(),
): Promise<RecordResult> {
  const strip = (p: SecurityPolicy) =>
    Object.fromEntries(Object.entries(p.labels ?? {}).filter(([k]) => !OUR_LABELS.includes(k)));
  const result = await casLabels(t, project, policy, undefined, nowMs, strip, (p) => claimOf(p).run === run);
  return result.claimed ? 'written' : 'lost';
}

async function casLabels(
  t: Transport,
  project: string,
  first: SecurityPolicy,
  generation: string | undefined,
  nowMs: number,
  labels: (p: SecurityPolicy) => Record<string, string>,
  mayWrite: (p: SecurityPolicy) => boolean,
): Promise<ClaimResult> {
  let policy = first;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const blocker = newerThan(policy, generation, nowMs);
    if (blocker) return { claimed: false, newer: blocker, policy };
    if (!mayWrite(policy)) return { claimed: false, newer: claimOf(policy).claim ?? '?', policy };
    try {
      await setSecurityPolicyLabels(t, project, policy.name, labels(policy), policy.labelFingerprint);
      return { claimed: true, policy };
    } catch (err) {
      // 412 when the request saw a stale fingerprint; a failed operation when another write landed first.
      if (!(err instanceof ApiError && (err.code === 412 || err.status === 'CONDITION_NOT_MET'))) throw err;
      policy = await getSecurityPolicy(t, project, policy.name);
    }
  }
  throw new ApiError(
    503,
    'ABORTED',
    `the labels of security policy ${first.name} changed ${ATTEMPTS} times while netreflex tried to write its own; retrying later`,
  );
}
