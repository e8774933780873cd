/**
 * terraform-bootstrap/ as data for the local Google Cloud, so the sample topology is what the
 * Terraform deploys rather than a second copy of it: each .tf file is parsed with @cdktf/hcl2json
 * (HashiCorp's own HCL parser compiled to wasm), once per content — the JSON is cached in memory and
 * under node_modules/.cache/netreflex/hcl/<sha256>.json, so a start after the first reads no wasm.
 * Expressions stay strings ("${...}"); `literal` resolves the few forms a value read here may take.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const TERRAFORM_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'terraform-bootstrap');
const CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.cache', 'netreflex', 'hcl');

const memory = new Map<string, Promise<JsonObject>>();

async function parseCached(name: string, text: string): Promise<JsonObject> {
  const sha = createHash('sha256').update(text).digest('hex');
  const file = join(CACHE_DIR, `${sha}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  } catch {
    const { parse } = await import('@cdktf/hcl2json');
    const json = (await parse(name, text)) as JsonObject;
    try {
      mkdirSync(CACHE_DIR, { recursive: true });
      writeFileSync(file, JSON.stringify(json));
    } catch {
      // a read-only checkout still works, only slower
    }
    return json;
  }
}

/** Every .tf file of `dir`, parsed (and cached by content). */
export async function readTerraform(dir = TERRAFORM_DIR): Promise<{ name: string; json: JsonObject }[]> {
  const names = readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
  return Promise.all(names.map(async (name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const id = `${name}:${createHash('sha256').update(text).digest('hex')}`;
    if (!memory.has(id)) memory.set(id, parseCached(name, text));
    return { name, json: await memory.get(id)! };
  }));
}

export const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const first = (v: Json | undefined): JsonObject | undefined => (Array.isArray(v) ? (isObject(v[0]) ? v[0] : undefined) : isObject(v) ? v : undefined);

/** The body of `resource "<type>" "<name>"` (hcl2json: resource.type.name[0]). */
export function resourceBody(files: { json: JsonObject }[], type: string, name: string): JsonObject | undefined {
  for (const f of files) {
    const byType = f.json.resource;
    if (isObject(byType) && isObject(byType[type])) {
      const body = first(byType[type][name]);
      if (body) return body;
    }
  }
  return undefined;
}

/** A nested block (`update_policy { … }` is parsed as update_policy[0]). */
export const block = (body: JsonObject | undefined, name: string): JsonObject | undefined => first(body?.[name]);

function variableDefault(files: { json: JsonObject }[], name: string): Json | undefined {
  for (const f of files) {
    const vars = f.json.variable;
    const v = isObject(vars) ? first(vars[name]) : undefined;
    if (v && 'default' in v) return v.default;
  }
  return undefined;
}

/**
 * A value as a plain JSON value: literals as they are, `${var.x}` as the variable's default,
 * `${length(var.x)}` as the length of its default list. Anything else is an error naming the
 * expression, so a Terraform change the reader cannot follow fails loudly instead of drifting.
 */
export function literal(files: { json: JsonObject }[], value: Json | undefined, where: string): Json | undefined {
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
