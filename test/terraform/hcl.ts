/**
 * The Terraform of terraform-bootstrap/ as data, for offline checks: no Terraform binary exists where
 * netreflex is built, so each .tf file is parsed once with @cdktf/hcl2json (HashiCorp's own HCL
 * parser compiled to wasm) and checked with plain functions. Expressions stay strings ("${...}");
 * `references` asks the same parser which names an expression uses.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getReferencesInExpression, parse } from '@cdktf/hcl2json';

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

export async function loadModule(dir: string): Promise<TfModule> {
  const names = readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
  const files = await Promise.all(
    names.map(async (name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      return { name, text, json: (await parse(name, text)) as JsonObject };
    }),
  );
  return { dir, files };
}

export const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

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

/** Named top-level blocks such as `variable` and `output`, with their file. */
export function named(m: TfModule, kind: 'variable' | 'output' | 'module'): { file: string; name: string; body: JsonObject }[] {
  return m.files.flatMap((f) => {
    const all = f.json[kind];
    return isObject(all) ? Object.entries(all).map(([name, body]) => ({ file: f.name, name, body: firstBody(body) })) : [];
  });
}

/** All locals of the module, with the file that declares each. */
export function locals(m: TfModule): Map<string, { file: string; value: Json }> {
  const out = new Map<string, { file: string; value: Json }>();
  for (const f of m.files) {
    const all = f.json.locals;
    for (const block of Array.isArray(all) ? all : []) {
      if (isObject(block)) for (const [k, v] of Object.entries(block)) out.set(k, { file: f.name, value: v });
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

/**
 * One entry per instance of a resource: a `for_each = local.x` over a literal map yields one
 * instance per key, with `each.key`, `each.value` and `each.value.a.b` attributes resolved from the
 * map; anything else is a single instance with expressions left as they are.
 */
export function instances(m: TfModule, type: string): { block: Block; key?: string; value?: Json }[] {
  const all = locals(m);
  return blocks(m, 'resource')
    .filter((b) => b.type === type)
    .flatMap((block) => {
      const fe = block.body.for_each;
      const match = typeof fe === 'string' ? /^\$\{local\.([\w-]+)\}$/.exec(fe) : null;
      const map = match ? all.get(match[1] ?? '')?.value : undefined;
      if (!isObject(map)) return [{ block }];
      return Object.entries(map).map(([key, value]) => ({ block, key, value }));
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
function asTemplate(value: string): string {
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
    hit = getReferencesInExpression('expr.tf', asTemplate(expression)).then((refs) => refs.map((r) => r.value));
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
