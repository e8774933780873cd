/**
 * `try` / `retry` / `except`. On an error the predicate decides whether to retry; waits grow from
 * `initial_delay` by `multiplier` up to `max_delay` (seconds) through the injected clock; once
 * retries are spent or the predicate says no, `except` gets the error under its `as` name.
 */
import { WorkflowError } from '../errors.js';
import type { BuiltinPredicate, RetrySpec, Step } from '../syntax/model.js';
import { isMap, typeOf, type Value } from '../values.js';
import { assertNever } from '../../errors.js';
import { callRoutine } from './calls.js';
import type { Flow } from './flow.js';
import { dispatch, runBlock } from './interpreter.js';
import { sleep, type Frame } from './run.js';
import { evaluateTemplate } from './values.js';

interface Backoff {
  maxRetries: number;
  delay: number;
  maxDelay: number;
  multiplier: number;
}

export async function runTry(step: Extract<Step, { kind: 'try' }>, frame: Frame): Promise<Flow> {
  const backoff = step.retry ? resolveBackoff(step.retry, frame) : undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      return await dispatch(step.body, frame);
    } catch (err) {
      if (!(err instanceof WorkflowError)) throw err;
      if (backoff && attempt < backoff.maxRetries && (await shouldRetry(step.retry!, err.value, frame))) {
        await sleep(frame.run, delayBefore(backoff, attempt) * 1000);
        continue;
      }
      if (!step.except) throw err;
      if (step.except.as) frame.scope.assign(step.except.as, err.value);
      return runBlock(step.except.steps, frame);
    }
  }
}

function resolveBackoff(retry: RetrySpec, frame: Frame): Backoff {
  const number = (t: RetrySpec['maxRetries'], what: string, min: number) => {
    const v = evaluateTemplate(t, frame);
    if (typeof v !== 'number' || v < min)
      throw WorkflowError.of('ValueError', `retry ${what} must be a number >= ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    maxRetries: number(retry.maxRetries, 'max_retries', 0),
    delay: number(retry.backoff.initialDelay, 'initial_delay', 0),
    maxDelay: number(retry.backoff.maxDelay, 'max_delay', 0),
    multiplier: number(retry.backoff.multiplier, 'multiplier', 1),
  };
}

/** Seconds to wait before retry number `attempt + 1`. */
export function delayBefore(b: Backoff, attempt: number): number {
  return Math.min(b.delay * b.multiplier ** attempt, b.maxDelay);
}

async function shouldRetry(retry: RetrySpec, error: Value, frame: Frame): Promise<boolean> {
  if (retry.predicate.kind === 'builtin') return builtinPredicate(retry.predicate.name, error);
  const answer = await callRoutine(retry.predicate.name, [error], frame);
  if (typeof answer !== 'boolean') {
    throw WorkflowError.of(
      'TypeError',
      `retry predicate '${retry.predicate.name}' must return a boolean, got '${typeOf(answer)}'`,
    );
  }
  return answer;
}

const IDEMPOTENT_CODES = [429, 502, 503, 504];
const NON_IDEMPOTENT_CODES = [429, 503];

/** The predicates Workflows ships, matched on the error's tags and HTTP code. */
export function builtinPredicate(name: BuiltinPredicate, error: Value): boolean {
  const tags = isMap(error) && Array.isArray(error.tags) ? error.tags : [];
  const code = isMap(error) ? error.code : undefined;
  const httpCode = (codes: number[]) => tags.includes('HttpError') && typeof code === 'number' && codes.includes(code);
  switch (name) {
    case 'http.default_retry_predicate':
      return (
        httpCode(IDEMPOTENT_CODES) ||
        ['ConnectionError', 'ConnectionFailedError', 'TimeoutError'].some((t) => tags.includes(t))
      );
    case 'http.default_retry_predicate_non_idempotent':
      return httpCode(NON_IDEMPOTENT_CODES) || tags.includes('ConnectionFailedError');
    case 'retry.always':
      return true;
    case 'retry.never':
      return false;
    default:
      return assertNever(name);
  }
}
