/**
 * Who holds a security policy and who is changing it, read from netreflex's labels on the policy
 * (shared/armor-allowlist/lock.ts writes them under `labelFingerprint`, a compare-and-set), and the
 * one rule a sync is kept away by: a claim is taken over by a sync of the same or a newer
 * generation, never by an older one — unless it is older than the lease (a crashed sync).
 *
 *   netreflex-allowlist-generation  the file generation the policy was last verified to hold
 *   netreflex-allowlist-source      which allowlist object that generation is of (a hash of its gs:// URL)
 *   netreflex-allowlist-claim       the generation the sync now changing the policy applies
 *   netreflex-allowlist-run         that sync's run id and when it claimed (`r-<hex>-<unix seconds>`)
 */
import type { SecurityPolicy } from '../gcp/security-policies.js';
import { compareGenerations } from '../gcp/paths.js';

export const GENERATION_LABEL = 'netreflex-allowlist-generation';
export const SOURCE_LABEL = 'netreflex-allowlist-source';
export const CLAIM_LABEL = 'netreflex-allowlist-claim';
export const RUN_LABEL = 'netreflex-allowlist-run';
export const OUR_LABELS: readonly string[] = [GENERATION_LABEL, SOURCE_LABEL, CLAIM_LABEL, RUN_LABEL];

/** How long a claim keeps others of an older generation out: well beyond the function's 300 s timeout. */
export const LEASE_MS = 10 * 60_000;

export interface Claim {
  /** The generation the policy was verified to hold. */
  readonly generation?: string;
  readonly source?: string;
  /** The generation being applied by `run`. */
  readonly claim?: string;
  readonly run?: string;
  readonly claimedAt?: number;
}

/** A Cloud Storage generation: an int64 in decimal. */
export const GENERATION = /^\d+$/;
const RUN = /^(r-[0-9a-f]+)(?:-(\d+))?$/;

/** The claim a policy's labels record; a label that does not read as netreflex wrote it counts as absent. */
export function claimOf(policy: Pick<SecurityPolicy, 'labels'>): Claim {
  const labels = policy.labels ?? {};
  // Stryker disable next-line StringLiteral: equivalent, any text the pattern refuses stands for a missing label
  const run = RUN.exec(labels[RUN_LABEL] ?? '');
  // Stryker disable StringLiteral: equivalent, any text the pattern refuses stands for a missing label
  return {
    ...(GENERATION.test(labels[GENERATION_LABEL] ?? '') ? { generation: labels[GENERATION_LABEL] } : {}),
    ...(labels[SOURCE_LABEL] ? { source: labels[SOURCE_LABEL] } : {}),
    ...(GENERATION.test(labels[CLAIM_LABEL] ?? '') ? { claim: labels[CLAIM_LABEL] } : {}),
    // Stryker restore StringLiteral
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
  nowMs: number,
): string | undefined {
  // Stryker disable next-line ConditionalExpression: equivalent, the pattern refuses undefined as well (it tests the text 'undefined'); the check narrows the type
  if (generation === undefined || !GENERATION.test(generation)) return undefined;
  const c = claimOf(policy);
  if (newer(c.generation, generation)) return c.generation;
  // Stryker disable next-line ConditionalExpression: equivalent, without a claim time the difference is NaN and NaN < LEASE_MS is false; the check narrows the type
  const alive = c.claimedAt !== undefined && nowMs - c.claimedAt < LEASE_MS;
  return alive && newer(c.claim, generation) ? c.claim : undefined;
}
