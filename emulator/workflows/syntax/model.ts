/**
 * A parsed workflow: the YAML/JSON turned into typed steps whose `${...}` expressions are already
 * parsed. Everything the interpreter meets at run time was checked when this was built.
 */
import type { Expr } from '../expression/ast.js';
import type { Value } from '../values.js';

/** A value from the source: a literal, an expression, or a list/map that may contain expressions. */
export type Template =
  | { kind: 'literal'; value: Value }
  | { kind: 'expr'; expr: Expr; source: string }
  | { kind: 'list'; items: Template[] }
  | { kind: 'map'; entries: [string, Template][] };

/** The left side of an assignment: `a`, `a.b`, `a["b"]`, `a[i + 1]`. */
export interface AssignTarget {
  root: string;
  accessors: Accessor[];
  source: string;
}
export type Accessor = { kind: 'key'; name: string } | { kind: 'index'; expr: Expr };

export interface Assignment {
  target: AssignTarget;
  value: Template;
}

export interface Location {
  /** Human path in the source, e.g. `main.steps[2].get_ranges`. */
  path: string;
  line?: number;
  column?: number;
}

export const STEP_KINDS = [
  'assign',
  'call',
  'switch',
  'for',
  'parallel',
  'try',
  'raise',
  'return',
  'steps',
  'next',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

interface StepCommon {
  name: string;
  at: Location;
  /** `next:` of the step: a step name, or `end`, `break`, `continue`. */
  next?: string;
}

export type Step = StepCommon &
  (
    | { kind: 'assign'; assignments: Assignment[] }
    | { kind: 'call'; target: string; args?: Template; result?: AssignTarget }
    | { kind: 'switch'; conditions: Condition[] }
    | { kind: 'for'; loop: ForLoop }
    | { kind: 'parallel'; parallel: Parallel }
    | { kind: 'try'; body: Step; retry?: RetrySpec; except?: ExceptClause }
    | { kind: 'raise'; value: Template }
    | { kind: 'return'; value: Template }
    | { kind: 'steps'; steps: Step[] }
    | { kind: 'next' }
  );

export interface Condition {
  at: Location;
  condition: Template;
  next?: string;
  steps?: Step[];
  assign?: Assignment[];
  return?: Template;
  raise?: Template;
}

export interface ForLoop {
  value: string;
  index?: string;
  in?: Template;
  range?: Template;
  steps: Step[];
}

export const EXCEPTION_POLICIES = ['continueAll'] as const;
export type ExceptionPolicy = (typeof EXCEPTION_POLICIES)[number];

export interface Parallel {
  shared: string[];
  concurrencyLimit?: number;
  exceptionPolicy: ExceptionPolicy;
  branches?: { name: string; at: Location; steps: Step[] }[];
  for?: ForLoop;
}

export const BUILTIN_PREDICATES = [
  'http.default_retry_predicate',
  'http.default_retry_predicate_non_idempotent',
  'retry.always',
  'retry.never',
] as const;
export type BuiltinPredicate = (typeof BUILTIN_PREDICATES)[number];

export type PredicateRef = { kind: 'builtin'; name: BuiltinPredicate } | { kind: 'subworkflow'; name: string };

export interface RetrySpec {
  predicate: PredicateRef;
  maxRetries: Template;
  backoff: { initialDelay: Template; maxDelay: Template; multiplier: Template };
}

export interface ExceptClause {
  as?: string;
  steps: Step[];
}

export interface Param {
  name: string;
  default?: Value;
}

export interface Routine {
  name: string;
  at: Location;
  params: Param[];
  steps: Step[];
}

export interface WorkflowDefinition {
  /** `main` plus every subworkflow, by name. */
  routines: ReadonlyMap<string, Routine>;
}
