/** Shared helpers for the engine tests: run YAML with a fake clock and stub handlers that fail loudly. */
import {
  FakeClock,
  parseWorkflow,
  runWorkflow,
  type ExecutionOutcome,
  type RunDeps,
  type Value,
} from '../../../emulator/workflows/index.js';

export async function run(
  source: string,
  argument: Value = null,
  deps: RunDeps = {},
): Promise<ExecutionOutcome & { clock: FakeClock }> {
  const clock = (deps.clock as FakeClock | undefined) ?? new FakeClock();
  const outcome = await runWorkflow(parseWorkflow(source), argument, {
    http: async (req) => {
      throw new Error(`unexpected http ${req.method} ${req.url}`);
    },
    connector: async (name) => {
      throw new Error(`unexpected connector ${name}`);
    },
    ...deps,
    clock,
  });
  return { ...outcome, clock };
}

/** Runs and expects success; on failure the test shows the execution error. */
export async function result(source: string, argument: Value = null, deps: RunDeps = {}): Promise<Value> {
  const outcome = await run(source, argument, deps);
  if (outcome.state !== 'SUCCEEDED') throw new Error(`run ${outcome.state}: ${outcome.error?.context ?? ''}`);
  return outcome.result;
}

/** Evaluates one expression through a one-step workflow. */
export async function expr(expression: string, vars: Record<string, Value> = {}): Promise<ExecutionOutcome> {
  const assignments: Record<string, unknown>[] = Object.keys(vars).map((k) => ({ [k]: `\${vars.${k}}` }));
  assignments.push({ _: 0 });
  const source = JSON.stringify({
    main: { params: ['vars'], steps: [{ init: { assign: assignments } }, { out: { return: `\${${expression}}` } }] },
  });
  return run(source, vars);
}

export async function value(expression: string, vars: Record<string, Value> = {}): Promise<Value> {
  const outcome = await expr(expression, vars);
  if (outcome.state !== 'SUCCEEDED') throw new Error(`${expression}: ${outcome.error?.context ?? outcome.state}`);
  return outcome.result;
}

/** The error value a failing expression raises. */
export async function raised(
  expression: string,
  vars: Record<string, Value> = {},
): Promise<{ message?: string; tags?: string[] }> {
  const outcome = await expr(expression, vars);
  if (outcome.state !== 'FAILED') throw new Error(`${expression} did not fail: ${JSON.stringify(outcome.result)}`);
  return outcome.errorValue as { message?: string; tags?: string[] };
}
