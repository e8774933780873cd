/**
 * The local Google Cloud refuses what Google refuses, from Google's own definitions: every route
 * the router serves under a Google method id is bound once to its method definition (same API,
 * verb and path template), and then
 *
 * - before the handler: unknown query parameters, unknown body fields, wrong JSON types, enum
 *   values no enum lists and unset REQUIRED fields answer 400; output-only body fields are dropped
 *   (AIP-203, https://google.aip.dev/203#output-only: "the server must ignore" them on input), so
 *   no handler can store or echo what Google would not;
 * - after the handler: a 2xx JSON body with a field, type or enum value the definition does not
 *   have is an emulator bug and answers 500 naming the field and method; each such finding is
 *   also written down (findings.ts) where the emulator's user says, so that a test run can fail
 *   on it even when a client retried past the 500.
 *
 * Google's system parameters (https://cloud.google.com/apis/docs/system-parameters) pass: `$alt`
 * and `alt` (also `json;enum-encoding=int`, which the REST fallback of the gax clients sends),
 * `fields`, `prettyPrint`, `key`, `quotaUser`, `callback`, `$.xgafv`, `access_token`,
 * `upload_protocol`, `uploadType`, `userIp`, `oauth_token`.
 */
import { HttpError } from '../errors.js';
import type { Reply, Request, RouteInfo } from '../http.js';
import { MAP, normalizeRoute, REPEATED, type ApiSchema, type FieldDef, type MethodDef } from './compact.js';
import { Checker, scalarOk, type Finding, type PathStep } from './check.js';
import { APIS_OF_PREFIX } from './sources.js';
import { writeFinding, type ReplyFinding } from './findings.js';
import { ERROR_REPLY, errorReplyFindings } from './error-reply.js';
import { dataMessageOf, eventDataFindings } from './events.js';

const SYSTEM_PARAMETERS = new Set([
  'alt',
  'fields',
  'prettyPrint',
  'key',
  'quotaUser',
  'callback',
  '.xgafv',
  'access_token',
  'upload_protocol',
  'uploadType',
  'userIp',
  'oauth_token',
  'apiVersion',
  'outputDefaults',
]);
const isSystemParameter = (name: string) => SYSTEM_PARAMETERS.has(name.replace(/^\$/, ''));

/** The emulator's own control API is no Google API and has no definition. */
const isGoogleMethod = (methodId: string) => !methodId.startsWith('emulator.');

interface Bound {
  schema: ApiSchema;
  def: MethodDef;
}

/** A 400 in Google's error JSON with `google.rpc.BadRequest` field violations, as OnePlatform APIs answer. */
export class BadRequestError extends HttpError {
  constructor(
    message: string,
    reason: string,
    readonly violations: { field?: string; description: string }[],
  ) {
    super(400, message, reason);
  }

  override toJSON() {
    const base = super.toJSON();
    return {
      error: {
        ...base.error,
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: this.violations.map((v) => (v.field ? v : { description: v.description })),
          },
        ],
      },
    };
  }
}

export class Shapes {
  private readonly bound = new Map<string, Bound>();
  /** Every reply finding this emulator made (the planted ones too). */
  readonly findings: ReplyFinding[] = [];
  private planting = 0;
  private readonly schemas = new Map<string, ApiSchema>();

  /** google.rpc's messages and Google's JSON error reply (error-reply.ts). */
  private readonly errors: ApiSchema;

  /** `sink`: where each finding is written, and who is running the emulator (`EmulatorOptions.replyFindings`). */
  constructor(
    schemas: ApiSchema[],
    private readonly sink?: { dir: string; source?: string },
  ) {
    for (const s of schemas) this.schemas.set(s.api, s);
    const errors = this.schemas.get('errors');
    if (!errors) throw new Error('emulator: no google.rpc error schema (sources.ts)');
    this.errors = errors;
  }

