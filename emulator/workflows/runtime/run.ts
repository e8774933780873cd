/**
 * The state of one execution (`Run`) and of one routine invocation inside it (`Frame`), plus
 * the bridges from a frame to expressions and to the standard library's injected context.
 */
import type { Clock } from '../clock.js';
import { WorkflowError } from '../errors.js';
import { evaluate, type EvalEnv } from '../expression/evaluate.js';
import { bindPositional, lookupFunction, type StdContext } from '../stdlib/index.js';
import type { WorkflowDefinition } from '../syntax/model.js';
import type { Value } from '../values.js';
import type { ConnectorHandler, HttpHandler, LogEntry, Limits } from './deps.js';
import type { History } from './history.js';
import type { Scope } from './scope.js';

/** Thrown through the interpreter when the run is cancelled; `try` never catches it. */
export class ExecutionCancelled extends Error {
  override readonly name = 'ExecutionCancelled';
  constructor() {
    super('execution was cancelled');
  }
}

export interface Run {
  def: WorkflowDefinition;
  http?: HttpHandler;
  connector?: ConnectorHandler;
  clock: Clock;
  env: Readonly<Record<string, string>>;
  uuid: () => string;
  emit: (entry: LogEntry) => void;
  history: History;
  signal: AbortSignal;
  limits: Limits;
  stepCount: number;
}

export interface Frame {
  run: Run;
  routine: string;
  scope: Scope;
  /** 1 for `main`, +1 per nested subworkflow call. */
  depth: number;
  /** The step being executed, for logs. */
  step: string;
}

/** Counts a step and stops a cancelled or runaway run before it does anything. */
export function enterStep(frame: Frame, step: string): void {
  const { run } = frame;
  if (run.signal.aborted) throw new ExecutionCancelled();
  run.stepCount += 1;
  if (run.stepCount > run.limits.maxSteps) {
    throw WorkflowError.of('ResourceLimitError', `execution exceeded the limit of ${run.limits.maxSteps} steps`);
  }
  frame.step = step;
}

export function sleep(run: Run, ms: number): Promise<void> {
  return run.clock.sleep(ms, run.signal).catch((err: unknown) => {
    throw run.signal.aborted ? new ExecutionCancelled() : err;
  });
}

export function stdContext(frame: Frame): StdContext {
  const { run } = frame;
  return {
    env: run.env,
    nowMs: () => run.clock.now(),
    sleep: (ms) => sleep(run, ms),
    uuid: run.uuid,
    log: (severity, payload) =>
      run.emit({
        time: new Date(run.clock.now()).toISOString(),
        severity,
        payload,
        step: frame.step,
        routine: frame.routine,
      }),
  };
}

export function evalEnv(frame: Frame): EvalEnv {
  return {
    lookup: (name) => frame.scope.lookup(name),
    call: (name, args) => callPure(name, args, frame),
  };
}

function callPure(name: string, args: Value[], frame: Frame): Value {
  const f = lookupFunction(name);
  if (!f || f.blocking) throw WorkflowError.of('TypeError', `'${name}' cannot be called in an expression`);
  const result = f.run(bindPositional(name, f, args), stdContext(frame));
  if (result instanceof Promise) throw WorkflowError.of('TypeError', `'${name}' cannot be called in an expression`);
  return result;
}

export function evaluateIn(frame: Frame, expr: Parameters<typeof evaluate>[0]): Value {
  return evaluate(expr, evalEnv(frame));
}
