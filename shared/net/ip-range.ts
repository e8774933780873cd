/**
 * IP ranges as integer intervals, and netreflex's one CIDR parser: the environment
 * (shared/net/cidr-schema.ts), the allowlist file and the planners all read CIDRs through
 * `parseCidr` and compare its canonical text.
 *
 * A CIDR is parsed once into `{family, first, last}` (inclusive bigints). Every set operation
 * (merge, difference, containment, address counts) is then plain interval arithmetic, which is
 * what keeps planning 100,000 entries well under a second. IPv6 is parsed by ipaddr.js; IPv4 is
 * parsed by a strict dotted-quad pattern so that the legacy forms ipaddr.js and inet_aton accept
 * (`1`, `0x7f.1`, `010.0.0.1` as octal) are refused: they are typos, not intent, and readers
 * disagree on them (Google reads `010` as decimal 10).
 */
import ipaddr from 'ipaddr.js';

export type IpFamily = 4 | 6;

/** An inclusive interval of addresses of one family. */
export interface IpRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

/** A parsed CIDR or single address, normalized (host bits cleared). */
export interface ParsedCidr extends IpRange {
  /** Canonical text: network address + prefix (`198.51.100.0/24`, `2001:db8::/32`). */
  readonly cidr: string;
  readonly prefixLength: number;
  /** True when the input had host bits set (`198.51.100.7/24`): normalized, but likely a mistake. */
  readonly hadHostBits: boolean;
  /** True when the input was a bare address (no `/`), i.e. a /32 or /128. */
  readonly bareAddress: boolean;
}

export const FAMILY_BITS: Readonly<Record<IpFamily, number>> = { 4: 32, 6: 128 };

/** Thrown by `parseCidr` for text that is not an address or CIDR; the message says what was expected. */
export class CidrSyntaxError extends Error {
  override readonly name = 'CidrSyntaxError';
}

const PREFIX_PATTERN = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Recently parsed CIDRs. A sync parses the same strings several times (file, current rules, final
 * rules); results are immutable, so sharing them is safe and saves most of the planner's garbage.
 */
const cache = new Map<string, ParsedCidr>();
const CACHE_LIMIT = 250_000;

/** Parses a CIDR (`198.51.100.0/24`) or a single address (`203.0.113.5`, `2001:db8::1`). */
export function parseCidr(text: string): ParsedCidr {
  let parsed = cache.get(text);
  if (parsed) return parsed;
  parsed = Object.freeze(parseUncached(text));
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the limit only bounds memory; a parse answers the same with or without the cache
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, parsed);
  return parsed;
}

function parseUncached(text: string): ParsedCidr {
  const slash = text.indexOf('/');
  // Stryker disable next-line EqualityOperator: at slash 0 the address is '' or the whole text, and either is refused in the same words
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseV4(addressText);
  if (v4 !== undefined) return v4Cidr(text, addressText, slash, v4);
  const value = parseV6(addressText, text);
  // Here and below, `slash <= 0` is equivalent: slash 0 leaves an empty address, refused before any of these lines
  // Stryker disable next-line EqualityOperator: see above
  const prefixLength = slash < 0 ? 128 : parsePrefix(text.slice(slash + 1), 128, text);
  const hostBits = BigInt(128 - prefixLength);
  const first = (value >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  const cidr = `${formatAddress(6, first)}/${prefixLength}`;
  // Stryker disable next-line EqualityOperator: slash 0 never gets here (empty address)
  return { family: 6, first, last, prefixLength, cidr, hadHostBits: first !== value, bareAddress: slash < 0 };
}

/** IPv4 in plain numbers (exact below 2^53), converted to bigint once: the hot path at 100k entries. */
function v4Cidr(text: string, addressText: string, slash: number, value: number): ParsedCidr {
  // Stryker disable next-line EqualityOperator: slash 0 never gets here (empty address)
  const prefixLength = slash < 0 ? 32 : parsePrefix(text.slice(slash + 1), 32, text);
  const size = 2 ** (32 - prefixLength);
  const first = Math.floor(value / size) * size;
  const hadHostBits = first !== value;
  // The strict patterns admit only canonical text, so an input without host bits is its own canonical form.
  // Stryker disable EqualityOperator: slash 0 never gets here (empty address)
  const cidr = hadHostBits ? `${formatV4(first)}/${prefixLength}` : slash < 0 ? `${addressText}/32` : text;
  // Stryker restore EqualityOperator
  return {
    family: 4,
    first: BigInt(first),
    last: BigInt(first + size - 1),
    prefixLength,
    cidr,
    hadHostBits,
    // Stryker disable next-line EqualityOperator: slash 0 never gets here (empty address)
    bareAddress: slash < 0,
  };
}
/** Like `parseCidr`, but answers `undefined` instead of throwing. */
export function tryParseCidr(text: string): ParsedCidr | undefined {
  try {
    return parseCidr(text);
  } catch {
    return undefined;
  }
}

function parsePrefix(text: string, bits: number, whole: string): number {
  const n = PREFIX_PATTERN.test(text) ? Number(text) : NaN;
  // Stryker disable next-line ConditionalExpression: the pattern admits digits only, so n is NaN (refused by n <= bits) or ≥ 0
  if (!(n >= 0 && n <= bits)) {
    throw new CidrSyntaxError(`"${whole}" has an invalid prefix length (expected /0 to /${bits})`);
  }
  return n;
}

/** Strict dotted quad: four decimal octets 0-255, no leading zeros, nothing else. */
function parseV4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return undefined; // leading zero: octal in inet_aton
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : undefined;
}

