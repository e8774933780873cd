/** The tree an expression parses into; evaluation walks it, validation lists its function calls. */
import type { Value } from '../values.js';

export const BINARY_OPERATORS = [
  '+',
  '-',
  '*',
  '/',
  '//',
  '%',
  '==',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  'in',
  'and',
  'or',
] as const;
export type BinaryOperator = (typeof BINARY_OPERATORS)[number];

export type Expr =
  | { kind: 'literal'; value: Value }
  | { kind: 'var'; name: string; offset: number }
  | { kind: 'member'; object: Expr; name: string }
  | { kind: 'index'; object: Expr; index: Expr }
  | { kind: 'call'; name: string; args: Expr[]; offset: number }
  | { kind: 'unary'; op: '-' | 'not'; operand: Expr }
  | { kind: 'binary'; op: BinaryOperator; left: Expr; right: Expr }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'map'; entries: { key: string; value: Expr }[] };

/** Every node of a tree, parents before children; used by validation to find calls and names. */
export function* walk(expr: Expr): Generator<Expr> {
  yield expr;
  switch (expr.kind) {
    case 'literal':
    case 'var':
      return;
    case 'member':
      yield* walk(expr.object);
      return;
    case 'index':
      yield* walk(expr.object);
      yield* walk(expr.index);
      return;
    case 'call':
      for (const a of expr.args) yield* walk(a);
      return;
    case 'unary':
      yield* walk(expr.operand);
      return;
    case 'binary':
      yield* walk(expr.left);
      yield* walk(expr.right);
      return;
    case 'list':
      for (const item of expr.items) yield* walk(item);
      return;
    case 'map':
      for (const e of expr.entries) yield* walk(e.value);
      return;
  }
}

/** `a.b.c` as a dotted name, or undefined when the chain holds anything but names. */
export function dottedName(expr: Expr): string | undefined {
  if (expr.kind === 'var') return expr.name;
  if (expr.kind === 'member') {
    const head = dottedName(expr.object);
    return head === undefined ? undefined : `${head}.${expr.name}`;
  }
  return undefined;
}
