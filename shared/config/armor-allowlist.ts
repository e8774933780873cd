/**
 * Configuration of the armorAllowlist reconciler. The keys are the environment variable names;
 * Terraform sets exactly these (test/terraform checks it) and the README lists them. What to allow
 * lives in the allowlist file itself; these only say where the file is and what a sync may change.
 */
import * as z from 'zod';
import { boolFromString, EnvConfigError, intFromString, loadEnv } from './env.js';
import { POLICIES, type Policy } from '../reconcile/plan.js';
import { bucketName, commonConfig, commonEnv, type CommonConfig } from './common.js';

export const armorAllowlistEnv = z.object({
  ...commonEnv,
  /** The config bucket: only its finalized events reach the function (the Eventarc trigger filters on it). */
  NETREFLEX_CONFIG_BUCKET: bucketName,
  /** The allowlist object in that bucket; other objects' events are acknowledged and ignored. */
  NETREFLEX_ALLOWLIST_OBJECT: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[^/][^\r\n]*$/, 'must be an object name without a leading / or line breaks')
    .default('allowlists/inference-policy.yaml'),
  /**
   * The kernel's policy over every sync (shared/reconcile/plan.ts), the words NETREFLEX_ROUTE_POLICY
   * uses: `sync` (the file's `mode` decides), `upsert-only` (never remove, whatever the file's mode),
   * `dry-run` (plan and log only: a first deployment, a dry run of a new band).
   */
  NETREFLEX_ALLOWLIST_POLICY: z.enum(POLICIES).optional(),
  /**
   * The budget a sync plans against: Cloud Armor's SECURITY_POLICY_RULES quota of the project, which
   * counts the rules of every security policy in it (200 unless Google raised it for you).
   */
  NETREFLEX_ARMOR_RULE_QUOTA: intFromString(0, 1_000_000).default(200),
});

/**
 * The spelling NETREFLEX_ALLOWLIST_POLICY replaces (`true` = `dry-run`, `false` = `sync`), still
 * read so a function deployed with it keeps its behaviour; it logs a warning at start. Not in the
 * schema: Terraform sets NETREFLEX_ALLOWLIST_POLICY, and the README documents that.
 */
export const DEPRECATED_DRY_RUN = 'NETREFLEX_ALLOWLIST_DRY_RUN';

export interface ArmorAllowlistConfig extends CommonConfig {
  bucket: string;
  object: string;
  /** The kernel's policy over each sync's plan: `sync`, `upsert-only` or `dry-run`. */
  policy: Policy;
  /** Start-up warnings (a deprecated variable still set), logged once by the service. */
  deprecations?: string[];
  /** Rules the project's security policies may hold together (SECURITY_POLICY_RULES). */
  ruleQuota: number;
}

export function loadArmorAllowlistConfig(env: Record<string, string | undefined>): ArmorAllowlistConfig {
  const e = loadEnv(armorAllowlistEnv, env, 'armorAllowlist');
  const { policy, deprecations } = policyOf(e.NETREFLEX_ALLOWLIST_POLICY, env[DEPRECATED_DRY_RUN]);
  return {
    ...commonConfig(e),
    bucket: e.NETREFLEX_CONFIG_BUCKET,
    object: e.NETREFLEX_ALLOWLIST_OBJECT,
    policy,
    ...(deprecations.length ? { deprecations } : {}),
    ruleQuota: e.NETREFLEX_ARMOR_RULE_QUOTA,
  };
}

/** NETREFLEX_ALLOWLIST_POLICY, or what the deprecated NETREFLEX_ALLOWLIST_DRY_RUN says; both set must agree. */
function policyOf(set: Policy | undefined, dryRun: string | undefined): { policy: Policy; deprecations: string[] } {
  if (dryRun === undefined || dryRun === '') return { policy: set ?? 'sync', deprecations: [] };
  const parsed = boolFromString.safeParse(dryRun);
  if (!parsed.success)
    throw new EnvConfigError('armorAllowlist', [
      `${DEPRECATED_DRY_RUN}: must be true or false (got ${JSON.stringify(dryRun)}); better, remove it and set NETREFLEX_ALLOWLIST_POLICY=dry-run or sync`,
    ]);
  const alias: Policy = parsed.data ? 'dry-run' : 'sync';
  if (set !== undefined && (set === 'dry-run') !== parsed.data)
    throw new EnvConfigError('armorAllowlist', [
      `${DEPRECATED_DRY_RUN}: ${dryRun} contradicts NETREFLEX_ALLOWLIST_POLICY=${set}; remove ${DEPRECATED_DRY_RUN} (NETREFLEX_ALLOWLIST_POLICY replaces it)`,
    ]);
  return {
    policy: set ?? alias,
    deprecations: [
      `${DEPRECATED_DRY_RUN} is deprecated: set NETREFLEX_ALLOWLIST_POLICY=${set ?? alias} instead and ` +
        `remove it (read as NETREFLEX_ALLOWLIST_POLICY=${set ?? alias})`,
    ],
  };
}

/**
 * armorAllowlistVerify, the egress check the workflow calls before a run, reads the policy named
 * in each request and nothing else: the project it is in is all it needs from the environment.
 */
export const armorAllowlistVerifyEnv = z.object({ ...commonEnv });

export function loadArmorAllowlistVerifyConfig(env: Record<string, string | undefined>): CommonConfig {
  return commonConfig(loadEnv(armorAllowlistVerifyEnv, env, 'armorAllowlistVerify'));
}
