/**
 * terraform-bootstrap/ as data, for the local stack (which deploys into the local Google Cloud what
 * the Terraform deploys instead of a second copy of it) and for the offline checks: no Terraform binary exists
 * where netreflex runs, so each .tf file is parsed with @cdktf/hcl2json (HashiCorp's own HCL parser
 * compiled to wasm). A parse costs ~0.4 s for the module, so its JSON is cached per file content
 * (in memory, and under .netreflex/cache/hcl/<sha256>.json): a start after the first loads no wasm.
 * Expressions stay strings ("${...}"); `literal` and `resolve` follow the simple forms.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface TfFile {
  name: string;
  text: string;
  json: JsonObject;
}

export interface TfModule {
  dir: string;
  files: TfFile[];
}

/** A resource or data block: hcl2json turns `resource "t" "n" { ... }` into resource.t.n[0]. */
export interface Block {
  file: string;
  type: string;
  name: string;
  body: JsonObject;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TERRAFORM_DIR = join(ROOT, 'terraform-bootstrap');
/** Where netreflex keeps what it can rebuild (gitignored, excluded from the function source). */
export const CACHE_DIR = join(ROOT, '.netreflex', 'cache');

/** Bump when the cached form changes, so an old cache entry is never read as the new form. */
const FORMAT = 'hcl2json-0.21/1';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * `compute()`'s JSON, cached under .netreflex/cache/<kind>/<key>.json. The write goes to a temporary
 * file renamed into place, so parallel test workers never read half a file; an unreadable or
 * unwritable cache only makes the call slower.
 */
export async function cachedJson<T>(kind: string, key: string, compute: () => Promise<T>): Promise<T> {
  const file = join(CACHE_DIR, kind, `${key}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    const value = await compute();
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(tmp, JSON.stringify(value));
      renameSync(tmp, file);
    } catch {
      // a read-only checkout still works, only slower
    }
    return value;
  }
}

const memory = new Map<string, Promise<JsonObject>>();

/** One .tf file's JSON, parsed once per content. */
export function parseHcl(name: string, text: string): Promise<JsonObject> {
  const key = sha256(`${FORMAT}\n${name}\n${text}`);
  let hit = memory.get(key);
  if (!hit) {
    hit = cachedJson('hcl', key, async () => {
      const { parse } = await import('@cdktf/hcl2json');
      return (await parse(name, text)) as JsonObject;
    });
    memory.set(key, hit);
    hit.catch(() => memory.delete(key));
  }
  return hit;
}

/** Every .tf file of `dir`, parsed (and cached by content), in name order. */
export async function readTerraform(dir = TERRAFORM_DIR): Promise<TfFile[]> {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      // A copy: callers may change their tree (checks plant mistakes) without changing the cache.
      return { name, text, json: structuredClone(await parseHcl(name, text)) };
    }),
  );
}

export async function loadModule(dir = TERRAFORM_DIR): Promise<TfModule> {
  return { dir, files: await readTerraform(dir) };
}

export const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function firstBody(v: Json | undefined): JsonObject {
  return Array.isArray(v) && isObject(v[0]) ? v[0] : isObject(v) ? v : {};
}

/** Every `resource` (kind "resource") or `data` (kind "data") block of the module. */
export function blocks(m: TfModule, kind: 'resource' | 'data'): Block[] {
  const out: Block[] = [];
  for (const f of m.files) {
    const byType = f.json[kind];
    if (!isObject(byType)) continue;
    for (const [type, byName] of Object.entries(byType)) {
      if (!isObject(byName)) continue;
      for (const [name, body] of Object.entries(byName)) out.push({ file: f.name, type, name, body: firstBody(body) });
    }
  }
  return out;
}

/** The body of `resource "<type>" "<name>"`, or undefined. */
export function resourceBody(
  files: readonly { json: JsonObject }[],
  type: string,
  name: string,
): JsonObject | undefined {
  for (const f of files) {
    const byType = f.json.resource;
    if (isObject(byType) && isObject(byType[type]) && byType[type][name] !== undefined)
      return firstBody(byType[type][name]);
  }
  return undefined;
}

/** Named top-level blocks such as `variable` and `output`, with their file. */
export function named(
  m: TfModule,
  kind: 'variable' | 'output' | 'module',
): { file: string; name: string; body: JsonObject }[] {
  return m.files.flatMap((f) => {
    const all = f.json[kind];
    return isObject(all)
      ? Object.entries(all).map(([name, body]) => ({ file: f.name, name, body: firstBody(body) }))
      : [];
  });
}

/** All locals of the module, with the file that declares each. */
export function locals(m: TfModule): Map<string, { file: string; value: Json }> {
  const out = new Map<string, { file: string; value: Json }>();
  for (const f of m.files) {
    const all = f.json.locals;
    for (const b of Array.isArray(all) ? all : []) {
      if (isObject(b)) for (const [k, v] of Object.entries(b)) out.set(k, { file: f.name, value: v });
    }
  }
  return out;
}

/** The sub-body of a nested block (`build_config { ... }` is parsed as build_config[0]). */
export function sub(body: JsonObject | undefined, ...path: string[]): JsonObject | undefined {
  let cur: Json | undefined = body;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    const next: Json | undefined = cur[key];
    cur = Array.isArray(next) ? next[0] : next;
  }
  return isObject(cur) ? cur : undefined;
}

/** A nested block of a body (`update_policy { … }` is parsed as update_policy[0]). */
export const block = (body: JsonObject | undefined, name: string): JsonObject | undefined => sub(body, name);

/**
 * One entry per instance of a resource: a `for_each = local.x` over a literal map yields one
 * instance per key, with `each.key`, `each.value` and `each.value.a.b` attributes resolved from the
 * map; anything else is a single instance with expressions left as they are.
 */
export function instances(m: TfModule, type: string): { block: Block; key?: string; value?: Json }[] {
  const all = locals(m);
  return blocks(m, 'resource')
    .filter((b) => b.type === type)
    .flatMap((b) => {
      const fe = b.body.for_each;
      const match = typeof fe === 'string' ? /^\$\{local\.([\w-]+)\}$/.exec(fe) : null;
      const map = match ? all.get(match[1] ?? '')?.value : undefined;
      if (!isObject(map)) return [{ block: b }];
      return Object.entries(map).map(([key, value]) => ({ block: b, key, value }));
    });
}

/** Resolves `${each.key}`, `${each.value...}` and `${local.x...}` against an instance, when literal. */
export function resolve(m: TfModule, v: Json | undefined, key?: string, value?: Json): Json | undefined {
  if (typeof v !== 'string') return v;
  if (v === '${each.key}' && key !== undefined) return key;
  const each = /^\$\{each\.value((?:\.[\w-]+)*)\}$/.exec(v);
  if (each && value !== undefined) return walk(value, each[1] ?? '');
  const local = /^\$\{local\.([\w-]+)((?:\.[\w-]+)*)\}$/.exec(v);
  if (local) return walk(locals(m).get(local[1] ?? '')?.value, local[2] ?? '');
  return v;
}

function walk(v: Json | undefined, path: string): Json | undefined {
  let cur = v;
  for (const key of path.split('.').filter(Boolean)) cur = isObject(cur) ? cur[key] : undefined;
  return cur;
}

/** A variable's default as the module declares it (undefined when it has none). */
export function variableDefault(files: readonly { json: JsonObject }[], name: string): Json | undefined {
  for (const f of files) {
    const vars = f.json.variable;
    const v = isObject(vars) ? vars[name] : undefined;
    const body = v === undefined ? undefined : firstBody(v);
    if (body && 'default' in body) return body.default;
  }
  return undefined;
}

/**
 * A value as a plain JSON value: literals as they are, `${var.x}` as the variable's default,
 * `${length(var.x)}` as the length of its default list. Anything else is an error naming the
 * expression, so a Terraform change the reader cannot follow fails loudly instead of drifting.
 */
export function literal(
  files: readonly { json: JsonObject }[],
  value: Json | undefined,
  where: string,
): Json | undefined {
  if (typeof value !== 'string' || !value.includes('${')) return value;
  const ref = /^\$\{var\.([\w-]+)\}$/.exec(value);
  if (ref) return variableDefault(files, ref[1]!);
  const len = /^\$\{length\(var\.([\w-]+)\)\}$/.exec(value);
  if (len) {
    const list = variableDefault(files, len[1]!);
    if (Array.isArray(list)) return list.length;
  }
  throw new Error(`terraform reader: cannot evaluate ${where} = ${value}; use a literal, var.x or length(var.x)`);
}

/** Every string leaf with its path, for scans such as "no public principal anywhere". */
export function* strings(v: Json | undefined, path = ''): Generator<{ path: string; value: string }> {
  if (typeof v === 'string') yield { path, value: v };
  else if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* strings(x, `${path}[${i}]`);
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) yield* strings(x, path ? `${path}.${k}` : k);
}

const refCache = new Map<string, Promise<string[]>>();

/**
 * A string value as the HCL template it came from: hcl2json hands back `a "b" ${x}` unescaped, and
 * the parser wraps it in quotes again, so quotes and backslashes outside `${...}` are escaped back
 * (a Logging filter is full of quotes).
 */
export function asTemplate(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    if (value.startsWith('${', i)) {
      let depth = 0;
      let j = i;
      for (; j < value.length; j++) {
        if (value[j] === '{') depth++;
        else if (value[j] === '}' && --depth === 0) break;
      }
      out += value.slice(i, j + 1);
      i = j;
    } else if (value[i] === '"' || value[i] === '\\') out += `\\${value[i]}`;
    else out += value[i];
  }
  return out;
}

/** The names an expression string refers to, e.g. ["var.region", "google_x.y.0.id"] (cached). */
export function references(expression: string): Promise<string[]> {
  let hit = refCache.get(expression);
  if (!hit) {
    hit = import('@cdktf/hcl2json')
      .then(({ getReferencesInExpression }) => getReferencesInExpression('expr.tf', asTemplate(expression)))
      .then((refs) => refs.map((r) => r.value));
    refCache.set(expression, hit);
  }
  return hit;
}

/** A deep copy to plant mistakes in, leaving the parsed tree untouched. */
export function cloneModule(m: TfModule): TfModule {
  return structuredClone(m);
}

export function file(m: TfModule, name: string): TfFile {
  const f = m.files.find((x) => x.name === name);
  if (!f) throw new Error(`terraform-bootstrap has no ${name}`);
  return f;
}