function parseV6(text: string, whole: string): bigint {
  // Zone ids (fe80::1%eth0) name an interface, not an address a remote caller can have.
  // Stryker disable next-line StringLiteral: ipaddr.js finds no IPv6 address in text without a colon either
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) {
    return v6ToBigint(ipaddr.IPv6.parse(text));
  }
  const decimal = withoutLeadingZeros(text);
  if (decimal !== undefined) {
    throw new CidrSyntaxError(
      `"${whole}" has an octet with a leading zero, which inet_aton and ipaddr.js read as octal and ` +
        `Google as decimal; write ${decimal}${whole.slice(text.length)}`,
    );
  }
  throw new CidrSyntaxError(
    `"${whole}" is not an IP address or CIDR (expected e.g. 198.51.100.0/24, 203.0.113.5 or 2001:db8::/32)`,
  );
}

/**
 * The dotted quad `text` means once its leading zeros are dropped (`010.0.0.0` → `10.0.0.0`), or
 * `undefined` when it is no such quad. Google reads octets as decimal and strips the zeros
 * (google/api/field_info.proto, FieldInfo.Format IPV4); C's inet_aton and ipaddr.js read `010` as
 * octal 8. Text two readers disagree on is refused, and the message names the decimal form.
 */
function withoutLeadingZeros(text: string): string | undefined {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)?.slice(1).map(Number);
  return octets?.every((o) => o <= 255) ? octets.join('.') : undefined;
}

function v6ToBigint(addr: ipaddr.IPv6): bigint {
  let value = 0n;
  for (const part of addr.parts) value = (value << 16n) | BigInt(part);
  return value;
}

/** Formats an address: dotted quad for IPv4, RFC 5952 (compressed, lowercase) for IPv6. */
export function formatAddress(family: IpFamily, value: bigint): string {
  if (family === 4) return formatV4(Number(value));
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  return new ipaddr.IPv6(parts).toRFC5952String();
}

function formatV4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Number of addresses in a range (2^32 for 0.0.0.0/0, 2^128 for ::/0). */
export function rangeSize(range: IpRange): bigint {
  return range.last - range.first + 1n;
}

/** Orders ranges by family (IPv4 first), then by first address, then widest first. */
export function compareRanges(a: IpRange, b: IpRange): number {
  if (a.family !== b.family) return a.family - b.family;
  // Stryker disable next-line EqualityOperator: the ends differ here, so < and <= agree
  if (a.first !== b.first) return a.first < b.first ? -1 : 1;
  // Stryker disable next-line EqualityOperator: the ends differ here, so > and >= agree
  if (a.last !== b.last) return a.last > b.last ? -1 : 1;
  return 0;
}

/**
 * The minimal list of CIDRs covering exactly one interval. Greedy from the low end: at each step
 * take the largest aligned block that starts there and fits; this is optimal for a single interval.
 */
export function rangeToCidrs(range: IpRange): string[] {
  return range.family === 4 ? v4RangeToCidrs(Number(range.first), Number(range.last)) : v6RangeToCidrs(range);
}

function v4RangeToCidrs(first: number, last: number): string[] {
  const out: string[] = [];
  while (first <= last) {
    // Lowest set bit of `first` (two's complement on 32 bits); 0 is aligned to the whole space.
    let size = first === 0 ? 2 ** 32 : (first & -first) >>> 0;
    while (first + size - 1 > last) size /= 2;
    out.push(`${formatV4(first)}/${size === 2 ** 32 ? 0 : Math.clz32(size) + 1}`);
    first += size;
  }
  return out;
}

function v6RangeToCidrs(range: IpRange): string[] {
  const out: string[] = [];
  let first = range.first;
  while (first <= range.last) {
    let hostBits = alignment(first, 128);
    while (first + (1n << BigInt(hostBits)) - 1n > range.last) hostBits--;
    out.push(`${formatAddress(6, first)}/${128 - hostBits}`);
    first += 1n << BigInt(hostBits);
  }
  return out;
}

/** Number of trailing zero bits of `value`, capped at the family width. */
function alignment(value: bigint, bits: number): number {
  if (value === 0n) return bits;
  let n = 0;
  while (((value >> BigInt(n)) & 1n) === 0n) n++;
  return n;
}
