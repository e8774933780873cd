/**
 * Configuration of the armorAllowlist reconciler. The keys are the environment variable names;
 * Terraform sets exactly these (test/terraform checks it) and the README lists them. What to allow
 * lives in the allowlist file itself; these only say where the file is and whether to change anything.
 */
import * as z from 'zod';
import { boolFromString, intFromString, loadEnv } from './env.js';
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
  /** Plan and log only, never change a rule: for a first deployment or a dry run of a new band. */
  NETREFLEX_ALLOWLIST_DRY_RUN: boolFromString.default(false),
  /**
   * The budget a sync plans against: Cloud Armor's SECURITY_POLICY_RULES quota of the project, which
   * counts the rules of every security policy in it (200 unless Google raised it for you).
   */
  NETREFLEX_ARMOR_RULE_QUOTA: intFromString(0, 1_000_000).default(200),
});

export interface ArmorAllowlistConfig extends CommonConfig {
  bucket: string;
  object: string;
  dryRun: boolean;
  /** Rules the project's security policies may hold together (SECURITY_POLICY_RULES). */
  ruleQuota: number;
}

export function loadArmorAllowlistConfig(env: Record<string, string | undefined>): ArmorAllowlistConfig {
  const e = loadEnv(armorAllowlistEnv, env, 'armorAllowlist');
  return {
    ...commonConfig(e),
    bucket: e.NETREFLEX_CONFIG_BUCKET,
    object: e.NETREFLEX_ALLOWLIST_OBJECT,
    dryRun: e.NETREFLEX_ALLOWLIST_DRY_RUN,
    ruleQuota: e.NETREFLEX_ARMOR_RULE_QUOTA,
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
