/**
 * Environment configuration, parsed once at the boundary (functions-framework style: one validator,
 * one typed error). Each function declares its variables as a zod object whose keys are the
 * variable names, so the same schema is the list Terraform must set (checked in the tests).
 */
import * as z from 'zod';
import { ConfigError } from '../errors.js';

export type EnvSchema = z.ZodObject<Record<string, z.ZodType>>;

/**
 * A bad or missing environment variable, with one problem per variable. The message speaks to a
 * deployed function (whose environment is fixed until it restarts); the CLI words the same
 * problems for a shell (cli/main.ts).
 */
export class EnvConfigError extends ConfigError {
  constructor(
    readonly who: string,
    problems: readonly string[],
  ) {
    super(`${who}: invalid configuration in environment variables; fix these and restart:`, problems);
  }
}

/** Validates `env` against `schema`; a bad value names the variable and what it expects. */
export function loadEnv<S extends EnvSchema>(
  schema: S,
  env: Record<string, string | undefined>,
  who: string,
): z.infer<S> {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    // A list item's issue has the item's index after the variable name; the variable is what to fix.
    const name = issue.path.length ? String(issue.path[0]) : '(environment)';
    return name in picked || name === '(environment)'
      ? `${name}: ${issue.message}${name in picked ? ` (got ${JSON.stringify(picked[name])})` : ''}`
      : `${name}: required, not set`;
  });
  throw new EnvConfigError(who, problems);
}

/** The variable names a schema reads, for Terraform and README checks. */
export function envNames(schema: EnvSchema): string[] {
  return Object.keys(schema.shape).sort();
}

/** A comma- or whitespace-separated list. */
export const list = (item: z.ZodType<string, string> = z.string()) =>
  z
    .string()
    .transform((s) => s.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(item));

export const intFromString = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const boolFromString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
