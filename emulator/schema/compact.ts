/**
 * The compact form of Google's API definitions the local Google Cloud checks every request and
 * response against: per API, the HTTP methods (verb, path template, which request field is the
 * body) and the messages and enums they use, reduced to what a JSON shape check needs. It is
 * compiled once from the protos the official clients ship (see compile.ts) or written by hand
 * from a REST reference where no proto exists (servicenetworking.ts, storage.ts), and cached as
 * JSON (cache.ts) so start-up does not parse megabytes of proto text.
 */

/**
 * A field's type: a proto scalar (`string`, `int64`, `bool`, …), `M:<message>`, `E:<enum>` (a
 * proto enum: its name or number on the wire) or `S:<enum>` (a string field whose values a named
 * enum lists — Compute's "Check the Direction enum for the list of possible values.").
 */
export type FieldType = string;

export const REPEATED = 1;
export const REQUIRED = 2;
export const OUTPUT_ONLY = 4;
export const INPUT_ONLY = 8;
/** A `map<K, V>`: the field's type is V; JSON keys are strings. */
export const MAP = 16;

/** `[type, flags, protoName?]` — protoName only where it differs from the JSON name. */
export type FieldDef = [FieldType, number, string?];

/** Fields by JSON name (`destRange`), as proto3 JSON and Google's REST surfaces spell them. */
export type MessageDef = Record<string, FieldDef>;

export interface EnumDef {
  values: string[];
  /** Numbers of `values`, in order; absent for Compute's string enums (names only on the wire). */
  numbers?: number[];
}

/** How the API words its 400s: Compute (`resource.destRange`, JSON names) or the OnePlatform APIs (proto names from the request). */
export type ErrorStyle = 'compute' | 'oneplatform';

export interface MethodDef {
  /** Google's method id where the definition gives one (Compute: `compute.routes.insert`). */
  id?: string;
  /** The RPC (`google.cloud.compute.v1.Routes.Insert`) or REST method (`storage.objects.get`) it comes from. */
  rpc: string;
  verb: string;
  /** The path with every variable replaced by `*` (`**` for a multi-segment one), custom verb kept. */
  path: string;
  /** The request field that is the body: a field name, `*` (every field not in the path) or absent (no body). */
  body?: string;
  request: string;
  response: string;
  /** Request fields bound to the path (top-level names). */
  pathFields: string[];
  /** A body that is not JSON (media uploads): not checked. */
  rawBody?: boolean;
  /** The body is the JSON resource only when this query parameter has one of these values (Cloud Storage's `uploadType=resumable`); otherwise it is media. */
  jsonBodyWhen?: { query: string; values: string[] };
}

export interface ApiSchema {
  api: string;
  /** Where the definitions come from (package@version and files, or the REST reference pages). */
  source: string[];
  style: ErrorStyle;
  methods: MethodDef[];
  messages: Record<string, MessageDef>;
  enums: Record<string, EnumDef>;
}

/** protoc's JSON name of a proto field: underscores dropped, the next letter upper-cased (`network_i_p` → `networkIP`). */
export function jsonName(protoName: string): string {
  let out = '';
  let upper = false;
  for (const ch of protoName) {
    if (ch === '_') upper = true;
    else {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    }
  }
  return out;
}

/** `/v1/{parent=projects/*\/locations/*}/pipelineJobs` → `/v1/projects/*\/locations/*\/pipelineJobs`. */
export function normalizeTemplate(template: string): string {
  return template.replace(/\{([^}=]+)(?:=([^}]*))?\}/g, (_, _name: string, pattern?: string) => pattern ?? '*');
}

/** The emulator's route pattern (`/…/routes/{route}`, `{object*}`) in the same normalized form. */
export function normalizeRoute(pattern: string): string {
  return pattern.replace(/\{[a-zA-Z]+(\*?)\}/g, (_, rest: string) => (rest ? '**' : '*'));
}
