/**
 * Parses `retry:` and `except:`. A retry is either a named default policy
 * (`${http.default_retry}`, `${http.default_retry_non_idempotent}`) or a map with a predicate
 * (`${http.default_retry_predicate}`, `${retry.always}`, or a subworkflow taking the error),
 * `max_retries` and `backoff`. Defaults match Workflows': 5 retries, 1 s doubling by 1.25 up to 60 s.
 */
import {
  BUILTIN_PREDICATES,
  type BuiltinPredicate,
  type ExceptClause,
  type PredicateRef,
  type RetrySpec,
  type Template,
} from './model.js';
import { asMap, asName, checkKeys, isRawMap } from './shapes.js';
import type { PathSeg, Problems } from './source.js';
import { parseSteps } from './steps.js';
import { compileTemplate } from './templates.js';

const literal = (value: number): Template => ({ kind: 'literal', value });
const DEFAULT_BACKOFF = { initialDelay: literal(1), maxDelay: literal(60), multiplier: literal(1.25) };

const POLICIES: Record<string, BuiltinPredicate> = {
  'http.default_retry': 'http.default_retry_predicate',
  'http.default_retry_non_idempotent': 'http.default_retry_predicate_non_idempotent',
};

/** `${name}` → `name`; anything else → undefined. */
function referenceName(raw: unknown): string | undefined {
  return typeof raw === 'string' ? /^\$\{\s*([A-Za-z_][\w.]*)\s*\}$/.exec(raw)?.[1] : undefined;
}

export function parseRetry(raw: unknown, path: PathSeg[], problems: Problems): RetrySpec | undefined {
  const policy = referenceName(raw);
  if (policy !== undefined) {
    const predicate = POLICIES[policy];
    if (predicate)
      return { predicate: { kind: 'builtin', name: predicate }, maxRetries: literal(5), backoff: DEFAULT_BACKOFF };
    problems.add(
      path,
      `unknown retry policy '${policy}' (supported: ${Object.keys(POLICIES).join(', ')}, or a map with predicate, max_retries, backoff)`,
    );
    return undefined;
  }
  const body = asMap(raw, path, problems, `'retry'`);
  if (!body) return undefined;
  checkKeys(body, ['predicate', 'max_retries', 'backoff'], path, problems, `'retry'`);
  for (const key of ['predicate', 'max_retries', 'backoff'])
    if (!(key in body)) problems.add(path, `'retry' needs '${key}'`);
  const predicate = parsePredicate(body.predicate, [...path, 'predicate'], problems);
  return (
    predicate && {
      predicate,
      maxRetries: compileTemplate(body.max_retries ?? 0, [...path, 'max_retries'], problems),
      backoff: parseBackoff(body.backoff, [...path, 'backoff'], problems),
    }
  );
}

function parsePredicate(raw: unknown, path: PathSeg[], problems: Problems): PredicateRef | undefined {
  const name = referenceName(raw);
  if (name === undefined) {
    problems.add(
      path,
      `'predicate' must be '\${name}' of a built-in predicate (${BUILTIN_PREDICATES.join(', ')}) or of a subworkflow`,
    );
    return undefined;
  }
  if ((BUILTIN_PREDICATES as readonly string[]).includes(name))
    return { kind: 'builtin', name: name as BuiltinPredicate };
  return { kind: 'subworkflow', name };
}

function parseBackoff(raw: unknown, path: PathSeg[], problems: Problems): RetrySpec['backoff'] {
  if (!isRawMap(raw)) {
    if (raw !== undefined) problems.add(path, `'backoff' must be a map with initial_delay, max_delay, multiplier`);
    return DEFAULT_BACKOFF;
  }
  checkKeys(raw, ['initial_delay', 'max_delay', 'multiplier'], path, problems, `'backoff'`);
  const field = (key: string, fallback: Template) =>
    key in raw ? compileTemplate(raw[key], [...path, key], problems) : fallback;
  return {
    initialDelay: field('initial_delay', DEFAULT_BACKOFF.initialDelay),
    maxDelay: field('max_delay', DEFAULT_BACKOFF.maxDelay),
    multiplier: field('multiplier', DEFAULT_BACKOFF.multiplier),
  };
}

export function parseExcept(raw: unknown, path: PathSeg[], problems: Problems): ExceptClause | undefined {
  const body = asMap(raw, path, problems, `'except'`);
  if (!body) return undefined;
  checkKeys(body, ['as', 'steps'], path, problems, `'except'`);
  const as = 'as' in body ? asName(body.as, [...path, 'as'], problems, `'as'`) : undefined;
  return { ...(as ? { as } : {}), steps: parseSteps(body.steps, [...path, 'steps'], problems) };
}
