/**
 * Compiles source values into Templates: each `${...}` string is parsed once, here, and its
 * function calls are checked against the standard library, so a typo in `text.splt` is a
 * deploy-time problem with a line number instead of a failure an hour into a run.
 */
import { walk, type Expr } from '../expression/ast.js';
import { parseExpression } from '../expression/parser.js';
import { ExpressionSyntaxError } from '../errors.js';
import { lookupFunction } from '../stdlib/index.js';
import { toValue } from '../values.js';
import type { Accessor, AssignTarget, Template } from './model.js';
import type { PathSeg, Problems } from './source.js';

const WHOLE_EXPRESSION = /^\$\{([\s\S]*)\}$/;

export function compileTemplate(raw: unknown, path: PathSeg[], problems: Problems): Template {
  if (typeof raw === 'string') return compileString(raw, path, problems);
  if (Array.isArray(raw))
    return { kind: 'list', items: raw.map((item, i) => compileTemplate(item, [...path, i], problems)) };
  if (raw !== null && typeof raw === 'object') {
    return {
      kind: 'map',
      entries: Object.entries(raw).map(([k, v]) => [k, compileTemplate(v, [...path, k], problems)]),
    };
  }
  return { kind: 'literal', value: toValue(raw) };
}

function compileString(raw: string, path: PathSeg[], problems: Problems): Template {
  const m = WHOLE_EXPRESSION.exec(raw);
  if (!m) {
    if (raw.includes('${'))
      problems.add(
        path,
        `'${raw}' embeds \${...} in text; Workflows evaluates an expression only when it is the whole value, e.g. '\${"a/" + x}'`,
      );
    return { kind: 'literal', value: raw };
  }
  const expr = compileExpression(m[1]!, path, problems);
  return expr ? { kind: 'expr', expr, source: raw } : { kind: 'literal', value: raw };
}

/** Parses expression text and checks its calls; reports and returns undefined on failure. */
export function compileExpression(text: string, path: PathSeg[], problems: Problems): Expr | undefined {
  try {
    const expr = parseExpression(text);
    checkCalls(expr, path, problems);
    return expr;
  } catch (err) {
    if (!(err instanceof ExpressionSyntaxError)) throw err;
    problems.add(path, `expression '${text}': ${err.message} (at offset ${err.offset})`);
    return undefined;
  }
}

function checkCalls(expr: Expr, path: PathSeg[], problems: Problems): void {
  for (const node of walk(expr)) {
    if (node.kind !== 'call') continue;
    const f = lookupFunction(node.name);
    if (!f)
      problems.add(
        path,
        `unknown function '${node.name}' (not a Workflows standard-library function this engine supports)`,
      );
    else if (f.blocking)
      problems.add(path, `'${node.name}' is a blocking call; use it in a 'call' step, not inside an expression`);
  }
}

/** Parses `a.b["c"][i]` on the left of an assignment (or in `result:`). */
export function compileTarget(raw: string, path: PathSeg[], problems: Problems): AssignTarget | undefined {
  const expr = compileExpression(raw, path, problems);
  if (!expr) return undefined;
  const accessors: Accessor[] = [];
  let node: Expr = expr;
  while (node.kind === 'member' || node.kind === 'index') {
    accessors.unshift(node.kind === 'member' ? { kind: 'key', name: node.name } : { kind: 'index', expr: node.index });
    node = node.object;
  }
  if (node.kind !== 'var') {
    problems.add(path, `'${raw}' cannot be assigned to; use a variable name, optionally followed by .key or [index]`);
    return undefined;
  }
  return { root: node.name, accessors, source: raw };
}
