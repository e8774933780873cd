/**
 * What a policy holds and who is changing it, as labels on the security policy itself — they
 * survive function restarts, travel with the policy and need no other store — written with
 * `setLabels` under `labelFingerprint`, a compare-and-set: of two writers that read the same labels,
 * exactly one succeeds (the other gets 412).
 *
 *   netreflex-allowlist-generation  the file generation the policy was last verified to hold; written
 *                                   only after a fresh plan on the read-back rules is empty
 *   netreflex-allowlist-source      which allowlist object that generation is of (a hash of its gs:// URL)
 *   netreflex-allowlist-claim       the generation the sync now changing the policy applies
 *   netreflex-allowlist-run         that sync's run id and when it claimed (`r-<hex>-<unix seconds>`)
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
import { compareGenerations } from '../gcp/storage.js';

export const GENERATION_LABEL = 'netreflex-allowlist-generation';
export const SOURCE_LABEL = 'netreflex-allowlist-source';
export const CLAIM_LABEL = 'netreflex-allowlist-claim';
export const RUN_LABEL = 'netreflex-allowlist-run';
const OUR_LABELS = [GENERATION_LABEL, SOURCE_LABEL, CLAIM_LABEL, RUN_LABEL];

/** How long a claim keeps others of an older generation out: well beyond the function's timeout. */
export const LEASE_MS = 10 * 60_000;
const ATTEMPTS = 5;

export interface Claim {
  /** The generation the policy was verified to hold. */
  readonly generation?: string;
  readonly source?: string;
  /** The generation being applied by `run`. */
  readonly claim?: string;
  readonly run?: string;
  readonly claimedAt?: number;
}

/** A run id that fits a label value with its claim time. */
export const newRunId = () => `r-${randomBytes(6).toString('hex')}`;

/** The source label value of an allowlist object. */
export const sourceId = (bucket: string, object: string) =>
  createHash('sha256').update(`gs://${bucket}/${object}`).digest('hex').slice(0, 16);

const GENERATION = /^\d+$/;
const RUN = /^(r-[0-9a-f]+)(?:-(\d+))?$/;

export function claimOf(policy: Pick<SecurityPolicy, 'labels'>): Claim {
  const labels = policy.labels ?? {};
  const run = RUN.exec(labels[RUN_LABEL] ?? '');
  return {
    ...(GENERATION.test(labels[GENERATION_LABEL] ?? '') ? { generation: labels[GENERATION_LABEL] } : {}),
    ...(labels[SOURCE_LABEL] ? { source: labels[SOURCE_LABEL] } : {}),
    ...(GENERATION.test(labels[CLAIM_LABEL] ?? '') ? { claim: labels[CLAIM_LABEL] } : {}),
    ...(run ? { run: run[1], ...(run[2] ? { claimedAt: Number(run[2]) * 1000 } : {}) } : {}),
  };
}

const newer = (a: string | undefined, than: string) => a !== undefined && compareGenerations(a, than) > 0;

/**
 * The generation that keeps a sync of `generation` away from the policy, if any: a newer one it
 * already holds, or a newer one a live claim is applying.
 */
export function newerThan(
  policy: Pick<SecurityPolicy, 'labels'>,
  generation: string | undefined,
  nowMs = Date.now(),
): string | undefined {
  if (generation === undefined || !GENERATION.test(generation)) return undefined;
  const c = claimOf(policy);
  if (newer(c.generation, generation)) return c.generation;
  const alive = c.claimedAt !== undefined && nowMs - c.claimedAt < LEASE_MS;
  return alive && newer(c.claim, generation) ? c.claim : undefined;
}

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