  /** Binds every Google route to its definition; throws naming each route that has none. */
  bind(routes: RouteInfo[]): void {
    const missing: string[] = [];
    for (const route of routes) {
      if (!isGoogleMethod(route.methodId)) continue;
      const found = this.resolve(route);
      if (found) this.bound.set(key(route.method, route.pattern), found);
      else missing.push(`${route.methodId} (${route.method} ${route.pattern})`);
    }
    if (missing.length)
      throw new Error(
        `emulator: no Google API definition for ${missing.join(', ')}; add it to emulator/schema/ (see sources.ts)`,
      );
  }

  /** The definition a route (method and pattern) is bound to, for tests and tools. */
  definition(method: string, pattern: string): MethodDef | undefined {
    return this.bound.get(key(method, pattern))?.def;
  }

  private resolve(route: RouteInfo): Bound | undefined {
    for (const api of APIS_OF_PREFIX[route.methodId.split('.')[0]!] ?? []) {
      const schema = this.schemas.get(api);
      const found = schema && this.resolveIn(schema, route);
      if (found) return found;
    }
    return undefined;
  }

  private resolveIn(schema: ApiSchema, route: RouteInfo): Bound | undefined {
    const path = normalizeRoute(route.pattern);
    const methods = byVerbAndPrefix(schema).get(indexKey(route.method, path)) ?? [];
    const byId = methods.filter((m) => m.id === route.methodId && templateMatches(m.path, path));
    if (byId.length === 1) return { schema, def: byId[0]! };
    const candidates = methods.filter((m) => templateMatches(m.path, path));
    const def =
      candidates.find((m) => m.id === route.methodId || m.rpc === route.methodId) ??
      (candidates.length === 1 ? candidates[0] : undefined);
    return def ? { schema, def } : undefined;
  }

  /** Router hook: checks the query and body of a call and strips its output-only fields. */
  readonly hook = async (_methodId: string, req: Request): Promise<'continue'> => {
    const bound = this.bound.get(key(req.method, req.pattern));
    if (!bound) return 'continue';
    checkRequest(bound, req);
    return 'continue';
  };

  /**
   * Reply check: a 2xx JSON body outside the method's response message, or a 4xx/5xx JSON body
   * outside Google's JSON error reply (error-reply.ts), is an emulator bug. Each offending field
   * is a finding, written down (findings.ts) for the suite-wide check, and the call answers 500
   * naming them.
   */
  checkReply(methodId: string, req: Request, reply: Reply): void {
    const bound = this.bound.get(key(req.method, req.pattern));
    const status = reply.status ?? 200;
    if (!bound || reply.raw !== undefined || reply.body === undefined) return;
    let findings: Finding[];
    let definition: string;
    if (status >= 200 && status < 300) {
      const checker = new Checker(bound.schema, { mode: 'response', required: false });
      checker.message(bound.def.response, reply.body, []);
      findings = checker.findings;
      definition = `${bound.def.response} (${bound.schema.source[0] ?? bound.schema.api})`;
    } else if (status >= 400) {
      findings = errorReplyFindings(this.errors, status, reply.body);
      definition = `Google's JSON error reply (${ERROR_REPLY.source[0]})`;
    } else return;
    if (!findings.length) return;
    for (const f of findings)
      this.found({
        methodId,
        method: req.method,
        path: req.path,
        status,
        definition,
        field: fieldOf(f),
        problem: describeFinding(f),
        source: this.sink?.source ?? '',
      });
    const what = findings
      .slice(0, 5)
      .map((f) => `${fieldOf(f)}: ${describeFinding(f)}`)
      .join('; ');
    const which = status < 300 ? 'response' : `${status} error reply`;
    throw new HttpError(500, `emulator bug: the ${methodId} ${which} does not match ${definition}: ${what}`);
  }

