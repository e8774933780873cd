/** Compute's request validation, with its error wording, so callers see what production says. */
import ipaddr from 'ipaddr.js';
import { badRequest } from '../errors.js';

const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export function requireName(value: unknown, field = 'resource.name'): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw badRequest(`Invalid value for field '${field}': '${String(value ?? '')}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`);
  }
  return value;
}

/** An IPv4 or IPv6 CIDR whose host bits are zero. */
export function requireCidr(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value : '';
  try {
    const [addr, bits] = ipaddr.parseCIDR(text);
    const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
    if (network.toString() !== addr.toString()) throw new Error('host bits');
    return `${addr.toString()}/${bits}`;
  } catch {
    throw badRequest(`Invalid value for field '${field}': '${text}'. Must be a valid IP range in CIDR notation with zero host bits.`);
  }
}

export function requireInt(value: unknown, field: string, min: number, max: number, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw badRequest(`Required field '${field}' not specified`, 'required');
  }
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw badRequest(`Invalid value for field '${field}': '${String(value)}'. Must be an integer between ${min} and ${max}.`);
  }
  return n;
}

export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`Required field '${what}' not specified`, 'required');
  return value as Record<string, unknown>;
}

/** Last path segment of a URL or partial resource path. */
export const lastSegment = (urlOrPath: string) => urlOrPath.split('/').filter(Boolean).pop() ?? '';
