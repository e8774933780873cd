/**
 * `switch`, `for` and `parallel`. Parallel branches really interleave (they are concurrent
 * promises, bounded by `concurrency_limit`), which is enough to surface ordering assumptions
 * and missing `shared` declarations locally.
 */
import { WorkflowError } from '../errors.js';
import type { Condition, ForLoop, Step } from '../syntax/model.js';
import { clone, typeOf, type Value } from '../values.js';
import { flowOfNext, NORMAL, type Flow } from './flow.js';
import { runBlock } from './interpreter.js';
import type { Frame } from './run.js';
import { Scope } from './scope.js';
import { assign, evaluateTemplate } from './values.js';

export async function runSwitch(step: Extract<Step, { kind: 'switch' }>, frame: Frame): Promise<Flow> {
  for (const condition of step.conditions) {
    const test = evaluateTemplate(condition.condition, frame);
    if (typeof test !== 'boolean') {
      throw WorkflowError.of('TypeError', `switch condition must be a boolean, got '${typeOf(test)}'`);
    }
    if (test) return runCondition(condition, frame);
  }
  return NORMAL;
}

async function runCondition(c: Condition, frame: Frame): Promise<Flow> {
  for (const a of c.assign ?? []) assign(a.target, evaluateTemplate(a.value, frame), frame);
  if (c.raise) throw new WorkflowError(evaluateTemplate(c.raise, frame));
  if (c.return) return { kind: 'return', value: evaluateTemplate(c.return, frame) };
  const flow = c.steps ? await runBlock(c.steps, frame) : NORMAL;
  return flow.kind === 'normal' && c.next !== undefined ? flowOfNext(c.next) : flow;
}

/** The values a loop visits: `in` a list, or `range: [from, to]` inclusive, step 1. */
function loopItems(loop: ForLoop, frame: Frame): Value[] {
  if (loop.in) {
    const items = evaluateTemplate(loop.in, frame);
    if (!Array.isArray(items)) throw WorkflowError.of('TypeError', `'for.in' must be a list, got '${typeOf(items)}'`);
    return items;
  }
  const range = evaluateTemplate(loop.range!, frame);
  if (!Array.isArray(range) || range.length !== 2 || typeof range[0] !== 'number' || typeof range[1] !== 'number') {
    throw WorkflowError.of('TypeError', `'for.range' must be a list of two numbers [from, to]`);
  }
  const out: number[] = [];
  for (let v = range[0]; v <= range[1]; v++) out.push(v);
  return out;
}

function iterationScope(loop: ForLoop, scope: Scope, item: Value, index: number): void {
  scope.declare(loop.value, clone(item));
  if (loop.index) scope.declare(loop.index, index);
}

export async function runFor(loop: ForLoop, frame: Frame): Promise<Flow> {
  const items = loopItems(loop, frame);
  const scope = new Scope(frame.scope);
  const inner: Frame = { ...frame, scope };
  for (const [index, item] of items.entries()) {
    iterationScope(loop, scope, item, index);
    const flow = await runBlock(loop.steps, inner);
    frame.step = inner.step;
    if (flow.kind === 'break') break;
    if (flow.kind === 'normal' || flow.kind === 'continue') continue;
    return flow;
  }
  return NORMAL;
}

interface Branch {
  id: string;
  run: (frame: Frame) => Promise<Flow>;
  prepare?: (scope: Scope) => void;
}

export async function runParallel(step: Extract<Step, { kind: 'parallel' }>, frame: Frame): Promise<Flow> {
  const { parallel } = step;
  for (const name of parallel.shared) {
    if (!frame.scope.has(name))
      throw WorkflowError.of(
        'KeyError',
        `shared variable '${name}' must be assigned before the parallel step '${step.name}'`,
      );
  }
  const shared = new Set(parallel.shared);
  const branches: Branch[] = parallel.for
    ? loopItems(parallel.for, frame).map((item, i) => ({
        id: String(i),
        prepare: (s) => iterationScope(parallel.for!, s, item, i),
        run: (f) => runBlock(parallel.for!.steps, f),
      }))
    : (parallel.branches ?? []).map((b) => ({ id: b.name, run: (f) => runBlock(b.steps, f) }));
  const failures = await runBounded(branches, parallel.concurrencyLimit ?? branches.length, (b) =>
    runBranch(b, shared, frame),
  );
  if (failures.length) throw unhandledBranchError(failures);
  return NORMAL;
}

async function runBranch(branch: Branch, shared: ReadonlySet<string>, frame: Frame): Promise<void> {
  const scope = new Scope(frame.scope, shared);
  branch.prepare?.(scope);
  const flow = await branch.run({ ...frame, scope });
  if (flow.kind === 'jump')
    throw WorkflowError.of('SystemError', `branch '${branch.id}' jumped to '${flow.target}' outside the parallel step`);
}

type Failure = { id: string; error: Value };

/** Runs tasks with at most `limit` in flight; collects errors instead of stopping (continueAll). */
async function runBounded(branches: Branch[], limit: number, task: (b: Branch) => Promise<void>): Promise<Failure[]> {
  const failures: Failure[] = [];
  let next = 0;
  const worker = async () => {
    while (next < branches.length) {
      const branch = branches[next++]!;
      try {
        await task(branch);
      } catch (err) {
        if (!(err instanceof WorkflowError)) throw err;
        failures.push({ id: branch.id, error: err.value });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, branches.length)) }, worker));
  return failures;
}

function unhandledBranchError(failures: Failure[]): WorkflowError {
  return WorkflowError.of(
    'UnhandledBranchError',
    'One or more branches or iterations encountered an unhandled runtime error',
    {
      branches: failures.map((f) => ({ id: f.id, error: f.error })),
      truncated: false,
    },
  );
}
