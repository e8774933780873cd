/**
 * Evaluates a parsed expression. Evaluation is synchronous on purpose: Workflows allows blocking
 * calls (`http.*`, `sys.sleep`) only in `call` steps, never inside `${...}`.
 */
import { assertNever } from '../../errors.js';
import { WorkflowError } from '../errors.js';
import { hasKey, isMap, typeOf, type Value } from '../values.js';
import type { Expr } from './ast.js';
import { applyBinary, negate, requireBoolean } from './operators.js';

/** What an expression can see: variables, and the functions it may call. */
export interface EvalEnv {
  lookup(name: string): Value;
  call(name: string, args: Value[]): Value;
}

export function evaluate(expr: Expr, env: EvalEnv): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'var':
      return env.lookup(expr.name);
    case 'member':
      return getKey(evaluate(expr.object, env), expr.name);
    case 'index':
      return getIndex(evaluate(expr.object, env), evaluate(expr.index, env));
    case 'call':
      return env.call(
        expr.name,
        expr.args.map((a) => evaluate(a, env)),
      );
    case 'unary':
      return expr.op === '-'
        ? negate(evaluate(expr.operand, env))
        : !requireBoolean('not', evaluate(expr.operand, env));
    case 'binary':
      return evaluateBinary(expr, env);
    case 'list':
      return expr.items.map((item) => evaluate(item, env));
    case 'map':
      return Object.fromEntries(expr.entries.map((e) => [e.key, evaluate(e.value, env)]));
    default:
      return assertNever(expr);
  }
}

function evaluateBinary(expr: Extract<Expr, { kind: 'binary' }>, env: EvalEnv): Value {
  const { op } = expr;
  if (op === 'and' || op === 'or') {
    const left = requireBoolean(op, evaluate(expr.left, env));
    if (op === 'and' ? !left : left) return left;
    return requireBoolean(op, evaluate(expr.right, env));
  }
  return applyBinary(op, evaluate(expr.left, env), evaluate(expr.right, env));
}

export function getKey(target: Value, key: string): Value {
  if (!isMap(target))
    throw WorkflowError.of('TypeError', `cannot read key '${key}' of a value of type '${typeOf(target)}'`);
  if (!hasKey(target, key)) throw WorkflowError.of('KeyError', `key not found: ${key}`);
  return target[key]!;
}

export function getIndex(target: Value, index: Value): Value {
  if (Array.isArray(target)) {
    if (typeof index !== 'number' || !Number.isInteger(index)) {
      throw WorkflowError.of('TypeError', `list indices must be integers, got '${typeOf(index)}'`);
    }
    if (index < 0 || index >= target.length) throw WorkflowError.of('IndexError', `list index out of range: ${index}`);
    return target[index]!;
  }
  if (isMap(target)) {
    if (typeof index !== 'string')
      throw WorkflowError.of('TypeError', `map keys must be strings, got '${typeOf(index)}'`);
    return getKey(target, index);
  }
  throw WorkflowError.of('TypeError', `cannot index a value of type '${typeOf(target)}'`);
}