  /**
   * Event check: the data of a CloudEvent the local Eventarc publishes, against Google's
   * definition of its type (events.ts). A finding is written down like a reply's; the event is
   * still delivered (nobody is there to answer a 500 to).
   */
  checkEvent(event: { type: string; source: string; subject?: string; data: unknown }): void {
    if (!event.type.startsWith('google.')) return; // a test's own event type (test/emulator/event-router.test.ts)
    const def = dataMessageOf(event.type);
    const findings: Finding[] = eventDataFindings(event.type, event.data) ?? [
      { path: [], kind: 'type', detail: `a definition of this event type's data in emulator/schema/events.ts` },
    ];
    for (const f of findings)
      this.found({
        methodId: event.type,
        method: 'EVENT',
        path: event.subject ? `${event.source} ${event.subject}` : event.source,
        status: 0,
        definition: def ? `${def.message} (${def.source})` : 'no definition',
        field: `data${fieldOf(f) === '(body)' ? '' : `.${fieldOf(f)}`}`,
        problem: describeFinding(f),
        source: this.sink?.source ?? '',
      });
  }

  /**
   * gRPC reply check (the local Pub/Sub, emulator/pubsub/grpc.ts): each reply message of an RPC
   * against its response message in pubsub.proto, by field name. The gRPC encoder drops a field
   * the message lacks without a word, so a handler could believe it sends what no client
   * receives; each such field is a finding, written down like a REST reply's (the reply still goes).
   * Values are in the encoder's object form (Timestamps as `{seconds, nanos}`, bytes as Buffers),
   * so only names are checked, and messages within messages.
   */
  checkGrpcReply(rpc: string, reply: unknown): void {
    const schema = this.schemas.get('pubsub');
    const def = schema?.methods.find((m) => m.rpc === rpc);
    if (!schema || !def) return;
    for (const field of unknownNames(schema, def.response, reply, ''))
      this.found({
        methodId: rpc,
        method: 'gRPC',
        path: `/${rpc.replace(/\.(\w+)$/, '/$1')}`,
        status: 0,
        definition: `${def.response} (${schema.source.find((x) => x.endsWith('.proto')) ?? schema.api})`,
        field,
        problem: `unknown field "${field.split('.').pop()!.replace(/\[.*$/, '')}"`,
        source: this.sink?.source ?? '',
      });
  }

  private found(finding: ReplyFinding): void {
    this.findings.push(finding);
    if (!this.planting && this.sink) writeFinding(this.sink.dir, finding);
  }

  /**
   * Runs `plant`, a test's deliberate emulator bug: the findings it makes are answered (500) and
   * kept in `findings` as always, but not written for the suite-wide check. Returns them.
   */
  async planted(plant: () => Promise<unknown>): Promise<ReplyFinding[]> {
    const before = this.findings.length;
    this.planting++;
    try {
      await plant();
    } finally {
      this.planting--;
    }
    return this.findings.slice(before);
  }
}

/** Field names in `value` that message `type` lacks, as paths (`receivedMessages[0].message.x`); messages within are walked too. */
function unknownNames(schema: ApiSchema, type: string, value: unknown, at: string): string[] {
  const fields = schema.messages[type];
  if (!fields || typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value))
    return [];
  const out: string[] = [];
  for (const [name, v] of Object.entries(value)) {
    const path = at ? `${at}.${name}` : name;
    const field = fields[name] ?? Object.values(fields).find((f) => f[2] === name);
    if (!field) {
      out.push(path);
      continue;
    }
    if (!field[0].startsWith('M:') || v === null || v === undefined) continue;
    const inner = field[0].slice(2);
    if (field[1] & REPEATED && Array.isArray(v))
      v.forEach((x, i) => out.push(...unknownNames(schema, inner, x, `${path}[${i}]`)));
    else if (field[1] & MAP && typeof v === 'object')
      for (const [k, x] of Object.entries(v))
        out.push(...unknownNames(schema, inner, x, `${path}[${JSON.stringify(k)}]`));
    else out.push(...unknownNames(schema, inner, v, path));
  }
  return out;
}

/** Routes are told apart by verb and pattern: v1 and beta share method ids. */
const key = (method: string, pattern: string) => `${method} ${pattern}`;

