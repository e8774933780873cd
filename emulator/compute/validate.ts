/** Compute's request validation, with its error wording, so callers see what production says. */
import ipaddr from 'ipaddr.js';
import { badRequest } from '../errors.js';

const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export function requireName(value: unknown, field = 'resource.name'): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw badRequest(
      `Invalid value for field '${field}': '${String(value ?? '')}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`,
    );
  }
  return value;
}

/**
 * An IPv4 or IPv6 CIDR whose host bits are zero (routes, firewalls). IPv4 must be four decimal octets without leading
 * zeros: the Route reference asks for "an IPv4 range (e.g. 192.0.2.0/24)"
 * (https://cloud.google.com/compute/docs/reference/rest/v1/routes, destRange) and does not say how
 * `010.0.0.0/8` is read; Google's convention reads such octets as decimal (google/api/field_info.proto,
 * FieldInfo.Format IPV4) where ipaddr.js reads octal, so the strict answer is to refuse them.
 */
export function requireCidr(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value : '';
  try {
    const address = text.split('/')[0]!;
    if (!address.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(address)) throw new Error('not a dotted quad');
    const [addr, bits] = ipaddr.parseCIDR(text);
    const network =
      addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
    if (network.toString() !== addr.toString()) throw new Error('host bits');
    return `${addr.toString()}/${bits}`;
  } catch {
    throw badRequest(
      `Invalid value for field '${field}': '${text}'. Must be a valid IP range in CIDR notation with zero host bits.`,
    );
  }
}

export function requireInt(value: unknown, field: string, min: number, max: number, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw badRequest(`Required field '${field}' not specified`, 'required');
  }
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw badRequest(
      `Invalid value for field '${field}': '${String(value)}'. Must be an integer between ${min} and ${max}.`,
    );
  }
  return n;
}

/** Whether `value` is one of the `allowed` words (an enum field's check). */
export const isOneOf = <T extends string>(allowed: readonly T[], value: unknown): value is T =>
  allowed.some((a) => a === value);

/** A JSON object (not null, not an array), whose fields are yet to be checked. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw badRequest(`Required field '${what}' not specified`, 'required');
  return value;
}

/** Last path segment of a URL or partial resource path. */
export const lastSegment = (urlOrPath: string) => urlOrPath.split('/').filter(Boolean).pop() ?? '';
