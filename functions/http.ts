/**
 * The one HTTP door of netreflex's HTTP functions (natRoutesSync, peeringRanges,
 * armorAllowlistVerify). Every answer — the report, and every refusal or failure — is the kernel's
 * report envelope with the status code of its one table (shared/reconcile/report.ts), so the
 * workflow finds `status`, `reasons`, `retry` and `error: {kind, message, transient}` in the same
 * place whichever function answered and whatever went wrong:
 *
 * - POST only: any other method is a 405 with `Allow: POST` (RFC 9110 §15.5.6: a 405 must name
 *   the methods the resource supports).
 * - A body over 64 KiB is a 413 whose answer and log line never echo it.
 * - A body that is not a JSON object is a 400 saying what to send; an empty body is `{}`. (JSON
 *   that does not parse never gets here: the Functions Framework's body parser answers its own 400.)
 * - A thrown error goes through `failureOf` → `httpStatus`: 503 with `retry: true` when a retry can
 *   help, 400/409/422 when the request, a conflict or a person must change, 500 for a bug.
 * - The handler's report answers with `httpStatus(report)`; it logs its own line.
 *
 * A refusal or failure is one log line with the code, the error and a summary of the request,
 * never the body as sent.
 */
import type { HttpFunction, Request } from '@google-cloud/functions-framework';
import { createLogger, type Logger } from '../shared/log.js';
import {
  failedEnvelope,
  failureOf,
  httpStatus,
  type Envelope,
  type Failure,
  type FailureKind,
} from '../shared/reconcile/report.js';

/** Far above any real request (a few hundred bytes), far below what would hurt a log or a reply. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What a handler answers: a report in the envelope (its own facts beside the envelope's fields). */
export type Report = Pick<Envelope, 'status' | 'retry' | 'error'>;

export interface DoorOptions {
  /** The function's name, first in every log line. */
  name: string;
  /** A request worth sending, quoted by every refusal of the request's form. */
  example: string;
  /** The function's logger (its service's, so its configured level holds). */
  log: () => Logger;
  /**
   * Whose fault a ConfigError is: the caller's when the function's input is the request
   * (`invalid-request`, 400), otherwise the operator's environment (`config`, 422).
   */
  configErrors?: 'config' | 'invalid-request';
  /** Facts a thrown error carries into the envelope (peeringRanges: the preflight report of a 409). */
  factsOf?: (err: unknown) => Record<string, unknown> | undefined;
}

/** A refusal by the door itself: the kind picks the status code (405, 413, 400) from the one table. */
class DoorRefusal extends Error {
  constructor(
    readonly failureKind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The envelope of a request that threw: nothing applied, the error and what to do in `reasons`.
 * A permanent error is a refusal (by the request, a safety rule, the configuration or Google);
 * a transient one, or a bug, a failure.
 */
export function refusal(error: Failure, facts: Record<string, unknown> = {}): Envelope & Record<string, unknown> {
  return {
    ...facts,
    ...failedEnvelope(error),
    status: error.transient || error.kind === 'internal' ? 'failed' : 'refused',
  };
}

/** `handle` behind the door: the function to register with the Functions Framework's `http()`. */
export function door(opts: DoorOptions, handle: (body: Record<string, unknown>, req: Request) => Promise<Report>) {
  const serve: HttpFunction = async (req, res) => {
    let body: Record<string, unknown> = {};
    try {
      body = admit(req, opts.example);
      const report = await handle(body, req);
      res.status(httpStatus(report)).json(report);
    } catch (err) {
      const error = failureOf(err, opts.configErrors);
      const answer = refusal(error, opts.factsOf?.(err));
      const code = httpStatus(answer);
      if (code === 405) res.set('allow', 'POST');
      logOf(opts)[code >= 500 ? 'error' : 'warn'](
        { code, error, request: summary(body) },
        `${opts.name}: ${error.kind}: ${error.message}`,
      );
      res.status(code).json(answer);
    }
  };
  return serve;
}

/** The request's body as an object, or the door's refusal of it. */
function admit(req: Request, example: string): Record<string, unknown> {
  if (req.method !== 'POST')
    throw new DoorRefusal('method-not-allowed', `use POST with a JSON body such as ${example}`);
  const size = bodySize(req);
  if (size > MAX_BODY_BYTES)
    throw new DoorRefusal(
      'too-large',
      `the body is ${size} bytes; a request is at most ${MAX_BODY_BYTES} bytes, such as ${example}`,
    );
  const body: unknown = req.body;
  if (size === 0 && (body === undefined || isObject(body))) return {};
  // Form fields parse into an object too: only JSON counts.
  if (!isObject(body) || !req.is(['application/json', '+json']))
    throw new DoorRefusal(
      'invalid-request',
      `the body must be a JSON object such as ${example} (Content-Type: application/json)`,
    );
  return body;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** The bytes as sent: the framework keeps them (`rawBody`); without a body, its declared length. */
function bodySize(req: Request): number {
  const raw = (req as Request & { rawBody?: Buffer }).rawBody;
  return raw ? raw.length : Number(req.headers['content-length'] ?? 0) || 0;
}

/** The function's logger; if building it is what failed, one at the default level. */
function logOf(opts: DoorOptions): Logger {
  try {
    return opts.log();
  } catch {
    return createLogger();
  }
}

/** What a log line may say about a request: its keys and the first characters of its scalar values. */
export function summary(body: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(body).slice(0, 12);
  return Object.fromEntries(
    entries.map(([k, v]) => [
      k.slice(0, 40),
      typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'array' : 'object') : String(v).slice(0, 64),
    ]),
  );
}
