/**
 * The zod schema for a CIDR in configuration, over the same parser as the allowlist file and the
 * planners (`parseCidr`, ip-range.ts), so every boundary accepts the same text and stores the same
 * canonical form: a route planned from `2001:DB8::/32` is the route Compute lists as `2001:db8::/32`.
 */
import * as z from 'zod';
import { parseCidr, type ParsedCidr } from './ip-range.js';

/**
 * An IPv4 or IPv6 CIDR with its host bits zero (Compute rejects `10.0.0.1/24` as a destRange),
 * parsed to its canonical text. A bare address is refused too: in configuration it is more often a
 * forgotten prefix than a /32.
 */
export const cidr = z.string().transform((value, ctx) => {
  let parsed: ParsedCidr;
  try {
    parsed = parseCidr(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
  const problem = parsed.hadHostBits
    ? `"${value}" has host bits set; did you mean ${parsed.cidr}?`
    : parsed.bareAddress
      ? `"${value}" is an address, not a range; did you mean ${parsed.cidr}?`
      : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
  return parsed.cidr;
});
