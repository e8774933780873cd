/**
 * The shape of a standard-library function. Each declares its parameter names because Workflows
 * lets the same function be used two ways: positionally in `${text.split(s, ",")}` and by name in
 * a `call: text.split` step with `args: {source: ..., separator: ...}`.
 */
import { WorkflowError } from '../errors.js';
import { isBytes, isMap, typeOf, type Bytes, type Value, type ValueMap } from '../values.js';

export interface Param {
  name: string;
  /** Present when the parameter may be left out. */
  default?: Value;
  /** May be left out with no default: the function sees a shorter argument list. */
  optional?: boolean;
}

/** What library functions may touch outside their arguments; injected so tests control time. */
export interface StdContext {
  env: Readonly<Record<string, string>>;
  nowMs(): number;
  sleep(ms: number): Promise<void>;
  log(severity: string, payload: Value): void;
  uuid(): string;
}

export interface StdFunction {
  params: readonly Param[];
  /** Blocking functions may only be used from `call` steps, as in Workflows. */
  blocking?: boolean;
  run(args: Value[], ctx: StdContext): Value | Promise<Value>;
}

export type Library = Readonly<Record<string, StdFunction>>;

export const opt = (name: string, value: Value = null): Param => ({ name, default: value });

export function fn(params: readonly (string | Param)[], run: StdFunction['run'], blocking = false): StdFunction {
  return { params: params.map((p) => (typeof p === 'string' ? { name: p } : p)), run, blocking };
}

function argType(what: string, v: Value, expected: string): WorkflowError {
  return WorkflowError.of('TypeError', `${what}: expected ${expected}, got '${typeOf(v)}'`);
}

export function str(v: Value, what: string): string {
  if (typeof v !== 'string') throw argType(what, v, 'a string');
  return v;
}

export function num(v: Value, what: string): number {
  if (typeof v !== 'number') throw argType(what, v, 'a number');
  return v;
}

export function int(v: Value, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw argType(what, v, 'an integer');
  return v;
}

export function list(v: Value, what: string): Value[] {
  if (!Array.isArray(v)) throw argType(what, v, 'a list');
  return v;
}

export function map(v: Value, what: string): ValueMap {
  if (!isMap(v)) throw argType(what, v, 'a map');
  return v;
}

export function bytes(v: Value, what: string): Bytes {
  if (!isBytes(v)) throw argType(what, v, 'bytes');
  return v;
}
