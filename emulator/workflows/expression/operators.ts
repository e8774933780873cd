/**
 * What each operator does to Workflows values. Workflows is strict where JS is loose:
 * `"a" + 1` is a TypeError (not "a1"), `1 / 0` a ZeroDivisionError (not Infinity), and
 * `and`/`or`/`not` take booleans only. These rules are what a local run must reproduce, or a
 * workflow that passes here fails once deployed.
 */
import { assertNever } from '../../errors.js';
import { WorkflowError } from '../errors.js';
import { equals, hasKey, isMap, typeOf, type Value } from '../values.js';
import type { BinaryOperator } from './ast.js';

type ArithmeticOperator = '+' | '-' | '*' | '/' | '//' | '%';

function operandError(op: string, a: Value, b: Value): WorkflowError {
  return WorkflowError.of('TypeError', `unsupported operand types for ${op}: '${typeOf(a)}' and '${typeOf(b)}'`);
}

/** Applies a binary operator other than the short-circuit `and`/`or`. */
export function applyBinary(op: Exclude<BinaryOperator, 'and' | 'or'>, a: Value, b: Value): Value {
  switch (op) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '//':
    case '%':
      return arithmetic(op, a, b);
    case '==':
      return equals(a, b);
    case '!=':
      return !equals(a, b);
    case '<':
    case '>':
    case '<=':
    case '>=':
      return compare(op, a, b);
    case 'in':
      return contains(a, b);
    default:
      return assertNever(op);
  }
}

function arithmetic(op: ArithmeticOperator, a: Value, b: Value): Value {
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a !== 'number' || typeof b !== 'number') throw operandError(op, a, b);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return divide(a, b, (x, y) => x / y);
    case '//':
      return divide(a, b, (x, y) => Math.floor(x / y));
    case '%':
      return divide(a, b, (x, y) => x - Math.floor(x / y) * y);
    default:
      return assertNever(op);
  }
}

function divide(a: number, b: number, f: (x: number, y: number) => number): number {
  if (b === 0) throw WorkflowError.of('ZeroDivisionError', 'division by zero');
  return f(a, b);
}

function compare(op: '<' | '>' | '<=' | '>=', a: Value, b: Value): boolean {
  const comparable =
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) throw operandError(op, a, b);
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    case '>=':
      return x >= y;
    default:
      return assertNever(op);
  }
}

/** `x in list` tests membership; `k in map` tests for a key. */
function contains(needle: Value, haystack: Value): boolean {
  if (Array.isArray(haystack)) return haystack.some((item) => equals(item, needle));
  if (isMap(haystack)) {
    if (typeof needle !== 'string')
      throw WorkflowError.of('TypeError', `map keys are strings, got '${typeOf(needle)}' for 'in'`);
    return hasKey(haystack, needle);
  }
  throw WorkflowError.of('TypeError', `'in' needs a list or a map on its right, got '${typeOf(haystack)}'`);
}

export function requireBoolean(op: string, v: Value): boolean {
  if (typeof v !== 'boolean') throw WorkflowError.of('TypeError', `'${op}' needs boolean operands, got '${typeOf(v)}'`);
  return v;
}

export function negate(v: Value): number {
  if (typeof v !== 'number') throw WorkflowError.of('TypeError', `bad operand type for unary -: '${typeOf(v)}'`);
  return -v;
}
