/**
 * The few explicit exceptions the Terraform checks accept, each with its reason, and the context
 * that ties the checks to the single sources of truth in the TypeScript code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS } from '../../shared/config/functions.js';
import { envNames } from '../../shared/config/env.js';
import type { Context, RegistryFunction } from './checks.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const TF_DIR = join(REPO_ROOT, 'terraform-bootstrap');

/**
 * Functions terraform-bootstrap deploys (written from their issues) that are not yet in FUNCTIONS.
 * LEAD: when a function lands in shared/config/functions.ts, delete its entry here; from then on its
 * folder, entry point, environment and permissions are checked like natRoutes' (the test fails with
 * "remove it from PENDING_FUNCTIONS" until you do, and then names any mismatch to fix in
 * functions.tf / iam.tf).
 */
export const PENDING_FUNCTIONS: readonly string[] = [];

/**
 * Repo paths Terraform needs that other engineers are writing right now (files read by file(),
 * function source folders). LEAD: delete each entry once it is committed; from then on a missing
 * path fails the check.
 */
export const PENDING_FILES: readonly string[] = [];

/** Loader variables that only point a local run at the emulator; a deployed function must not get them. */
export const LOCAL_ONLY_ENV: readonly string[] = ['NETREFLEX_EMULATOR_HOST', 'GCE_METADATA_HOST'];

export const ALLOWED_INVOKERS: readonly string[] = ['eventarc', 'workflow'];

export function registry(): RegistryFunction[] {
  return FUNCTIONS.map((f) => ({ entryPoint: f.entryPoint, folder: f.folder, envNames: envNames(f.env) }));
}

/** Google's predefined roles as the local Google Cloud knows them (emulator/iam/data/roles.json). */
export function predefinedRolePermissions(): Record<string, string[]> {
  const roles = JSON.parse(readFileSync(join(REPO_ROOT, 'emulator/iam/data/roles.json'), 'utf8')) as Record<
    string,
    { includedPermissions: string[] }
  >;
  return Object.fromEntries(Object.entries(roles).map(([name, r]) => [name, r.includedPermissions]));
}

export function realContext(): Context {
  const read = (p: string) => (existsSync(join(REPO_ROOT, p)) ? readFileSync(join(REPO_ROOT, p), 'utf8') : undefined);
  return {
    registry: registry(),
    pendingFunctions: PENDING_FUNCTIONS,
    pendingFiles: PENDING_FILES,
    localOnlyEnv: LOCAL_ONLY_ENV,
    allowedInvokers: ALLOWED_INVOKERS,
    exists: (p) => existsSync(join(REPO_ROOT, p)),
    read,
    readme: read('terraform-bootstrap/README.md') ?? '',
  };
}
