/** `map.*` and `list.*`: all return new values, never mutate their arguments (value semantics). */
import { WorkflowError } from '../errors.js';
import { clone, hasKey, isMap, typeOf, type Value, type ValueMap } from '../values.js';
import { fn, list, map, str, type Library } from './function.js';

/** `map.get(m, "a")` or `map.get(m, ["a", "b"])`: null instead of a KeyError when absent. */
function getPath(m: Value, keys: Value): Value {
  const path = Array.isArray(keys) ? keys : [keys];
  let current: Value = m;
  for (const key of path) {
    if (typeof key !== 'string')
      throw WorkflowError.of('TypeError', `map.get: keys must be strings, got '${typeOf(key)}'`);
    if (!isMap(current) || !hasKey(current, key)) return null;
    current = current[key]!;
  }
  return current;
}

function mergeNested(a: ValueMap, b: ValueMap): ValueMap {
  const out = clone(a);
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isMap(prev) && isMap(v) ? mergeNested(prev, v) : clone(v);
  }
  return out;
}

function without(m: ValueMap, key: string): ValueMap {
  const out = clone(m);
  delete out[key];
  return out;
}

export const COLLECTIONS: Library = {
  'map.get': fn(['map', 'keys'], ([m, keys]) => {
    if (m !== null) map(m!, 'map.get');
    return getPath(m!, keys!);
  }),
  'map.merge': fn(['first', 'second'], ([a, b]) => ({
    ...clone(map(a!, 'map.merge')),
    ...clone(map(b!, 'map.merge')),
  })),
  'map.merge_nested': fn(['first', 'second'], ([a, b]) =>
    mergeNested(map(a!, 'map.merge_nested'), map(b!, 'map.merge_nested')),
  ),
  'map.delete': fn(['map', 'key'], ([m, k]) => without(map(m!, 'map.delete'), str(k!, 'map.delete'))),
  'list.concat': fn(['objs', 'val'], ([l, v]) => [...clone(list(l!, 'list.concat')), clone(v!)]),
  'list.prepend': fn(['objs', 'val'], ([l, v]) => [clone(v!), ...clone(list(l!, 'list.prepend'))]),
};
