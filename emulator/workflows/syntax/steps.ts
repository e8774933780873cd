/**
 * Parses steps. A step's body holds one primary key (`assign`, `call`, `switch`, ...) plus the
 * keys that key allows; any other key is reported with the step's name, never ignored.
 */
import { assertNever } from '../../errors.js';
import type { Assignment, Condition, Step, StepKind } from './model.js';
import { parseFor, parseParallel } from './loops.js';
import { parseExcept, parseRetry } from './retry.js';
import { asList, asMap, checkKeys, singleEntry, type RawMap } from './shapes.js';
import { formatPath, type PathSeg, type Problems } from './source.js';
import { compileTarget, compileTemplate } from './templates.js';

type PrimaryKind = Exclude<StepKind, 'next'>;
const ALLOWED: Record<PrimaryKind, readonly string[]> = {
  assign: ['assign', 'next'],
  call: ['call', 'args', 'result', 'next'],
  switch: ['switch', 'next'],
  for: ['for', 'next'],
  parallel: ['parallel', 'next'],
  try: ['try', 'retry', 'except', 'next'],
  raise: ['raise'],
  return: ['return'],
  steps: ['steps', 'next'],
};
const PRIMARY = Object.keys(ALLOWED) as PrimaryKind[];

export function parseSteps(raw: unknown, path: PathSeg[], problems: Problems): Step[] {
  const items = asList(raw, path, problems, 'steps');
  if (!items) return [];
  return items.flatMap((item, i) => {
    const entry = singleEntry(item, [...path, i], problems, 'step');
    if (!entry) return [];
    const step = parseStep(entry[0], entry[1], [...path, i, entry[0]], problems);
    return step ? [step] : [];
  });
}

export function parseStep(name: string, raw: unknown, path: PathSeg[], problems: Problems): Step | undefined {
  const body = asMap(raw, path, problems, `step '${name}'`);
  if (!body) return undefined;
  const kind = primaryKind(name, body, path, problems);
  if (!kind) return undefined;
  // Point at the `- name:` line, where a reader looks for the step.
  const at = { ...problems.locate(path.slice(0, -1)), path: formatPath(path) };
  const common = { name, at, ...nextOf(body, path, problems) };
  if (kind === 'next') return { ...common, kind };
  checkKeys(body, ALLOWED[kind], path, problems, `a '${kind}' step (step '${name}')`);
  return { ...common, ...parseBody(kind, name, body, path, problems) } as Step;
}

function primaryKind(name: string, body: RawMap, path: PathSeg[], problems: Problems): StepKind | undefined {
  const found = PRIMARY.filter((k) => k in body);
  if (found.length > 1)
    problems.add(path, `step '${name}' combines ${found.map((k) => `'${k}'`).join(' and ')}; a step does one thing`);
  if (found.length >= 1) return found[0];
  if ('next' in body && Object.keys(body).length === 1) return 'next';
  problems.add(
    path,
    `step '${name}' has no supported step type (keys: ${Object.keys(body).join(', ') || 'none'}; supported: ${PRIMARY.join(', ')}, next)`,
  );
  return undefined;
}

function nextOf(body: RawMap, path: PathSeg[], problems: Problems): { next?: string } {
  if (!('next' in body)) return {};
  if (typeof body.next === 'string') return { next: body.next };
  problems.add([...path, 'next'], `'next' must be a step name, 'end', 'break' or 'continue'`);
  return {};
}

function parseBody(kind: PrimaryKind, name: string, body: RawMap, path: PathSeg[], problems: Problems): Partial<Step> {
  const at = (key: string) => [...path, key];
  switch (kind) {
    case 'assign':
      return { kind, assignments: parseAssignments(body.assign, at('assign'), problems) };
    case 'call':
      return parseCall(body, path, problems);
    case 'switch':
      return { kind, conditions: parseConditions(body.switch, at('switch'), problems) };
    case 'for':
      return { kind, loop: parseFor(body.for, at('for'), problems) };
    case 'parallel':
      return { kind, parallel: parseParallel(body.parallel, at('parallel'), problems) };
    case 'try':
      return parseTry(name, body, path, problems);
    case 'raise':
    case 'return':
      return { kind, value: compileTemplate(body[kind], at(kind), problems) };
    case 'steps':
      return { kind, steps: parseSteps(body.steps, at('steps'), problems) };
    default:
      return assertNever(kind);
  }
}

