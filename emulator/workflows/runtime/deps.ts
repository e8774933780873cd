/**
 * What a run needs from outside, all injected: the HTTP transport for `http.*`, the connector
 * handler for `googleapis.*`, the clock, the environment `sys.get_env` reads, a log sink, and
 * ids. Nothing here reaches the network or real time unless the caller passes it in.
 */
import type { Clock } from '../clock.js';
import type { History } from './history.js';
import type { Value, ValueMap } from '../values.js';

export const AUTH_TYPES = ['OIDC', 'OAuth2'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/** A request as a `call: http.*` step describes it; the handler decides how to deliver it. */
export interface HttpRequest {
  method: string;
  /** With `query` already appended. */
  url: string;
  headers: Record<string, string>;
  /** The `body` arg as the workflow gave it (a map is sent as JSON by Workflows). */
  body?: Value;
  auth?: { type: AuthType; audience?: string; scopes?: Value };
  /** Seconds, when the step set `timeout`. */
  timeout?: number;
  signal: AbortSignal;
  /** The service account the workflow runs as (its `auth` token stands for it), when it has one. */
  serviceAccount?: string;
}

export interface HttpResponse {
  code: number;
  headers?: Record<string, string | string[] | undefined>;
  /** Parsed JSON, text, or bytes; JSON text is parsed when the content type says JSON. */
  body?: unknown;
}

/** Throw a WorkflowError to raise a specific error; any other throw becomes a ConnectionError. */
export type HttpHandler = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * Runs a connector call such as `googleapis.compute.v1.routes.insert` with the step's evaluated
 * `args`, waiting for any long-running operation itself, as the real connectors do. Throw a
 * WorkflowError (e.g. `WorkflowError.http(404, body)`), or an error with a numeric HTTP `code`,
 * to fail the step.
 */
export type ConnectorHandler = (name: string, args: ValueMap, signal: AbortSignal, caller?: Caller) => Promise<unknown>;

/**
 * Who a connector call stands for: the workflow's service account, whose identity Workflows uses
 * for every connector call (https://cloud.google.com/workflows/docs/authentication), when it has one.
 */
export interface Caller {
  serviceAccount?: string;
}

export interface LogEntry {
  time: string;
  severity: string;
  payload: Value;
  step: string;
  routine: string;
}

export interface Limits {
  /** Workflows stops an execution after 100,000 steps (ResourceLimitError). */
  maxSteps: number;
  /** Depth of nested subworkflow calls before a RecursionError. */
  maxCallDepth: number;
}

export const DEFAULT_LIMITS: Limits = { maxSteps: 100_000, maxCallDepth: 20 };

export interface RunDeps {
  http?: HttpHandler;
  connector?: ConnectorHandler;
  clock?: Clock;
  /** What `sys.get_env` answers, e.g. GOOGLE_CLOUD_PROJECT_ID, GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID. */
  env?: Readonly<Record<string, string>>;
  log?: (entry: LogEntry) => void;
  uuid?: () => string;
  /** Aborting it cancels the run (state CANCELLED). */
  signal?: AbortSignal;
  limits?: Partial<Limits>;
  /** Pass one in to read the step history while the run is still going. */
  history?: History;
}
