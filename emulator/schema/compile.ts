/**
 * Compiles Google's protos, as the official clients ship them in node_modules, into the compact
 * form of compact.ts — with protobufjs, the parser google-gax itself uses. What is read:
 *
 * - `google.api.http` on each RPC (google/api/http.proto): verb, path template and `body`; the
 *   request fields neither in the path nor the body are the query parameters.
 * - `google.api.field_behavior` (google/api/field_behavior.proto): REQUIRED, OUTPUT_ONLY, INPUT_ONLY.
 * - Compute's generated proto marks behaviour in comments instead: "[Output Only]" / "Output only."
 *   and "[Input Only]" on fields, and "Check the XYZ enum for the list of possible values." on the
 *   `optional string` fields whose values a nested enum lists (its `UNDEFINED_*` = 0 entry, "A value
 *   indicating that the enum field is not set.", is no value a caller can send).
 * - JSON names as protoc derives them (compact.ts `jsonName`), which is what the REST surfaces speak.
 */
import type * as PB from 'protobufjs';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  INPUT_ONLY,
  jsonName,
  MAP,
  normalizeTemplate,
  OUTPUT_ONLY,
  REPEATED,
  REQUIRED,
  type ApiSchema,
  type EnumDef,
  type ErrorStyle,
  type FieldDef,
  type MessageDef,
  type MethodDef,
} from './compact.js';

export interface ProtoSource {
  api: string;
  style: ErrorStyle;
  /** Directories imports are resolved in, in order. */
  includeDirs: string[];
  /** Proto files (relative to an include dir) whose services the emulator serves. */
  files: string[];
  /** Fully qualified services to take methods from; `pkg.*` takes every service of package `pkg`. */
  services: string[];
  /** Messages and enums to compile besides the services' own (`pkg.*`: every one of package `pkg`). */
  types?: string[];
  /** Compute: method ids are `compute.<service>.<rpc>` in lower camel case. */
  methodIdPrefix?: string;
  /** Read Compute's comment conventions (output-only, input-only, string enums). */
  computeComments?: boolean;
  source: string[];
}

/** Types a JSON check treats by their well-known JSON mapping, not as messages with fields. */
export const WELL_KNOWN = new Set([
  'google.protobuf.Any',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.NullValue',
  'google.protobuf.Timestamp',
  'google.protobuf.Duration',
  'google.protobuf.FieldMask',
  'google.protobuf.Empty',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

// Loaded only when a schema is compiled (a cache miss), so a cached start does not pay for it.
type Protobuf = typeof PB;
let protobuf: Protobuf;
const lazyProtobuf = (): Protobuf => (protobuf ??= createRequire(import.meta.url)('protobufjs') as Protobuf);

const HTTP_VERBS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const fullName = (o: PB.ReflectionObject) => o.fullName.replace(/^\./, '');

function loadRoot(src: ProtoSource): PB.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of src.includeDirs) {
      const path = join(dir, target);
      if (existsSync(path)) return path;
    }
    return target;
  };
  root.loadSync(src.files, { alternateCommentMode: true, keepCase: true });
  root.resolveAll();
  return root;
}

function behaviours(field: PB.Field): string[] {
  return ((field.parsedOptions ?? []) as Record<string, unknown>[]).flatMap((o) =>
    o['(google.api.field_behavior)'] === undefined ? [] : [String(o['(google.api.field_behavior)'])],
  );
}

interface HttpRule {
  verb: string;
  path: string;
  body?: string;
}

function httpRules(method: PB.Method): HttpRule[] {
  const rules: HttpRule[] = [];
  const add = (rule: Record<string, unknown>) => {
    const verb = HTTP_VERBS.find((v) => typeof rule[v] === 'string');
    if (verb)
      rules.push({
        verb: verb.toUpperCase(),
        path: String(rule[verb]),
        ...(typeof rule.body === 'string' ? { body: rule.body } : {}),
      });
    const more = rule.additional_bindings;
    for (const extra of Array.isArray(more) ? more : more ? [more] : []) add(extra as Record<string, unknown>);
  };
  for (const opt of (method.parsedOptions ?? []) as Record<string, unknown>[]) {
    if (opt['(google.api.http)']) add(opt['(google.api.http)'] as Record<string, unknown>);
  }
  return rules;
}

/**
 * Compute's generator cannot declare a value twice in one message scope, so such values are only
 * named in the enum's comment: "Additional supported values which may be not listed in the enum
 * directly due to technical reasons:" followed by one value a line (v1beta MinimalAction: NONE,
 * REFRESH, REPLACE, RESTART, RESTART_IN_PLACE).
 */
function unlistedValues(e: PB.Enum): string[] {
  const comment = e.comment ?? '';
  const at = comment.indexOf('Additional supported values which may be not listed in the enum directly');
  if (at < 0) return [];
  return comment
    .slice(at)
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => /^[A-Z][A-Z0-9_]*$/.test(l));
}