/** Methods by verb and first two path segments (`GET /compute/v1`), so binding a route scans a few, not a thousand. */
const indexes = new WeakMap<ApiSchema, Map<string, MethodDef[]>>();
const indexKey = (verb: string, path: string) => `${verb} ${path.split('/').slice(0, 3).join('/')}`;
function byVerbAndPrefix(schema: ApiSchema): Map<string, MethodDef[]> {
  let index = indexes.get(schema);
  if (!index) {
    index = new Map();
    for (const m of schema.methods) {
      const k = indexKey(m.verb, m.path);
      index.set(k, [...(index.get(k) ?? []), m]);
    }
    indexes.set(schema, index);
  }
  return index;
}

/**
 * Whether a route's path (variables as `*`) is one the template serves: a template `*` takes any
 * one segment (the emulator may spell a literal, `services/servicenetworking.googleapis.com`),
 * `**` one or more; a custom verb (`:cancel`) must be equal.
 */
export function templateMatches(template: string, path: string): boolean {
  const [t, tVerb] = splitVerb(template);
  const [p, pVerb] = splitVerb(path);
  if (tVerb !== pVerb) return false;
  const ts = t.split('/');
  const ps = p.split('/');
  const multi = ts.indexOf('**');
  if (multi < 0) return ts.length === ps.length && ts.every((seg, i) => (seg === '*' ? ps[i] !== '' : seg === ps[i]));
  const head = ts.slice(0, multi);
  return ps.length > head.length && head.every((seg, i) => (seg === '*' ? ps[i] !== '' : seg === ps[i]));
}

function splitVerb(path: string): [string, string] {
  const last = path.lastIndexOf('/');
  const colon = path.indexOf(':', last);
  return colon < 0 ? [path, ''] : [path.slice(0, colon), path.slice(colon)];
}

function checkRequest({ schema, def }: Bound, req: Request): void {
  const request = schema.messages[def.request] ?? {};
  const queryFindings = checkQuery(schema, def, request, req.query);
  const checker = new Checker(schema, { mode: 'request', required: req.method !== 'PATCH' });
  const body = def.body && !def.rawBody && jsonBody(def, req) ? checkBody(checker, def, request, req) : undefined;
  const findings = [...queryFindings, ...checker.findings];
  const parse = findings.filter((f) => f.kind !== 'required');
  if (parse.length) throw badRequestOf(schema, def, parse);
  const required = [...findings, ...missingRequestFields(def, request, req, body)];
  if (required.length) throw badRequestOf(schema, def, required);
  if (body !== undefined) req.body = body.value;
}

const jsonBody = (def: MethodDef, req: Request) =>
  !def.jsonBodyWhen || def.jsonBodyWhen.values.includes(req.query.get(def.jsonBodyWhen.query) ?? '');

function checkBody(
  checker: Checker,
  def: MethodDef,
  request: Record<string, FieldDef>,
  req: Request,
): { present: boolean; value: unknown } | undefined {
  // The official compute client sends the JSON string "" for an unset optional body (instances.resume).
  if (req.body === undefined || req.body === '') return { present: false, value: undefined };
  if (def.body === '*') {
    const withoutPath = Object.fromEntries(
      Object.entries(request).filter(([json, f]) => !def.pathFields.includes(f[2] ?? json)),
    );
    const value = checker.object(def.request, withoutPath, req.body, []);
    return { present: true, value };
  }
  const field = fieldByProto(request, def.body!);
  if (!field) throw new Error(`${def.rpc}: body field ${def.body} is not in ${def.request}`);
  return { present: true, value: checker.field(field[1], req.body, [{ json: field[0], proto: def.body! }]) };
}

