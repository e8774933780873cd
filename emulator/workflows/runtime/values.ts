/** Evaluating templates and performing assignments in a frame, with Workflows' value semantics. */
import { assertNever } from '../../errors.js';
import { WorkflowError } from '../errors.js';
import type { AssignTarget, Template } from '../syntax/model.js';
import { clone, hasKey, isMap, typeOf, type Value, type ValueMap } from '../values.js';
import { evaluateIn, type Frame } from './run.js';

export function evaluateTemplate(t: Template, frame: Frame): Value {
  switch (t.kind) {
    case 'literal':
      return clone(t.value);
    case 'expr':
      return evaluateIn(frame, t.expr);
    case 'list':
      return t.items.map((item) => evaluateTemplate(item, frame));
    case 'map': {
      const out: ValueMap = {};
      for (const [k, v] of t.entries) out[k] = evaluateTemplate(v, frame);
      return out;
    }
    default:
      return assertNever(t);
  }
}

/**
 * `a: v`, `a.b.c: v`, `a[0]: v`, `a[key]: v`. Missing map keys along the path are created as
 * empty maps (as Workflows does); list positions must already exist.
 */
export function assign(target: AssignTarget, value: Value, frame: Frame): void {
  const copy = clone(value);
  if (target.accessors.length === 0) return frame.scope.assign(target.root, copy);
  const root = frame.scope.lookup(target.root);
  frame.scope.assign(target.root, root);
  let container = root;
  const keys = target.accessors.map((a) => (a.kind === 'key' ? a.name : evaluateIn(frame, a.expr)));
  for (const key of keys.slice(0, -1)) container = child(container, key, target.source);
  setChild(container, keys[keys.length - 1]!, copy, target.source);
}

function child(container: Value, key: Value, source: string): Value {
  if (isMap(container) && typeof key === 'string') {
    if (!hasKey(container, key)) container[key] = {};
    return container[key]!;
  }
  if (Array.isArray(container) && typeof key === 'number') {
    checkIndex(container, key, source);
    return container[key]!;
  }
  throw badTarget(container, key, source);
}

function setChild(container: Value, key: Value, value: Value, source: string): void {
  if (isMap(container) && typeof key === 'string') {
    container[key] = value;
  } else if (Array.isArray(container) && typeof key === 'number') {
    checkIndex(container, key, source);
    container[key] = value;
  } else {
    throw badTarget(container, key, source);
  }
}

function checkIndex(list: Value[], index: number, source: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= list.length) {
    throw WorkflowError.of('IndexError', `list index out of range: ${index} in '${source}'`);
  }
}

function badTarget(container: Value, key: Value, source: string): WorkflowError {
  return WorkflowError.of(
    'TypeError',
    `cannot assign '${source}': a '${typeOf(container)}' cannot be indexed by a '${typeOf(key)}'`,
  );
}