export function parseAssignments(raw: unknown, path: PathSeg[], problems: Problems): Assignment[] {
  const items = asList(raw, path, problems, 'assign') ?? [];
  if (items.length > 50) problems.add(path, `an assign step holds at most 50 assignments, found ${items.length}`);
  return items.flatMap((item, i) => {
    const entry = singleEntry(item, [...path, i], problems, 'assignment');
    const target = entry && compileTarget(entry[0], [...path, i], problems);
    return target ? [{ target, value: compileTemplate(entry[1], [...path, i, entry[0]], problems) }] : [];
  });
}

function parseCall(body: RawMap, path: PathSeg[], problems: Problems): Partial<Step> {
  if (typeof body.call !== 'string')
    problems.add([...path, 'call'], `'call' must name a function, subworkflow or connector`);
  if ('args' in body) asMap(body.args, [...path, 'args'], problems, 'args');
  const result =
    typeof body.result === 'string' ? compileTarget(body.result, [...path, 'result'], problems) : undefined;
  if ('result' in body && typeof body.result !== 'string')
    problems.add([...path, 'result'], `'result' must be a variable name`);
  return {
    kind: 'call',
    target: String(body.call),
    ...('args' in body ? { args: compileTemplate(body.args, [...path, 'args'], problems) } : {}),
    ...(result ? { result } : {}),
  };
}

function parseTry(name: string, body: RawMap, path: PathSeg[], problems: Problems): Partial<Step> {
  const tryBody = parseStep(name, body.try, [...path, 'try'], problems);
  if (tryBody?.next !== undefined)
    problems.add([...path, 'try', 'next'], `'next' belongs on the step '${name}', not inside its 'try'`);
  const out: Partial<Step> & RawMap = { kind: 'try', body: tryBody };
  if ('retry' in body) out.retry = parseRetry(body.retry, [...path, 'retry'], problems);
  if ('except' in body) out.except = parseExcept(body.except, [...path, 'except'], problems);
  return out;
}

const CONDITION_KEYS = ['condition', 'next', 'steps', 'assign', 'return', 'raise'] as const;

function parseConditions(raw: unknown, path: PathSeg[], problems: Problems): Condition[] {
  const items = asList(raw, path, problems, 'switch') ?? [];
  if (items.length === 0) problems.add(path, `'switch' needs at least one condition`);
  return items.flatMap((item, i) => {
    const cond = asMap(item, [...path, i], problems, 'a switch condition');
    return cond ? [parseCondition(cond, [...path, i], problems)] : [];
  });
}

function parseCondition(raw: RawMap, path: PathSeg[], problems: Problems): Condition {
  checkKeys(raw, CONDITION_KEYS, path, problems, 'a switch condition');
  if (!('condition' in raw)) problems.add(path, `a switch entry needs 'condition'`);
  const exits = ['next', 'return', 'raise'].filter((k) => k in raw);
  if (exits.length > 1) problems.add(path, `a switch entry can have only one of ${exits.join(', ')}`);
  if ('next' in raw && typeof raw.next !== 'string') problems.add([...path, 'next'], `'next' must be a step name`);
  return {
    at: problems.locate(path),
    condition: compileTemplate(raw.condition, [...path, 'condition'], problems),
    ...(typeof raw.next === 'string' ? { next: raw.next } : {}),
    ...('steps' in raw ? { steps: parseSteps(raw.steps, [...path, 'steps'], problems) } : {}),
    ...('assign' in raw ? { assign: parseAssignments(raw.assign, [...path, 'assign'], problems) } : {}),
    ...('return' in raw ? { return: compileTemplate(raw.return, [...path, 'return'], problems) } : {}),
    ...('raise' in raw ? { raise: compileTemplate(raw.raise, [...path, 'raise'], problems) } : {}),
  };
}
