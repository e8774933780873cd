/**
 * Checks a JSON value against a message of the compact schema, as Google's front end parses a
 * REST request (proto3 JSON, https://protobuf.dev/programming-guides/json/): unknown names, wrong
 * JSON types, enum values no enum lists, and — once the value parsed — REQUIRED fields left unset.
 * In a request, output-only fields are dropped (AIP-203: "the server must ignore" them on input);
 * in a response any of these findings is a bug of the emulator.
 */
import { MAP, OUTPUT_ONLY, REPEATED, REQUIRED, type ApiSchema, type FieldDef } from './compact.js';

/** One step of a field path: JSON and proto names, or an index / map key. */
export type PathStep = { json: string; proto: string } | { index: number | string };

export interface Finding {
  path: PathStep[];
  kind: 'unknown' | 'type' | 'enum' | 'required';
  /** What was found (the unknown name, the bad value) or expected (the type, the enum). */
  detail: string;
  enumName?: string;
  allowed?: string[];
}

export interface CheckOptions {
  mode: 'request' | 'response';
  /** Check REQUIRED fields inside the value (not for partial updates, where the mask decides). */
  required: boolean;
}

const INT32 = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32 = new Set(['uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const UNSIGNED64 = new Set(['uint64', 'fixed64']);
const FLOAT = new Set(['double', 'float']);
const WRAPPERS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const integral = (v: unknown) =>
  (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));

/** Whether `value` is a valid proto3 JSON form of scalar `type` (numbers may be strings; 64-bit ones usually are). */
export function scalarOk(type: string, value: unknown): boolean {
  if (type === 'string' || type === 'bytes') return typeof value === 'string';
  if (type === 'bool') return typeof value === 'boolean';
  if (INT32.has(type)) return integral(value) && Math.abs(Number(value)) <= 2 ** 31;
  if (UINT32.has(type)) return integral(value) && Number(value) >= 0 && Number(value) < 2 ** 32;
  if (INT64.has(type)) return integral(value) && (!UNSIGNED64.has(type) || !String(value).startsWith('-'));
  if (FLOAT.has(type))
    return (
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' &&
        (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value) || ['NaN', 'Infinity', '-Infinity'].includes(value)))
    );
  return false;
}

export class Checker {
  readonly findings: Finding[] = [];

  constructor(
    private readonly schema: ApiSchema,
    private readonly options: CheckOptions,
  ) {}

  /** Checks `value` as message `type`; in a request returns it without its output-only fields. */
  message(type: string, value: unknown, path: PathStep[]): unknown {
    if (type.startsWith('google.protobuf.')) return this.wellKnown(type, value, path);
    const fields = this.schema.messages[type];
    if (!fields) throw new Error(`the ${this.schema.api} schema has no message ${type}`);
    return this.object(type, fields, value, path);
  }

