/**
 * The step interpreter: runs a block of steps, follows `next` jumps within the block (or hands
 * them to the enclosing block), records each step in the history, and stamps uncaught errors
 * with the step and routine they left, for the execution's `error.context` and `stackTrace`.
 */
import { assertNever } from '../../errors.js';
import { WorkflowError } from '../errors.js';
import type { Step } from '../syntax/model.js';
import { runCall, callStepType } from './calls.js';
import { runFor, runParallel, runSwitch } from './control.js';
import { flowOfNext, NORMAL, type Flow } from './flow.js';
import type { StepType } from './history.js';
import { enterStep, ExecutionCancelled, type Frame } from './run.js';
import { runTry } from './try.js';
import { assign, evaluateTemplate } from './values.js';

export async function runBlock(steps: readonly Step[], frame: Frame): Promise<Flow> {
  let i = 0;
  while (i < steps.length) {
    const flow = await runStep(steps[i]!, frame);
    if (flow.kind === 'normal') {
      i++;
      continue;
    }
    const target = flow.kind === 'jump' ? steps.findIndex((s) => s.name === flow.target) : -1;
    if (target < 0) return flow;
    i = target;
  }
  return NORMAL;
}

export async function runStep(step: Step, frame: Frame): Promise<Flow> {
  enterStep(frame, step.name);
  const { history } = frame.run;
  const entry = history.enter(step, frame.routine, stepType(step, frame));
  try {
    const flow = await dispatch(step, frame);
    history.succeed(entry);
    return flow.kind === 'normal' && step.next !== undefined ? flowOfNext(step.next) : flow;
  } catch (err) {
    const error = asWorkflowError(err);
    error.addFrame({
      step: step.name,
      routine: frame.routine,
      ...(step.at.line === undefined ? {} : { line: step.at.line, column: step.at.column! }),
    });
    history.fail(entry, error.value);
    throw error;
  }
}

/** Engine faults become SystemError values so the run still ends with a readable error. */
function asWorkflowError(err: unknown): WorkflowError {
  if (err instanceof WorkflowError) return err;
  if (err instanceof ExecutionCancelled) throw err;
  return WorkflowError.of('SystemError', err instanceof Error ? err.message : String(err));
}

/** Runs what a step does, without its own history entry (a `try` runs its body this way). */
export function dispatch(step: Step, frame: Frame): Promise<Flow> | Flow {
  switch (step.kind) {
    case 'assign':
      for (const a of step.assignments) assign(a.target, evaluateTemplate(a.value, frame), frame);
      return NORMAL;
    case 'call':
      return runCall(step, frame).then(() => NORMAL);
    case 'switch':
      return runSwitch(step, frame);
    case 'for':
      return runFor(step.loop, frame);
    case 'parallel':
      return runParallel(step, frame);
    case 'try':
      return runTry(step, frame);
    case 'raise':
      throw new WorkflowError(evaluateTemplate(step.value, frame));
    case 'return':
      return { kind: 'return', value: evaluateTemplate(step.value, frame) };
    case 'steps':
      return runBlock(step.steps, frame);
    case 'next':
      return NORMAL;
    default:
      return assertNever(step);
  }
}

function stepType(step: Step, frame: Frame): StepType {
  switch (step.kind) {
    case 'assign':
      return 'STEP_ASSIGN';
    case 'call':
      return callStepType(step.target, frame);
    case 'switch':
      return 'STEP_SWITCH';
    case 'for':
      return 'STEP_FOR';
    case 'parallel':
      return step.parallel.for ? 'STEP_PARALLEL_FOR' : 'STEP_PARALLEL_BRANCH';
    case 'try':
      return 'STEP_TRY_RETRY_EXCEPT';
    case 'raise':
      return 'STEP_RAISE';
    case 'return':
      return 'STEP_RETURN';
    case 'steps':
      return 'STEP_STEPS';
    case 'next':
      return 'STEP_GOTO';
    default:
      return assertNever(step);
  }
}
