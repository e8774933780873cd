/**
 * Step-level history, shaped like the Executions API's step entries
 * (`executions.stepEntries`): each step a run enters gets an entry that ends SUCCEEDED or
 * FAILED with the error payload, so a failed local run reads like the console's step view.
 */
import type { Clock } from '../clock.js';
import { toJson, type Value } from '../values.js';
import type { Step } from '../syntax/model.js';

export const STEP_TYPES = [
  'STEP_ASSIGN',
  'STEP_STD_LIB_CALL',
  'STEP_CONNECTOR_CALL',
  'STEP_SUBWORKFLOW_CALL',
  'STEP_CALL',
  'STEP_SWITCH',
  'STEP_FOR',
  'STEP_PARALLEL_BRANCH',
  'STEP_PARALLEL_FOR',
  'STEP_TRY_RETRY_EXCEPT',
  'STEP_RAISE',
  'STEP_RETURN',
  'STEP_STEPS',
  'STEP_GOTO',
] as const;
export type StepType = (typeof STEP_TYPES)[number];

export const STEP_STATES = ['STATE_IN_PROGRESS', 'STATE_SUCCEEDED', 'STATE_FAILED'] as const;
export type StepState = (typeof STEP_STATES)[number];

export interface StepEntry {
  entryId: number;
  step: string;
  routine: string;
  stepType: StepType;
  state: StepState;
  createTime: string;
  updateTime: string;
  /** Source line of the step, when known. */
  line?: number;
  exception?: { payload: string };
}

export class History {
  readonly entries: StepEntry[] = [];

  constructor(private readonly clock: Clock) {}

  enter(step: Step, routine: string, stepType: StepType): StepEntry {
    const now = new Date(this.clock.now()).toISOString();
    const entry: StepEntry = {
      entryId: this.entries.length + 1,
      step: step.name,
      routine,
      stepType,
      state: 'STATE_IN_PROGRESS',
      createTime: now,
      updateTime: now,
    };
    if (step.at.line !== undefined) entry.line = step.at.line;
    this.entries.push(entry);
    return entry;
  }

  succeed(entry: StepEntry): void {
    entry.state = 'STATE_SUCCEEDED';
    entry.updateTime = new Date(this.clock.now()).toISOString();
  }

  fail(entry: StepEntry, error: Value): void {
    entry.state = 'STATE_FAILED';
    entry.updateTime = new Date(this.clock.now()).toISOString();
    entry.exception = { payload: toJson(error) };
  }
}