  /** Checks `value` against `fields` (a message's, or a request's fields that are not in the path). */
  object(type: string, fields: Record<string, FieldDef>, value: unknown, path: PathStep[]): unknown {
    if (!isObject(value)) {
      this.findings.push({ path, kind: 'type', detail: `an object (${type.split('.').pop()})` });
      return value;
    }
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(value)) {
      const own = fields[name];
      const def: [string, FieldDef] | undefined = own ? [name, own] : this.byProtoName(fields, name);
      if (!def) {
        this.findings.push({ path, kind: 'unknown', detail: name });
        continue;
      }
      const [json, field] = def;
      if (this.options.mode === 'request' && field[1] & OUTPUT_ONLY) continue;
      out[json] = this.field(field, v, [...path, { json, proto: field[2] ?? json }]);
    }
    if (this.options.required) this.requiredOf(fields, out, path);
    return out;
  }

  /** Proto3 JSON parsers accept the proto field name as well as the JSON name. */
  private byProtoName(fields: Record<string, FieldDef>, name: string): [string, FieldDef] | undefined {
    for (const [json, def] of Object.entries(fields)) if (def[2] === name) return [json, def];
    return undefined;
  }

  private requiredOf(fields: Record<string, FieldDef>, value: Record<string, unknown>, path: PathStep[]): void {
    for (const [json, def] of Object.entries(fields)) {
      if (!(def[1] & REQUIRED) || def[1] & OUTPUT_ONLY) continue;
      if (isUnset(value[json], def))
        this.findings.push({ path: [...path, { json, proto: def[2] ?? json }], kind: 'required', detail: json });
    }
  }

  field(def: FieldDef, value: unknown, path: PathStep[]): unknown {
    if (value === null && this.options.mode === 'request') return value;
    const [type, flags] = def;
    if (flags & MAP) {
      if (!isObject(value)) return this.bad(path, 'an object (map)', value);
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, this.single(type, v, [...path, { index: k }])]),
      );
    }
    if (flags & REPEATED) {
      if (!Array.isArray(value)) return this.bad(path, `a list of ${describe(type)}`, value);
      return value.map((v, i) => this.single(type, v, [...path, { index: i }]));
    }
    return this.single(type, value, path);
  }

  private single(type: string, value: unknown, path: PathStep[]): unknown {
    if (type.startsWith('M:')) return this.message(type.slice(2), value, path);
    if (type.startsWith('E:') || type.startsWith('S:')) return this.enumValue(type, value, path);
    if (!scalarOk(type, value)) return this.bad(path, describe(type), value);
    return value;
  }

  private enumValue(type: string, value: unknown, path: PathStep[]): unknown {
    const name = type.slice(2);
    const def = this.schema.enums[name];
    if (!def) throw new Error(`the ${this.schema.api} schema has no enum ${name}`);
    const ok =
      typeof value === 'string'
        ? def.values.includes(value)
        : type.startsWith('E:') && typeof value === 'number' && def.numbers!.includes(value);
    if (!ok)
      this.findings.push({
        path,
        kind: 'enum',
        detail: typeof value === 'string' ? value : JSON.stringify(value),
        enumName: name.split('.').pop()!,
        allowed: def.values,
      });
    return value;
  }

  private bad(path: PathStep[], expected: string, value: unknown): unknown {
    this.findings.push({ path, kind: 'type', detail: `${expected}, got ${JSON.stringify(value)?.slice(0, 80)}` });
    return value;
  }

  private wellKnown(type: string, value: unknown, path: PathStep[]): unknown {
    const scalar = WRAPPERS[type];
    if (scalar) return scalarOk(scalar, value) ? value : this.bad(path, describe(scalar), value);
    switch (type) {
      case 'google.protobuf.Value':
        return value;
      case 'google.protobuf.Struct':
        return isObject(value) ? value : this.bad(path, 'an object', value);
      case 'google.protobuf.ListValue':
        return Array.isArray(value) ? value : this.bad(path, 'a list', value);
      case 'google.protobuf.Empty':
        return isObject(value) && Object.keys(value).length === 0 ? value : this.bad(path, 'an empty object', value);
      case 'google.protobuf.Timestamp':
        return typeof value === 'string' && TIMESTAMP.test(value)
          ? value
          : this.bad(path, 'an RFC 3339 timestamp', value);
      case 'google.protobuf.Duration':
        return typeof value === 'string' && DURATION.test(value)
          ? value
          : this.bad(path, 'a duration such as "3.5s"', value);
      case 'google.protobuf.FieldMask':
        return typeof value === 'string' ? value : this.bad(path, 'a field mask string', value);
      case 'google.protobuf.Any':
        return this.any(value, path);
      default:
        throw new Error(`no JSON mapping for ${type}`);
    }
  }

  /** An Any is `{"@type": "type.googleapis.com/<message>", …fields}`; a message this schema knows is checked too. */
  private any(value: unknown, path: PathStep[]): unknown {
    if (!isObject(value) || typeof value['@type'] !== 'string') return this.bad(path, 'an Any with "@type"', value);
    const type = value['@type'].replace(/^.*\//, '');
    const { '@type': at, ...rest } = value;
    // A well-known type inside an Any is `{"@type", "value": <its JSON form>}`; Empty has no fields.
    if (type === 'google.protobuf.Empty') {
      this.wellKnown(type, rest, path);
      return value;
    }
    if (type.startsWith('google.protobuf.'))
      return 'value' in rest ? { '@type': at, value: this.wellKnown(type, rest.value, path) } : value;
    if (!this.schema.messages[type]) return value;
    const checked = this.message(type, rest, path);
    return isObject(checked) ? { '@type': at, ...checked } : value;
  }
}

function describe(type: string): string {
  if (type.startsWith('M:')) return `an object (${type.split('.').pop()})`;
  if (type === 'string' || type === 'bytes') return 'a string';
  if (type === 'bool') return 'true or false';
  if (FLOAT.has(type)) return 'a number';
  return `an integer (${type})`;
}

/**
 * proto3 has no presence for most scalars: a REQUIRED string at its default ("") is not set, as
 * Vertex AI words it for an empty value. A REQUIRED list that is sent but empty is left to the
 * API's own check, which says how many it needs (Pub/Sub: "the minimum value is 1").
 */
function isUnset(value: unknown, def: FieldDef): boolean {
  if (value === undefined || value === null) return true;
  if (def[1] & REPEATED) return false;
  return value === '';
}
