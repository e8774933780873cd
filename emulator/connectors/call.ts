/**
 * Runs a Workflows connector call against the local Google Cloud over HTTP, on the API's real
 * path, and waits the way connectors do: a Compute mutation until its Operation is DONE (then the
 * Operation is the result, or OperationError when it failed), a google.longrunning.Operation until
 * `done` (then its `response`). A non-2xx answer raises HttpError with Google's error body, which
 * the workflow's `except` sees exactly as a deployed connector failure.
 *
 * Each call, polls included, carries an access token for the workflow's service account (the
 * identity Workflows calls Google APIs with, https://cloud.google.com/workflows/docs/authentication),
 * so the local Google Cloud checks that account's roles; a workflow without one calls as the
 * project owner.
 */
import { WorkflowError, type ConnectorHandler, type Value, type ValueMap } from '../workflows/index.js';
import type { Caller } from '../workflows/runtime/deps.js';
import { CONNECTORS, pathParams, type ConnectorSpec } from './table.js';

export interface ConnectorOptions {
  /** Base URL of the local Google Cloud (read per call: the port is known only after listen). */
  baseUrl: () => string;
  /**
   * Waits between polls of a google.longrunning.Operation: the emulator's Timers (local.ts), so a
   * closed emulator stops polling and a test's clock drives it.
   */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Pause between polls of a google.longrunning.Operation. */
  pollMs?: number;
  /** An access token standing for a service account (the emulator mints it). */
  accessToken?: (serviceAccount: string) => string;
}

/** Path parameters that are whole resource names (slashes kept), as the APIs' `{name=projects/*\/…}`. */
const RESOURCE_NAMES = new Set(['name', 'parent', 'topic']);
/** Path parameters the caller URL-encodes itself, put in the path as given (Cloud Storage's `object`, table.ts). */
const CALLER_ENCODED = new Set(['object']);

interface Prepared {
  method: string;
  url: string;
  body?: unknown;
  skipPolling: boolean;
}

export function connectorHandler(options: ConnectorOptions): ConnectorHandler {
  return async (name, args, signal, caller?: Caller) => {
    const spec = CONNECTORS[name];
    if (!spec) throw unsupported(name);
    const call = prepare(name, spec, args, options.baseUrl());
    const token =
      caller?.serviceAccount && options.accessToken ? options.accessToken(caller.serviceAccount) : undefined;
    const send: Send = (method, url, body) => request(method, url, body, signal, token);
    const result = await send(call.method, call.url, call.body);
    if (call.skipPolling || spec.wait === 'none') return result;
    return spec.wait === 'compute'
      ? waitCompute(options.baseUrl(), result as ValueMap, send)
      : waitLro(options.baseUrl(), result as ValueMap, () => options.sleep(options.pollMs ?? 50, signal), send);
  };
}

function unsupported(name: string): WorkflowError {
  const services = [...new Set(Object.keys(CONNECTORS).map((k) => k.split('.').slice(0, 3).join('.')))].join(', ');
  return WorkflowError.of(
    'SystemError',
    `connector '${name}' is not supported by the local Workflows engine (it knows ${Object.keys(CONNECTORS).length} methods of ${services}); add it to emulator/connectors/table.ts`,
  );
}

function prepare(name: string, spec: ConnectorSpec, args: ValueMap, baseUrl: string): Prepared {
  const params = pathParams(spec.path);
  const missing = params.filter((p) => typeof args[p] !== 'string' || args[p] === '');
  if (missing.length) throw WorkflowError.of('ValueError', `${name}: missing required arg(s) ${missing.join(', ')}`);
  const raw = params.filter((p) => CALLER_ENCODED.has(p) && String(args[p]).includes('/'));
  if (raw.length)
    throw WorkflowError.http(
      404,
      {
        error: {
          code: 404,
          message: `${name}: ${raw.join(', ')} ${JSON.stringify(args[raw[0]!])} is not URL-encoded; pass \${text.url_encode(…)} (a '/' in the path names another resource)`,
          status: 'NOT_FOUND',
        },
      },
      {},
    );
  const path = spec.path.replace(/\{(\w+)\}/g, (_, p: string) =>
    RESOURCE_NAMES.has(p) || CALLER_ENCODED.has(p) ? String(args[p]) : encodeURIComponent(String(args[p])),
  );
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(args)) {
    if (params.includes(k) || spec.endpointArgs?.includes(k) || k === 'body' || k === 'connector_params' || v === null)
      continue;
    query.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  const connectorParams = (args.connector_params ?? {}) as ValueMap;
  const qs = query.toString();
  return {
    method: spec.method,
    url: `${baseUrl}${path}${qs ? `?${qs}` : ''}`,
    body: args.body ?? undefined,
    skipPolling: connectorParams.skip_polling === true,
  };
}

type Send = (method: string, url: string, body?: unknown) => Promise<Value>;

async function request(
  method: string,
  url: string,
  body: unknown,
  signal: AbortSignal,
  token: string | undefined,
): Promise<Value> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-goog-api-client': 'emulator-workflows-connector',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const res = await fetch(url, {
    method,
    signal,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed = parseJson(text);
  if (!res.ok) throw WorkflowError.http(res.status, parsed, headerMap(res.headers));
  return parsed;
}

function parseJson(text: string): Value {
  if (!text) return null;
  try {
    return JSON.parse(text) as Value;
  } catch {
    return text;
  }
}

/** Compute mutations: `operations.wait` until DONE; a failed operation raises OperationError. */
async function waitCompute(baseUrl: string, op: ValueMap, send: Send): Promise<Value> {
  let current = op;
  while (current.status !== 'DONE') {
    const path = new URL(String(current.selfLink)).pathname.replace(/^.*?\/compute\/v1\//, '/compute/v1/');
    current = (await send('POST', `${baseUrl}${path}/wait`)) as ValueMap;
  }
  const errors = ((current.error as ValueMap | undefined)?.errors ?? []) as ValueMap[];
  if (errors.length) {
    throw WorkflowError.of(
      'OperationError',
      `operation ${String(current.name)} failed: ${errors.map((e) => e.message ?? e.code).join('; ')}`,
      { operation: current },
    );
  }
  return current;
}

/** google.longrunning.Operation: poll `GET /v1/{name}` until done; answer its response. */
async function waitLro(baseUrl: string, op: ValueMap, pause: () => Promise<void>, send: Send): Promise<Value> {
  let current = op;
  while (current.done !== true) {
    await pause();
    current = (await send('GET', `${baseUrl}/v1/${String(current.name)}`)) as ValueMap;
  }
  if (current.error)
    throw WorkflowError.of(
      'OperationError',
      `operation ${String(current.name)} failed: ${String((current.error as ValueMap).message ?? '')}`,
      { operation: current },
    );
  return current.response ?? null;
}

/** Response headers as a plain map (DOM lib typings lack Headers iteration). */
function headerMap(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((v, k) => (out[k] = v));
  return out;
}
