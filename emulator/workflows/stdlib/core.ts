/** The unqualified functions: `default`, `len`, `keys`, conversions and `type`. */
import { WorkflowError } from '../errors.js';
import { isBytes, isMap, typeOf, type Value } from '../values.js';
import { fn, map, type Library } from './function.js';

function length(v: Value): number {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isBytes(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw WorkflowError.of('TypeError', `len: expected a string, bytes, list or map, got '${typeOf(v)}'`);
}

function toInt(v: Value): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return parseInt(v, 10);
  if (typeof v === 'string') throw WorkflowError.of('ValueError', `int: cannot convert '${v}' to an integer`);
  throw WorkflowError.of('TypeError', `int: cannot convert a value of type '${typeOf(v)}'`);
}

function toDouble(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (typeof v === 'string') throw WorkflowError.of('ValueError', `double: cannot convert '${v}' to a double`);
  throw WorkflowError.of('TypeError', `double: cannot convert a value of type '${typeOf(v)}'`);
}

function toStr(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw WorkflowError.of('TypeError', `string: cannot convert a value of type '${typeOf(v)}'`);
}

function toBool(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (typeof v === 'string') throw WorkflowError.of('ValueError', `bool: cannot convert '${v}' to a boolean`);
  throw WorkflowError.of('TypeError', `bool: cannot convert a value of type '${typeOf(v)}'`);
}

export const CORE: Library = {
  default: fn(['value', 'default_value'], ([v, d]) => (v === null ? d! : v!)),
  len: fn(['value'], ([v]) => length(v!)),
  keys: fn(['map'], ([m]) => Object.keys(map(m!, 'keys'))),
  int: fn(['value'], ([v]) => toInt(v!)),
  double: fn(['value'], ([v]) => toDouble(v!)),
  string: fn(['value'], ([v]) => toStr(v!)),
  bool: fn(['value'], ([v]) => toBool(v!)),
  type: fn(['value'], ([v]) => typeOf(v!)),
};
