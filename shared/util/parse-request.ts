/**
 * An HTTP function's request body checked against its strict schema (zod): a body that does not
 * fit is refused as a whole, with one line per problem naming the field and what is wrong — an
 * unknown field by its name, so a typo is never a silent no-op.
 */
import type * as z from 'zod';
import { ConfigError } from '../errors.js';

/** The body as `schema` reads it, or a ConfigError headed `refusal` that lists every problem. */
export function parseRequest<T>(schema: z.ZodType<T>, input: unknown, refusal: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // Stryker disable StringLiteral: every field of the request schemas is top-level, so a path never has two parts to join
  const problems = result.error.issues.map(
    (i) =>
      `${i.path.join('.') || '(request)'}: ${i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message}`,
  );
  // Stryker restore StringLiteral
  throw new ConfigError(refusal, problems);
}
