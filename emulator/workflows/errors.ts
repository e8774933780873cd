/**
 * Errors raised inside a workflow are plain values, exactly as Workflows hands them to an
 * `except` block: `{message, tags: [...]}` maps (plus `code`, `body`, `headers` for HttpError),
 * or whatever a `raise` step raised (a string, a map). `WorkflowError` carries such a value
 * through the JS stack; `WorkflowSyntaxError` is the deploy-time rejection listing every problem.
 */
import { isMap, type Value, type ValueMap } from './values.js';

export const ERROR_TAGS = [
  'HttpError',
  'ConnectionError',
  'ConnectionFailedError',
  'TimeoutError',
  'KeyError',
  'TypeError',
  'ValueError',
  'ZeroDivisionError',
  'IndexError',
  'RecursionError',
  'ResourceLimitError',
  'OperationError',
  'SystemError',
  'UnhandledBranchError',
  'AuthError',
] as const;
export type ErrorTag = (typeof ERROR_TAGS)[number];

/** Parent tags Workflows adds, so `"LookupError" in e.tags` catches both lookups. */
const PARENT_TAGS: Partial<Record<ErrorTag, string>> = {
  KeyError: 'LookupError',
  IndexError: 'LookupError',
  ZeroDivisionError: 'ArithmeticError',
};

/** Where in the workflow an uncaught error left its step; filled in on the way up. */
export interface ErrorFrame {
  step: string;
  routine: string;
  line?: number;
  column?: number;
}

/** A value raised inside a workflow, travelling up to the nearest `except`. */
export class WorkflowError extends Error {
  override readonly name = 'WorkflowError';
  /** Innermost frame first, like Workflows' `stackTrace.elements`. */
  readonly frames: ErrorFrame[] = [];

  constructor(readonly value: Value) {
    super(describeErrorValue(value));
  }

  /** A built-in error of the given kind, shaped like Workflows' own. */
  static of(tag: ErrorTag, message: string, extra: ValueMap = {}): WorkflowError {
    const parent = PARENT_TAGS[tag];
    return new WorkflowError({ message, tags: parent ? [tag, parent] : [tag], ...extra });
  }

  /** The error Workflows raises for a non-2xx answer to `http.*` (and connectors' HTTP failures). */
  static http(code: number, body: Value, headers: ValueMap = {}): WorkflowError {
    return WorkflowError.of('HttpError', `HTTP server responded with error code ${code}`, { code, headers, body });
  }

  addFrame(frame: ErrorFrame): void {
    const last = this.frames[this.frames.length - 1];
    if (!last || last.step !== frame.step || last.routine !== frame.routine) this.frames.push(frame);
  }
}

export function describeErrorValue(value: Value): string {
  if (typeof value === 'string') return value;
  if (isMap(value) && typeof value.message === 'string') {
    const tags = value.tags;
    const tag = Array.isArray(tags) && typeof tags[0] === 'string' ? `${tags[0]}: ` : '';
    return `${tag}${value.message}`;
  }
  return JSON.stringify(value);
}

/** One problem found in a workflow's source, with where it is. */
export interface SyntaxProblem {
  /** Human path such as `main.steps[2].get_ranges.call`. */
  path: string;
  line?: number;
  column?: number;
  message: string;
}

/**
 * Thrown by `parseWorkflow` when the source is not a workflow this engine can run. It lists every
 * problem at once, so one deploy attempt shows all of them (Workflows itself stops at the first).
 */
export class WorkflowSyntaxError extends Error {
  override readonly name = 'WorkflowSyntaxError';
  constructor(readonly problems: readonly SyntaxProblem[]) {
    super(
      `Workflow definition is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map(formatProblem).join('\n')}`,
    );
  }
}

export function formatProblem(p: SyntaxProblem): string {
  const where =
    p.line === undefined ? p.path : `${p.path} (line ${p.line}${p.column === undefined ? '' : `, column ${p.column}`})`;
  return `  - ${where}: ${p.message}`;
}

/** An expression that fails to tokenize or parse; `offset` points into the expression text. */
export class ExpressionSyntaxError extends Error {
  override readonly name = 'ExpressionSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}
