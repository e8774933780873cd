/**
 * The one report envelope every reconcile answers with — logged as one line, published to the
 * result topic, printed by the CLI (`--json`), returned over HTTP — and the one table that turns it
 * into an HTTP status. Each reconciler's own facts (routes and their export, policies and their
 * rules, ranges and their capacity) sit beside these fields, so a reader of any report finds
 * `status`, `reasons`, `results`, `mutations` and `retry` in the same place.
 *
 * | status      | means                                                              | HTTP           |
 * |-------------|--------------------------------------------------------------------|----------------|
 * | `ok`        | applied (or nothing to do) and verified                            | 200            |
 * | `unchanged` | nothing to change, verified                                        | 200            |
 * | `planned`   | a dry run: the plan, nothing applied                               | 200            |
 * | `ignored`   | not for this reconciler, or superseded by a newer one              | 200            |
 * | `degraded`  | ran, but what the user depends on is not (all) there: the verify failed, or a refused change | 503 if `retry`, else 422 |
 * | `refused`   | a safety rule or the request said no before any change             | by `error.kind`: 400 invalid request, 405 method not allowed, 409 conflict, 413 too large, else 422 |
 * | `failed`    | a step or a read failed                                            | 503 if `retry`; 422 when only a person can fix it (configuration, a permission, a refusal); 500 a bug |
 *
 * `retry` is the one flag that says a redelivery (Eventarc) or a retry (Workflows' policy) can help.
 */
import { ApiError, ConfigError, SafetyError, errorMessage, isTransient } from '../errors.js';

export const STATUSES = ['ok', 'unchanged', 'planned', 'ignored', 'degraded', 'refused', 'failed'] as const;
export type Status = (typeof STATUSES)[number];

/** What kind of failure or refusal: what the caller can do about it. */
export const FAILURE_KINDS = [
  'invalid-request',
  'method-not-allowed',
  'config',
  'refused',
  'conflict',
  'too-large',
  'transient',
  'internal',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface Failure {
  readonly message: string;
  readonly transient: boolean;
  readonly kind: FailureKind;
}

export interface Envelope<R = unknown, W = string> {
  status: Status;
  /** Why the status is not ok, each with what to do. */
  reasons: string[];
  /** Worth knowing, not blocking (a sentence, or a coded one such as peeringRanges' `{code, message}`). */
  warnings: W[];
  dryRun: boolean;
  /** Every step tried, with its outcome. */
  results: R[];
  /** Calls that changed state (no-ops excluded). */
  mutations: number;
  /** A retry (redelivery) can help. */
  retry: boolean;
  /** A reconcile that threw before it could report: what, and what kind. */
  error?: Failure;
}

/**
 * The kind of a thrown error. `config` names who must act: for an HTTP reconciler whose input is
 * the request (peeringRanges), a ConfigError is the caller's (`invalid-request`); for one
 * configured by its environment (natRoutes), the operator's (`config`).
 */
export function failureOf(err: unknown, config: 'config' | 'invalid-request' = 'config'): Failure {
  const message = errorMessage(err);
  const kind = (err as { failureKind?: unknown } | null)?.failureKind;
  if (typeof kind === 'string' && (FAILURE_KINDS as readonly string[]).includes(kind))
    return { message, transient: kind === 'transient', kind: kind as FailureKind };
  if (isTransient(err)) return { message, transient: true, kind: 'transient' };
  if (err instanceof ConfigError) return { message, transient: false, kind: config };
  if (err instanceof SafetyError) return { message, transient: false, kind: 'refused' };
  // A permanent Google answer (403, 400, 404): a permission, a refusal — a person must act.
  if (err instanceof ApiError) return { message, transient: false, kind: 'refused' };
  return { message, transient: false, kind: 'internal' };
}

/**
 * The envelope of a reconcile (or a read) that threw before it could report: `failed`, one reason
 * (the error's message unless the adapter words it), nothing applied, and `retry` by the error.
 */
export function failedEnvelope(
  error: Failure,
  options: { readonly reason?: string; readonly dryRun?: boolean } = {},
): Envelope<never, never> & { status: 'failed'; error: Failure } {
  return {
    status: 'failed',
    reasons: [options.reason ?? error.message],
    warnings: [],
    dryRun: options.dryRun ?? false,
    results: [],
    mutations: 0,
    retry: error.transient,
    error,
  };
}

/** Marks a reason not ok: `ok`/`unchanged` become `degraded`; worse statuses stay. */
export function degrade(report: Pick<Envelope, 'status' | 'reasons'>, reason: string): void {
  if (report.status === 'ok' || report.status === 'unchanged' || report.status === 'planned')
    report.status = 'degraded';
  if (!report.reasons.includes(reason)) report.reasons.push(reason);
}

const REFUSAL_HTTP: Readonly<Record<FailureKind, number>> = {
  'invalid-request': 400,
  'method-not-allowed': 405,
  conflict: 409,
  'too-large': 413,
  config: 422,
  refused: 422,
  transient: 503,
  internal: 500,
};

/** The HTTP status of a report: the table in the module comment, the only one netreflex has. */
export function httpStatus(report: Pick<Envelope, 'status' | 'retry' | 'error'>): number {
  switch (report.status) {
    case 'ok':
    case 'unchanged':
    case 'planned':
    case 'ignored':
      return 200;
    case 'degraded':
      return report.retry ? 503 : 422;
    case 'refused':
      return REFUSAL_HTTP[report.error?.kind ?? 'refused'];
    case 'failed':
      if (report.retry) return 503;
      return report.error ? REFUSAL_HTTP[report.error.kind] : 500;
  }
}

/** The log severity of a report, by its status alone (monitoring.tf counts WARNING and above as trouble). */
export function severityOf(report: Pick<Envelope, 'status'>): 'info' | 'warn' | 'error' {
  if (report.status === 'failed' || report.status === 'refused') return 'error';
  return report.status === 'degraded' ? 'warn' : 'info';
}