/** Top-level REQUIRED request fields: the body (`Required field 'resource' not specified`) and query parameters. */
function missingRequestFields(
  def: MethodDef,
  request: Record<string, FieldDef>,
  req: Request,
  body: { present: boolean } | undefined,
): Finding[] {
  const out: Finding[] = [];
  for (const [json, f] of Object.entries(request)) {
    const proto = f[2] ?? json;
    if (!(f[1] & 2) || def.pathFields.includes(proto)) continue;
    if (proto === def.body) {
      if (body && !body.present) out.push({ path: [{ json, proto }], kind: 'required', detail: json });
    } else if (def.body !== '*' && !req.query.has(json) && !req.query.has(proto)) {
      out.push({ path: [{ json, proto }], kind: 'required', detail: json });
    }
  }
  return out;
}

function fieldByProto(fields: Record<string, FieldDef>, proto: string): [string, FieldDef] | undefined {
  return Object.entries(fields).find(([json, f]) => (f[2] ?? json) === proto);
}

/** Query parameters bind to request fields not in the path or body, by JSON or proto name, `a.b` into messages. */
function checkQuery(
  schema: ApiSchema,
  def: MethodDef,
  request: Record<string, FieldDef>,
  query: URLSearchParams,
): Finding[] {
  const findings: Finding[] = [];
  for (const name of new Set(query.keys())) {
    if (isSystemParameter(name)) continue;
    const field = def.body === '*' ? undefined : queryField(schema, def, request, name);
    if (!field) {
      findings.push({ path: [], kind: 'unknown', detail: name, allowed: ['query'] });
      continue;
    }
    for (const value of query.getAll(name)) {
      const finding = checkQueryValue(schema, field, value);
      if (finding) findings.push({ ...finding, path: name.split('.').map((s) => ({ json: s, proto: s })) });
    }
  }
  return findings;
}

function queryField(
  schema: ApiSchema,
  def: MethodDef,
  request: Record<string, FieldDef>,
  name: string,
): FieldDef | undefined {
  let fields: Record<string, FieldDef> | undefined = request;
  let field: FieldDef | undefined;
  const parts = name.split('.');
  for (const [i, part] of parts.entries()) {
    if (!fields) return undefined;
    field = fields[part] ?? Object.values(fields).find((f) => f[2] === part);
    if (!field) return undefined;
    if (i === 0 && (def.pathFields.includes(field[2] ?? part) || (field[2] ?? part) === def.body)) return undefined;
    fields = field[0].startsWith('M:') ? schema.messages[field[0].slice(2)] : undefined;
  }
  // A whole message cannot be one query value, except the well-known types with a string form.
  if (
    field &&
    field[0].startsWith('M:') &&
    !['M:google.protobuf.FieldMask', 'M:google.protobuf.Timestamp', 'M:google.protobuf.Duration'].includes(field[0]) &&
    !field[0].includes('Value')
  )
    return undefined;
  return field;
}

function checkQueryValue(schema: ApiSchema, field: FieldDef, value: string): Omit<Finding, 'path'> | undefined {
  const type = field[0];
  if (type.startsWith('E:') || type.startsWith('S:')) {
    const e = schema.enums[type.slice(2)]!;
    const ok =
      e.values.includes(value) || (type.startsWith('E:') && /^\d+$/.test(value) && e.numbers!.includes(Number(value)));
    return ok ? undefined : { kind: 'enum', detail: value, enumName: type.split('.').pop()!, allowed: e.values };
  }
  if (type === 'bool')
    return value === 'true' || value === 'false'
      ? undefined
      : { kind: 'type', detail: `true or false, got "${value}"` };
  if (type.startsWith('M:') || type === 'string' || type === 'bytes') return undefined;
  return scalarOk(type, value) ? undefined : { kind: 'type', detail: `an integer (${type}), got "${value}"` };
}

/** The field a response finding is about, in JSON names: an unknown one is named by its own name under its parent. */
function fieldOf(f: Finding): string {
  const at = renderPath(f.path, 'json');
  if (f.kind === 'unknown') return at ? `${at}.${f.detail}` : f.detail;
  return at || '(body)';
}

