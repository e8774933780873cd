/**
 * The functions netreflex deploys: one row per Cloud Function, read by `netreflex up` (which runs
 * them locally under the Functions Framework) and by the Terraform checks (which compare the
 * deployed environment with `env`). What each may call is iam.tf's alone, held to the calls the
 * functions really make in the end-to-end tests (test/iam/usage.test.ts).
 */
import type { EnvSchema } from './env.js';
import { natRoutesEnv } from './nat-routes.js';
import { armorAllowlistEnv, armorAllowlistVerifyEnv } from './armor-allowlist.js';
import { peeringRangesEnv } from './peering-ranges.js';
import { pipelineRequestsEnv } from './pipeline-requests.js';

export type SignatureType = 'cloudevent' | 'http';

export interface FunctionSpec {
  /** Entry point exported by functions/index.ts (and the Cloud Functions entry point). */
  entryPoint: string;
  /** Folder under functions/ holding the handler and its sample events. */
  folder: string;
  signatureType: SignatureType;
  env: EnvSchema;
}

export const FUNCTIONS: FunctionSpec[] = [
  {
    entryPoint: 'natRoutes',
    folder: 'functions/nat-routes',
    signatureType: 'cloudevent',
    env: natRoutesEnv,
  },
  {
    entryPoint: 'natRoutesSync',
    folder: 'functions/nat-routes',
    signatureType: 'http',
    env: natRoutesEnv,
  },
  {
    entryPoint: 'pipelineRequests',
    folder: 'functions/pipeline-requests',
    signatureType: 'cloudevent',
    env: pipelineRequestsEnv,
  },
  {
    entryPoint: 'peeringRanges',
    folder: 'functions/peering-ranges',
    signatureType: 'http',
    env: peeringRangesEnv,
  },
  {
    entryPoint: 'armorAllowlist',
    folder: 'functions/armor-allowlist',
    signatureType: 'cloudevent',
    env: armorAllowlistEnv,
  },
  {
    entryPoint: 'armorAllowlistVerify',
    folder: 'functions/armor-allowlist',
    signatureType: 'http',
    env: armorAllowlistVerifyEnv,
  },
];
