/**
 * Names of Google Cloud resources, parsed once wherever they enter (the environment, the allowlist
 * file). Import-free but for zod, so the allowlist file format can use them without the
 * environment configuration and its logger.
 */
import * as z from 'zod';

/** RFC 1035 name as Compute Engine requires for networks, routes, MIGs, policies. */
export const resourceName = z
  .string()
  .regex(
    /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be a lowercase RFC 1035 name (a-z, 0-9, -; 1-63 chars; starts with a letter)',
  );