/** `a.b[0].c` in JSON names (Compute: `resource.` first) or proto names (OnePlatform). */
export function renderPath(path: PathStep[], names: 'json' | 'proto'): string {
  let out = '';
  for (const step of path) {
    if ('index' in step) out += typeof step.index === 'number' ? `[${step.index}]` : `[${JSON.stringify(step.index)}]`;
    else out += (out ? '.' : '') + step[names];
  }
  return out;
}

function describeFinding(f: Finding): string {
  switch (f.kind) {
    case 'unknown':
      return `unknown field "${f.detail}"`;
    case 'type':
      return `expected ${f.detail}`;
    case 'enum':
      return `${f.detail} is not a ${f.enumName} value (${f.allowed?.join(', ')})`;
    default:
      return 'required field not set';
  }
}

function badRequestOf(schema: ApiSchema, def: MethodDef, findings: Finding[]): BadRequestError {
  const violations = findings.map((f) => violation(schema, def, f));
  const reason = findings.every((f) => f.kind === 'required') ? 'required' : 'invalid';
  return new BadRequestError(violations.map((v) => v.description).join('\n'), reason, violations);
}

/**
 * Google's words for each finding. Parse errors come from Google's front end in OnePlatform's
 * form (`Invalid JSON payload received. Unknown name "x" at 'a.b': Cannot find field.`, with the
 * field path of the request message and a `google.rpc.BadRequest` detail; public error bodies at
 * https://github.com/google-gemini/gemini-cli/issues/13972 and
 * https://github.com/decolua/9router/issues/1876). Compute names body fields `resource.<jsonName>`
 * as its own errors do (`Invalid value for field 'resource.networkTier': 'PREMIUM'. …`,
 * https://github.com/GoogleCloudPlatform/magic-modules/pull/7524; `Required field 'resource' not
 * specified`, https://github.com/googleapis/google-api-python-client/issues/608). Vertex AI words
 * an unset REQUIRED field `Field: <path>; Message: Required field is not set.`
 */
function violation(schema: ApiSchema, def: MethodDef, f: Finding): { field?: string; description: string } {
  const compute = schema.style === 'compute';
  const inQuery = f.allowed?.[0] === 'query';
  const fieldPath = compute ? computePath(def, f.path) : renderPath(f.path, 'proto');
  switch (f.kind) {
    case 'unknown':
      if (inQuery)
        return {
          description: `Invalid JSON payload received. Unknown name "${f.detail}": Cannot bind query parameter. Field '${f.detail}' could not be found in request message.`,
        };
      return fieldPath
        ? {
            field: fieldPath,
            description: `Invalid JSON payload received. Unknown name "${f.detail}" at '${fieldPath}': Cannot find field.`,
          }
        : { description: `Invalid JSON payload received. Unknown name "${f.detail}": Cannot find field.` };
    case 'type':
      return { field: fieldPath, description: `Invalid value at '${fieldPath}': expected ${f.detail}.` };
    case 'enum':
      return compute
        ? {
            field: fieldPath,
            description: `Invalid value for field '${fieldPath}': '${f.detail}'. Check the ${f.enumName} enum for the list of possible values: ${f.allowed!.join(', ')}.`,
          }
        : {
            field: fieldPath,
            description: `Invalid value at '${fieldPath}' (TYPE_ENUM), "${f.detail}": not a ${f.enumName} value (${f.allowed!.join(', ')}).`,
          };
    default:
      return compute
        ? { field: fieldPath, description: `Required field '${fieldPath}' not specified` }
        : { field: fieldPath, description: `Field: ${fieldPath}; Message: Required field is not set.` };
  }
}

/** Compute calls its body `resource` (`resource.destRange`); query parameters by their own name. */
function computePath(def: MethodDef, path: PathStep[]): string {
  const [first, ...rest] = path;
  if (first && 'proto' in first && first.proto === def.body)
    return renderPath([{ json: 'resource', proto: 'resource' }, ...rest], 'json');
  return renderPath(path, 'json');
}
