/** zod schemas for IP ranges, built on ipaddr.js so parsing follows one well-kept implementation. */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** An IPv4 or IPv6 CIDR with its host bits zero (Compute rejects `10.0.0.1/24` as a destRange). */
export const cidr = z.string().superRefine((value, ctx) => {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a CIDR range (expected e.g. 198.51.100.0/24)` });
    return;
  }
  const [addr, bits] = parsed;
  const network = addr.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(value)
    : ipaddr.IPv6.networkAddressFromCIDR(value);
  if (network.toString() !== addr.toString()) {
    ctx.addIssue({ code: 'custom', message: `"${value}" has host bits set; did you mean ${network.toString()}/${bits}?` });
  }
});
