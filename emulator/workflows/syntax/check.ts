/**
 * Whole-workflow checks that need more than one step in view: `next` targets, loop keywords,
 * step-name uniqueness, and every `call` target (subworkflow, `http.*`, `googleapis.*`, standard
 * library), so an unsupported call is refused before the run, not found in the middle of it.
 */
import { lookupFunction, paramNames } from '../stdlib/index.js';
import type { Location, Routine, Step, Template, WorkflowDefinition } from './model.js';
import type { Problems } from './source.js';
import { nestedBlocks } from './walk.js';

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'request'] as const;
const HTTP_ARGS = ['url', 'headers', 'body', 'query', 'auth', 'timeout', 'private_service_name', 'ca_certificate'];

interface BlockContext {
  routine: Routine;
  /** Step names a `next` may name from here: this block's and its enclosing blocks' up to a boundary. */
  visible: ReadonlySet<string>;
  loop: 'none' | 'for' | 'parallel-for';
  inParallel: boolean;
}

export function checkReferences(def: WorkflowDefinition, problems: Problems): void {
  for (const routine of def.routines.values()) {
    checkUniqueNames(routine, problems);
    checkBlock(routine.steps, { routine, visible: new Set(), loop: 'none', inParallel: false }, def, problems);
  }
}

function add(problems: Problems, at: Location, message: string): void {
  problems.list.push({ ...at, message });
}

function checkUniqueNames(routine: Routine, problems: Problems): void {
  const seen = new Set<string>();
  const visit = (steps: Step[]) => {
    for (const step of steps) {
      if (seen.has(step.name))
        add(
          problems,
          step.at,
          `step name '${step.name}' is used twice in '${routine.name}'; step names must be unique`,
        );
      seen.add(step.name);
      for (const block of nestedBlocks(step)) visit(block.steps);
    }
  };
  visit(routine.steps);
}

function checkBlock(steps: Step[], outer: BlockContext, def: WorkflowDefinition, problems: Problems): void {
  const ctx: BlockContext = { ...outer, visible: new Set([...outer.visible, ...steps.map((s) => s.name)]) };
  for (const step of steps) {
    checkStep(step, ctx, def, problems);
    for (const block of nestedBlocks(step)) {
      const inner: BlockContext = block.boundary
        ? {
            ...ctx,
            visible: new Set(),
            loop: block.boundary === 'branch' ? 'none' : block.boundary,
            inParallel: ctx.inParallel || block.boundary !== 'for',
          }
        : ctx;
      checkBlock(block.steps, inner, def, problems);
    }
  }
}

function checkStep(step: Step, ctx: BlockContext, def: WorkflowDefinition, problems: Problems): void {
  if (step.next !== undefined) checkNext(step.next, step.at, ctx, problems);
  if (step.kind === 'switch')
    for (const c of step.conditions) if (c.next !== undefined) checkNext(c.next, c.at, ctx, problems);
  const returns = step.kind === 'return' || (step.kind === 'switch' && step.conditions.some((c) => c.return));
  if (returns && ctx.inParallel)
    add(problems, step.at, `step '${step.name}': 'return' is not allowed inside a parallel step`);
  if (step.kind === 'call') checkCall(step, def, problems);
  if (step.kind === 'try') checkStep(step.body, ctx, def, problems);
  if (step.kind === 'try' && step.retry?.predicate.kind === 'subworkflow') {
    const name = step.retry.predicate.name;
    if (!def.routines.has(name))
      add(
        problems,
        step.at,
        `step '${step.name}': retry predicate '${name}' is neither a built-in predicate nor a subworkflow`,
      );
  }
}

function checkNext(target: string, at: Location, ctx: BlockContext, problems: Problems): void {
  if (target === 'end') return;
  if (target === 'break' || target === 'continue') {
    if (ctx.loop === 'none') add(problems, at, `'next: ${target}' is only allowed inside a 'for' loop`);
    else if (target === 'break' && ctx.loop === 'parallel-for')
      add(problems, at, `'next: break' is not supported inside a parallel 'for'`);
    return;
  }
  if (!ctx.visible.has(target)) {
    add(
      problems,
      at,
      `'next: ${target}' names no step reachable from here in '${ctx.routine.name}' (a jump may go to this block or an enclosing one, not into another block, loop or branch)`,
    );
  }
}

function checkCall(step: Extract<Step, { kind: 'call' }>, def: WorkflowDefinition, problems: Problems): void {
  const target = step.target;
  const argKeys = literalKeys(step.args);
  const routine = def.routines.get(target);
  if (routine)
    return checkArgs(
      step,
      argKeys,
      routine.params.map((p) => p.name),
      problems,
      routine.params.filter((p) => p.default === undefined).map((p) => p.name),
    );
  const method = /^http\.(\w+)$/.exec(target)?.[1];
  if (method !== undefined) return checkHttp(step, method, argKeys, problems);
  if (/^googleapis\.[a-z0-9_]+\.[a-z0-9_]+\.[\w.]+$/i.test(target)) return;
  const f = lookupFunction(target);
  if (f) return checkArgs(step, argKeys, paramNames(f), problems, []);
  const hint = target.startsWith('events.') ? ' (callbacks and events are not supported by the local engine)' : '';
  add(
    problems,
    step.at,
    `step '${step.name}': unknown call target '${target}'${hint}; expected a subworkflow, http.*, googleapis.<service>.<version>.<method>, or a standard-library function`,
  );
}

function checkHttp(
  step: Extract<Step, { kind: 'call' }>,
  method: string,
  argKeys: string[] | undefined,
  problems: Problems,
): void {
  if (!(HTTP_METHODS as readonly string[]).includes(method)) {
    add(
      problems,
      step.at,
      `step '${step.name}': 'http.${method}' is not an HTTP call (supported: ${HTTP_METHODS.map((m) => `http.${m}`).join(', ')})`,
    );
    return;
  }
  const allowed =
    method === 'request'
      ? [...HTTP_ARGS, 'method']
      : method === 'get'
        ? HTTP_ARGS.filter((a) => a !== 'body')
        : HTTP_ARGS;
  checkArgs(step, argKeys, allowed, problems, method === 'request' ? ['url', 'method'] : ['url']);
}

function checkArgs(
  step: Extract<Step, { kind: 'call' }>,
  argKeys: string[] | undefined,
  allowed: string[],
  problems: Problems,
  required: string[],
): void {
  if (argKeys === undefined) return;
  for (const key of argKeys)
    if (!allowed.includes(key))
      add(
        problems,
        step.at,
        `step '${step.name}': '${step.target}' has no argument '${key}' (it takes: ${allowed.join(', ') || 'none'})`,
      );
  for (const key of required)
    if (!argKeys.includes(key)) add(problems, step.at, `step '${step.name}': '${step.target}' needs argument '${key}'`);
}

/** Keys of a literal `args:` map; undefined when `args` is one expression (checked at run time). */
function literalKeys(args: Template | undefined): string[] | undefined {
  if (args === undefined) return [];
  return args.kind === 'map' ? args.entries.map(([k]) => k) : undefined;
}
