/**
 * `call` steps. A target is, in this order: a subworkflow of this workflow, `http.*`,
 * `googleapis.<service>.<version>.<method>` (handed to the injected connector handler, which
 * waits on long-running operations as the real connectors do), or a standard-library function.
 */
import { WorkflowError } from '../errors.js';
import { bindNamed, lookupFunction } from '../stdlib/index.js';
import type { Step } from '../syntax/model.js';
import { isMap, toValue, typeOf, type Value, type ValueMap } from '../values.js';
import type { StepType } from './history.js';
import { httpCall } from './http.js';
import { runBlock } from './interpreter.js';
import { ExecutionCancelled, stdContext, type Frame } from './run.js';
import { Scope } from './scope.js';
import { assign, evaluateTemplate } from './values.js';

const HTTP_TARGET = /^http\.(get|post|put|patch|delete|request)$/;
const CONNECTOR_TARGET = /^googleapis\./;

export async function runCall(step: Extract<Step, { kind: 'call' }>, frame: Frame): Promise<void> {
  const args = step.args ? evaluateTemplate(step.args, frame) : {};
  if (!isMap(args))
    throw WorkflowError.of('TypeError', `'args' of '${step.target}' must be a map, got '${typeOf(args)}'`);
  const result = await callTarget(step.target, args, frame);
  if (step.result) assign(step.result, result, frame);
}

export function callStepType(target: string, frame: Frame): StepType {
  if (frame.run.def.routines.has(target)) return 'STEP_SUBWORKFLOW_CALL';
  if (CONNECTOR_TARGET.test(target)) return 'STEP_CONNECTOR_CALL';
  return 'STEP_STD_LIB_CALL';
}

async function callTarget(target: string, args: ValueMap, frame: Frame): Promise<Value> {
  if (frame.run.def.routines.has(target)) return callRoutine(target, args, frame);
  const http = HTTP_TARGET.exec(target);
  if (http) return httpCall(http[1]!, args, frame);
  if (CONNECTOR_TARGET.test(target)) return callConnector(target, args, frame);
  const f = lookupFunction(target);
  if (f) return f.run(bindNamed(target, f, args), stdContext(frame));
  throw WorkflowError.of('SystemError', `unknown call target '${target}'`);
}

/** Runs a subworkflow with named args (a `call` step) or positional ones (a retry predicate). */
export async function callRoutine(name: string, args: ValueMap | Value[], frame: Frame): Promise<Value> {
  const routine = frame.run.def.routines.get(name)!;
  if (frame.depth >= frame.run.limits.maxCallDepth) {
    throw WorkflowError.of(
      'RecursionError',
      `maximum call depth of ${frame.run.limits.maxCallDepth} exceeded calling '${name}'`,
    );
  }
  const scope = new Scope();
  bindParams(routine.params, args, name).forEach(([k, v]) => scope.declare(k, v));
  const flow = await runBlock(routine.steps, {
    run: frame.run,
    routine: name,
    scope,
    depth: frame.depth + 1,
    step: '',
  });
  if (flow.kind === 'return') return flow.value;
  if (flow.kind === 'normal' || flow.kind === 'end') return null;
  throw WorkflowError.of('SystemError', `'${name}' left its steps with an unresolved '${flow.kind}'`);
}

function bindParams(
  params: readonly { name: string; default?: Value }[],
  args: ValueMap | Value[],
  routine: string,
): [string, Value][] {
  const named: ValueMap = Array.isArray(args)
    ? Object.fromEntries(params.slice(0, args.length).map((p, i) => [p.name, args[i]!]))
    : args;
  const unknown = Object.keys(named).filter((k) => !params.some((p) => p.name === k));
  if (unknown.length) throw WorkflowError.of('TypeError', `'${routine}' has no parameter(s) ${unknown.join(', ')}`);
  return params.map((p) => {
    if (Object.prototype.hasOwnProperty.call(named, p.name)) return [p.name, named[p.name]!];
    if (p.default !== undefined) return [p.name, p.default];
    throw WorkflowError.of('TypeError', `'${routine}' needs parameter '${p.name}'`);
  });
}

async function callConnector(name: string, args: ValueMap, frame: Frame): Promise<Value> {
  const handler = frame.run.connector;
  if (!handler)
    throw WorkflowError.of(
      'SystemError',
      `no connector handler is configured for the local engine, so '${name}' cannot run`,
    );
  try {
    return toValue(await handler(name, args, frame.run.signal));
  } catch (err) {
    throw connectorError(err, name);
  }
}

/** Errors carrying an HTTP status become HttpError, as a failing Google API call does in a connector. */
function connectorError(err: unknown, name: string): Error {
  if (err instanceof WorkflowError || err instanceof ExecutionCancelled) return err;
  const e = err as { code?: unknown; message?: unknown; status?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.code === 'number' && e.code >= 400 && e.code <= 599) {
    const status = typeof e.status === 'string' ? e.status : undefined;
    return WorkflowError.http(e.code, { error: { code: e.code, message, ...(status ? { status } : {}) } });
  }
  return WorkflowError.of('ConnectionError', `${name}: ${message}`);
}
