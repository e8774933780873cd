/**
 * The standard library as one table, and the two ways of binding arguments to it. Names missing
 * from this table are rejected when the workflow is parsed, so an unsupported function never
 * fails silently halfway through a run.
 */
import { WorkflowError } from '../errors.js';
import type { Value, ValueMap } from '../values.js';
import { COLLECTIONS } from './collections.js';
import { CORE } from './core.js';
import { ENCODING } from './encoding.js';
import type { Library, StdFunction } from './function.js';
import { SYSTEM } from './system.js';
import { TEXT } from './text.js';

export type { StdContext, StdFunction } from './function.js';

export const STDLIB: Library = { ...CORE, ...COLLECTIONS, ...TEXT, ...ENCODING, ...SYSTEM };

export function lookupFunction(name: string): StdFunction | undefined {
  return Object.prototype.hasOwnProperty.call(STDLIB, name) ? STDLIB[name] : undefined;
}

/** Positional arguments from an expression call, with defaults filled in. */
export function bindPositional(name: string, f: StdFunction, args: readonly Value[]): Value[] {
  if (args.length > f.params.length) {
    throw WorkflowError.of('TypeError', `${name}() takes at most ${f.params.length} argument(s), got ${args.length}`);
  }
  return fillDefaults(name, f, [...args]);
}

/** Named arguments from a `call` step's `args`. */
export function bindNamed(name: string, f: StdFunction, args: ValueMap): Value[] {
  const unknown = Object.keys(args).filter((k) => !f.params.some((p) => p.name === k));
  if (unknown.length) throw WorkflowError.of('TypeError', `${name}: unknown argument(s) ${unknown.join(', ')}`);
  const bound: Value[] = [];
  for (const p of f.params) {
    if (!Object.prototype.hasOwnProperty.call(args, p.name)) break;
    bound.push(args[p.name]!);
  }
  return fillDefaults(name, f, bound, args);
}

function fillDefaults(name: string, f: StdFunction, bound: Value[], named?: ValueMap): Value[] {
  for (let i = bound.length; i < f.params.length; i++) {
    const p = f.params[i]!;
    const given = named && Object.prototype.hasOwnProperty.call(named, p.name) ? named[p.name] : undefined;
    if (given !== undefined) bound.push(given);
    else if (p.default !== undefined) bound.push(p.default);
    else if (p.optional) break;
    else throw WorkflowError.of('TypeError', `${name}: missing required argument '${p.name}'`);
  }
  return bound;
}

/** Parameter names a `call` step may pass; validation checks `args` keys against them. */
export function paramNames(f: StdFunction): string[] {
  return f.params.map((p) => p.name);
}
