/**
 * Runs a parsed workflow once, start to end, and reports the outcome with the error in the
 * Executions API's shape (`payload` JSON, `context` naming the step, `stackTrace.elements`),
 * so tests and the REST layer read a local failure exactly as they would a deployed one.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import { describeErrorValue, WorkflowError } from './errors.js';
import { DEFAULT_LIMITS, type LogEntry, type RunDeps } from './runtime/deps.js';
import { History, type StepEntry } from './runtime/history.js';
import { runBlock } from './runtime/interpreter.js';
import { ExecutionCancelled, type Frame, type Run } from './runtime/run.js';
import { Scope } from './runtime/scope.js';
import type { WorkflowDefinition } from './syntax/model.js';
import { toJson, type Value } from './values.js';

export const OUTCOME_STATES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type OutcomeState = (typeof OUTCOME_STATES)[number];

/** `Execution.error` of the Executions REST API. */
export interface ExecutionError {
  payload: string;
  context: string;
  stackTrace: {
    elements: { step: string; routine: string; position?: { line: number; column: number; length: number } }[];
  };
}

export interface ExecutionOutcome {
  state: OutcomeState;
  /** What `main` returned; null unless SUCCEEDED. */
  result: Value;
  /** The raised value itself (the map or string an `except` would have seen). */
  errorValue?: Value;
  error?: ExecutionError;
  startTime: string;
  endTime: string;
  steps: StepEntry[];
  logs: LogEntry[];
}

export async function runWorkflow(
  def: WorkflowDefinition,
  argument: Value,
  deps: RunDeps & { clock: Clock },
): Promise<ExecutionOutcome> {
  const clock = deps.clock;
  const logs: LogEntry[] = [];
  const run: Run = {
    def,
    ...(deps.http ? { http: deps.http } : {}),
    ...(deps.connector ? { connector: deps.connector } : {}),
    clock,
    env: deps.env ?? {},
    uuid: deps.uuid ?? randomUUID,
    emit: (entry) => {
      logs.push(entry);
      deps.log?.(entry);
    },
    history: deps.history ?? new History(clock),
    signal: deps.signal ?? new AbortController().signal,
    limits: { ...DEFAULT_LIMITS, ...deps.limits },
    stepCount: 0,
  };
  const startTime = new Date(clock.now()).toISOString();
  const finish = (o: Pick<ExecutionOutcome, 'state' | 'result'> & Partial<ExecutionOutcome>): ExecutionOutcome => ({
    ...o,
    startTime,
    endTime: new Date(clock.now()).toISOString(),
    steps: run.history.entries,
    logs,
  });
  try {
    return finish({ state: 'SUCCEEDED', result: await runMain(run, argument) });
  } catch (err) {
    if (err instanceof ExecutionCancelled) return finish({ state: 'CANCELLED', result: null });
    const error = err instanceof WorkflowError ? err : WorkflowError.of('SystemError', String(err));
    return finish({ state: 'FAILED', result: null, errorValue: error.value, error: executionError(error) });
  }
}

async function runMain(run: Run, argument: Value): Promise<Value> {
  const main = run.def.routines.get('main')!;
  const scope = new Scope();
  const param = main.params[0];
  if (param) scope.declare(param.name, argument);
  const frame: Frame = { run, routine: 'main', scope, depth: 1, step: '' };
  const flow = await runBlock(main.steps, frame);
  return flow.kind === 'return' ? flow.value : null;
}

export function executionError(error: WorkflowError): ExecutionError {
  const top = error.frames[0];
  const where = top
    ? `\nin step "${top.step}", routine "${top.routine}"${top.line === undefined ? '' : `, line: ${top.line}`}`
    : '';
  return {
    payload: toJson(error.value),
    context: `RuntimeError: ${JSON.stringify(describeErrorValue(error.value))}${where}`,
    stackTrace: {
      elements: error.frames.map((f) => ({
        step: f.step,
        routine: f.routine,
        ...(f.line === undefined ? {} : { position: { line: f.line, column: f.column ?? 1, length: f.step.length } }),
      })),
    },
  };
}
