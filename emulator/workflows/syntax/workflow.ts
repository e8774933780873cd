/**
 * Entry point of the syntax layer: YAML or JSON source → WorkflowDefinition, or one
 * WorkflowSyntaxError listing every problem with its line. Accepts both forms Workflows does:
 * a map of routines (`main` plus subworkflows) or a bare list of steps (an implicit `main`).
 */
import { LineCounter, parseDocument } from 'yaml';
import { WorkflowSyntaxError } from '../errors.js';
import { toValue } from '../values.js';
import { checkReferences } from './check.js';
import type { Param, Routine, WorkflowDefinition } from './model.js';
import { asList, asMap, checkKeys, isRawMap } from './shapes.js';
import { Problems, type PathSeg } from './source.js';
import { parseSteps } from './steps.js';

export function parseWorkflow(source: string): WorkflowDefinition {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true });
  const problems = new Problems(doc, lines);
  // YAML errors cascade (one bad brace yields dozens); the first few locate the real one.
  for (const err of doc.errors.slice(0, 3)) {
    const { line, col } = lines.linePos(err.pos[0]);
    problems.list.push({ path: '(document)', line, column: col, message: err.message.split('\n')[0]! });
  }
  if (problems.list.length) throw new WorkflowSyntaxError(problems.list);
  const routines = parseRoutines(doc.toJS({ maxAliasCount: 1000 }) as unknown, problems);
  const def: WorkflowDefinition = { routines };
  checkReferences(def, problems);
  if (problems.list.length) throw new WorkflowSyntaxError(problems.list);
  return def;
}

function parseRoutines(raw: unknown, problems: Problems): Map<string, Routine> {
  const routines = new Map<string, Routine>();
  if (Array.isArray(raw)) {
    routines.set('main', { name: 'main', at: problems.locate([]), params: [], steps: parseSteps(raw, [], problems) });
    return routines;
  }
  const top = asMap(raw, [], problems, 'a workflow (a map of subworkflows, or a list of steps)') ?? {};
  if (!('main' in top)) problems.add([], `a workflow needs a 'main' subworkflow`);
  for (const [name, body] of Object.entries(top)) routines.set(name, parseRoutine(name, body, [name], problems));
  const mainParams = routines.get('main')?.params ?? [];
  if (mainParams.length > 1)
    problems.add(['main', 'params'], `'main' takes at most one parameter (the execution argument)`);
  return routines;
}

function parseRoutine(name: string, raw: unknown, path: PathSeg[], problems: Problems): Routine {
  const body = asMap(raw, path, problems, `subworkflow '${name}'`) ?? {};
  checkKeys(body, ['params', 'steps'], path, problems, `subworkflow '${name}'`);
  if (!('steps' in body)) problems.add(path, `subworkflow '${name}' needs 'steps'`);
  const params = 'params' in body ? parseParams(body.params, [...path, 'params'], problems) : [];
  return { name, at: problems.locate(path), params, steps: parseSteps(body.steps ?? [], [...path, 'steps'], problems) };
}

function parseParams(raw: unknown, path: PathSeg[], problems: Problems): Param[] {
  const items = asList(raw, path, problems, `'params'`) ?? [];
  return items.flatMap((item, i): Param[] => {
    if (typeof item === 'string') return [{ name: item }];
    if (isRawMap(item) && Object.keys(item).length === 1) {
      const [name, value] = Object.entries(item)[0]!;
      return [{ name, default: toValue(value) }];
    }
    problems.add([...path, i], `a parameter is a name, or a one-key map 'name: default'`);
    return [];
  });
}
