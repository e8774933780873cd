/**
 * Cloud Storage request preconditions: the optimistic locking a config pipeline relies on
 * (`ifGenerationMatch=0` creates only, `ifGenerationMatch=<g>` replaces only the version it read).
 * A failed write precondition is 412; a failed `*NotMatch` on a read is 304, as in production.
 */
import { HttpError } from '../errors.js';

export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

const KEYS = [
  'ifGenerationMatch',
  'ifGenerationNotMatch',
  'ifMetagenerationMatch',
  'ifMetagenerationNotMatch',
] as const;

/** The preconditions of a query string; a non-numeric value is a 400. */
export function readPreconditions(query: URLSearchParams): Preconditions {
  const out: Preconditions = {};
  for (const key of KEYS) {
    const value = query.get(key);
    if (value === null) continue;
    if (!/^\d+$/.test(value))
      throw new HttpError(
        400,
        `Invalid argument for parameter ${key}: '${value}'. It must be a non-negative integer.`,
        'invalidParameter',
      );
    out[key] = value;
  }
  return out;
}

const failed = () =>
  new HttpError(412, 'At least one of the pre-conditions you specified did not hold.', 'conditionNotMet');

/**
 * Checks `p` against the live version (`undefined` when the object does not exist). Writes treat
 * generation 0 as "does not exist"; reads answer 304 when a `*NotMatch` condition fails.
 */
export function checkPreconditions(
  current: { generation: string; metageneration: string } | undefined,
  p: Preconditions,
  mode: 'read' | 'write',
): void {
  const generation = current?.generation ?? '0';
  if (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== generation) throw failed();
  if (p.ifMetagenerationMatch !== undefined && (!current || p.ifMetagenerationMatch !== current.metageneration))
    throw failed();
  const notMatchFails =
    (p.ifGenerationNotMatch !== undefined && p.ifGenerationNotMatch === generation) ||
    (p.ifMetagenerationNotMatch !== undefined &&
      current !== undefined &&
      p.ifMetagenerationNotMatch === current.metageneration);
  if (!notMatchFails) return;
  if (mode === 'read') throw new HttpError(304, 'Not Modified', 'notModified');
  throw failed();
}
