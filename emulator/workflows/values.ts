/**
 * The values a Workflows execution handles: JSON values plus `bytes` (what `text.encode`,
 * `json.encode` and `base64.decode` return). Workflows has value semantics: assigning a map
 * copies it, so the engine clones on every assignment instead of sharing JS references.
 *
 * Known difference: Workflows keeps `integer` and `double` apart (`4/2` is `2.0`); JS has one
 * number type, so here a number is an `integer` exactly when it has no fractional part.
 */

export type Bytes = Uint8Array;
export type Value = null | boolean | number | string | Bytes | Value[] | ValueMap;
export interface ValueMap {
  [key: string]: Value;
}

export const VALUE_TYPES = ['null', 'boolean', 'integer', 'double', 'string', 'bytes', 'list', 'map'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export function isBytes(v: unknown): v is Bytes {
  return v instanceof Uint8Array;
}

export function isMap(v: unknown): v is ValueMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isBytes(v);
}

/** The name Workflows' `type()` answers for a value. */
export function typeOf(v: Value): ValueType {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'double';
  if (typeof v === 'string') return 'string';
  if (isBytes(v)) return 'bytes';
  return Array.isArray(v) ? 'list' : 'map';
}

export function hasKey(map: ValueMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(map, key);
}

/** A deep copy: a list stays a list, a map a map (so the copy has `v`'s type). */
export function clone<T extends Value>(v: T): T;
export function clone(v: Value): Value {
  if (Array.isArray(v)) return v.map(clone);
  if (isBytes(v)) return new Uint8Array(v);
  if (isMap(v)) {
    const out: ValueMap = {};
    for (const [k, item] of Object.entries(v)) out[k] = clone(item);
    return out;
  }
  return v;
}

/** Deep equality as `==` sees it: numbers compare by value, maps by keys regardless of order. */
export function equals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => equals(x, b[i]!));
  if (isBytes(a)) return isBytes(b) && Buffer.from(a).equals(Buffer.from(b));
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => hasKey(b, k) && equals(a[k]!, b[k]!));
  }
  return false;
}

/**
 * Turns what a handler (HTTP, connector) or a parsed document gave back into a Value:
 * `undefined` becomes null, Buffers stay bytes, class instances are flattened through JSON.
 */
export function toValue(input: unknown): Value {
  if (input === undefined || input === null) return null;
  if (typeof input === 'boolean' || typeof input === 'number' || typeof input === 'string') return input;
  if (isBytes(input)) return input;
  if (Array.isArray(input)) return input.map(toValue);
  if (input instanceof Date) return input.toISOString();
  if (typeof input === 'object') {
    const out: ValueMap = {};
    for (const [k, item] of Object.entries(input)) if (item !== undefined) out[k] = toValue(item);
    return out;
  }
  return String(input);
}

/** JSON text of a value, as the Executions API carries `argument` and `result`. */
export function toJson(v: Value, indent?: number): string {
  return JSON.stringify(
    v,
    (_key, item: unknown) => (isBytes(item) ? Buffer.from(item).toString('base64') : item),
    indent,
  );
}