class Compiler {
  readonly messages: Record<string, MessageDef> = {};
  readonly enums: Record<string, EnumDef> = {};
  private readonly pending: PB.Type[] = [];

  constructor(private readonly src: ProtoSource) {}

  typeRef(type: PB.Type): string {
    const name = fullName(type);
    if (!WELL_KNOWN.has(name) && !this.messages[name]) {
      this.messages[name] = {};
      this.pending.push(type);
    }
    return `M:${name}`;
  }

  enumRef(e: PB.Enum, kind: 'E' | 'S'): string {
    const name = fullName(e);
    if (!this.enums[name]) {
      const entries = Object.entries(e.values).filter(
        ([value, n]) => !(kind === 'S' && n === 0 && value.startsWith('UNDEFINED_')),
      );
      this.enums[name] =
        kind === 'S'
          ? { values: [...entries.map(([v]) => v), ...unlistedValues(e)] }
          : { values: entries.map(([v]) => v), numbers: entries.map(([, n]) => n) };
    }
    return `${kind}:${name}`;
  }

  drain(): void {
    for (let type = this.pending.pop(); type; type = this.pending.pop())
      this.messages[fullName(type)] = this.message(type);
  }

  private message(type: PB.Type): MessageDef {
    const out: MessageDef = {};
    for (const field of type.fieldsArray) {
      const def = this.field(field);
      const json = jsonName(field.name);
      out[json] = json === field.name ? def : [def[0], def[1], field.name];
    }
    return out;
  }

  private field(field: PB.Field): FieldDef {
    const comment = field.comment ?? '';
    const fb = behaviours(field);
    let flags = field.repeated ? REPEATED : 0;
    if (field instanceof protobuf.MapField) flags |= MAP;
    if (fb.includes('REQUIRED')) flags |= REQUIRED;
    if (fb.includes('OUTPUT_ONLY') || (this.src.computeComments && /\[Output Only\]|^Output only\./im.test(comment)))
      flags |= OUTPUT_ONLY;
    if (fb.includes('INPUT_ONLY') || (this.src.computeComments && /\[Input Only\]|^Input only\./im.test(comment)))
      flags |= INPUT_ONLY;
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return [this.typeRef(resolved), flags];
    if (resolved instanceof protobuf.Enum) return [this.enumRef(resolved, 'E'), flags];
    const named =
      this.src.computeComments && field.type === 'string'
        ? /Check the (\w+) enum for the list of possible values/.exec(comment)
        : null;
    if (named) return [this.enumRef((field.parent as PB.Type).lookupEnum(named[1]!), 'S'), flags];
    return [field.type, flags];
  }
}

function methodDefs(src: ProtoSource, compiler: Compiler, service: PB.Service): MethodDef[] {
  return service.methodsArray.flatMap((method) => {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    return httpRules(method).map((rule): MethodDef => {
      const pathFields = [...rule.path.matchAll(/\{([^}=]+)/g)].map((m) => m[1]!);
      return {
        ...(src.methodIdPrefix
          ? { id: `${src.methodIdPrefix}.${lowerFirst(service.name)}.${lowerFirst(method.name)}` }
          : {}),
        rpc: `${fullName(service)}.${method.name}`,
        verb: rule.verb,
        path: normalizeTemplate(rule.path),
        ...(rule.body ? { body: rule.body } : {}),
        request: compiler.typeRef(request).slice(2),
        response: compiler.typeRef(response).slice(2),
        pathFields,
      };
    });
  });
}

function servicesOf(root: PB.Root, name: string): PB.Service[] {
  if (!name.endsWith('.*')) return [root.lookupService(name)];
  const ns = root.lookup(name.slice(0, -2));
  if (!(ns instanceof protobuf.Namespace)) throw new Error(`no proto package ${name.slice(0, -2)}`);
  return ns.nestedArray.filter((o): o is PB.Service => o instanceof protobuf.Service);
}

/** Parses `src`'s protos and returns the compact schema of its services' HTTP methods. */
export function compileProtos(src: ProtoSource): ApiSchema {
  lazyProtobuf();
  const root = loadRoot(src);
  const compiler = new Compiler(src);
  const methods = src.services
    .flatMap((name) => servicesOf(root, name))
    .flatMap((service) => methodDefs(src, compiler, service));
  for (const name of src.types ?? []) {
    const found = name.endsWith('.*')
      ? (root.lookup(name.slice(0, -2)) as PB.Namespace).nestedArray
      : [root.lookup(name)];
    for (const t of found) {
      if (t instanceof protobuf.Type) compiler.typeRef(t);
      else if (t instanceof protobuf.Enum) compiler.enumRef(t, 'E');
      else if (!name.endsWith('.*')) throw new Error(`no proto message or enum ${name}`);
    }
  }
  compiler.drain();
  return {
    api: src.api,
    source: src.source,
    style: src.style,
    methods,
    messages: compiler.messages,
    enums: compiler.enums,
  };
}
