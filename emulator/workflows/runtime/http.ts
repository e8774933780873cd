/**
 * `call: http.get|post|put|patch|delete|request`. The step's args become an HttpRequest for
 * the injected handler; the answer becomes `{body, code, headers}` with JSON bodies parsed, and a
 * non-2xx answer raises HttpError (tags ["HttpError"], with code, body, headers), as in Workflows.
 */
import { WorkflowError } from '../errors.js';
import { isBytes, isMap, toValue, typeOf, type Value, type ValueMap } from '../values.js';
import { AUTH_TYPES, type AuthType, type HttpRequest, type HttpResponse } from './deps.js';
import { ExecutionCancelled, type Frame } from './run.js';

export async function httpCall(method: string, args: ValueMap, frame: Frame): Promise<Value> {
  const handler = frame.run.http;
  if (!handler)
    throw WorkflowError.of(
      'SystemError',
      `no HTTP handler is configured for the local engine, so 'http.${method}' cannot run`,
    );
  const request = buildRequest(method, args, frame.run.signal);
  let response: HttpResponse;
  try {
    response = await handler(request);
  } catch (err) {
    throw transportError(err, request);
  }
  const headers = flattenHeaders(response.headers ?? {});
  const body = decodeBody(response.body, headers);
  if (response.code < 200 || response.code > 299) throw WorkflowError.http(response.code, body, headers);
  return { body, code: response.code, headers };
}

function buildRequest(method: string, args: ValueMap, signal: AbortSignal): HttpRequest {
  const verb = method === 'request' ? stringArg(args.method, 'method').toUpperCase() : method.toUpperCase();
  const request: HttpRequest = {
    method: verb,
    url: withQuery(stringArg(args.url, 'url'), args.query ?? null),
    headers: headersArg(args.headers ?? null),
    signal,
  };
  if (args.body !== undefined) request.body = args.body;
  if (args.auth !== undefined && args.auth !== null) request.auth = authArg(args.auth);
  if (args.timeout !== undefined && args.timeout !== null) request.timeout = numberArg(args.timeout, 'timeout');
  return request;
}

function stringArg(v: Value | undefined, name: string): string {
  if (typeof v !== 'string')
    throw WorkflowError.of('TypeError', `http: '${name}' must be a string, got '${typeOf(v ?? null)}'`);
  return v;
}

function numberArg(v: Value, name: string): number {
  if (typeof v !== 'number')
    throw WorkflowError.of('TypeError', `http: '${name}' must be a number, got '${typeOf(v)}'`);
  return v;
}

function headersArg(v: Value): Record<string, string> {
  if (v === null) return {};
  if (!isMap(v)) throw WorkflowError.of('TypeError', `http: 'headers' must be a map, got '${typeOf(v)}'`);
  return Object.fromEntries(Object.entries(v).map(([k, h]) => [k, stringArg(h, `headers.${k}`)]));
}

function withQuery(url: string, query: Value): string {
  if (query === null) return url;
  if (!isMap(query)) throw WorkflowError.of('TypeError', `http: 'query' must be a map, got '${typeOf(query)}'`);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    for (const item of Array.isArray(v) ? v : [v])
      params.append(k, typeof item === 'string' ? item : JSON.stringify(item));
  const text = params.toString();
  return text ? `${url}${url.includes('?') ? '&' : '?'}${text}` : url;
}

function authArg(v: Value): NonNullable<HttpRequest['auth']> {
  const type = isMap(v) ? v.type : undefined;
  if (!isMap(v) || !(AUTH_TYPES as readonly unknown[]).includes(type)) {
    throw WorkflowError.of('ValueError', `http: 'auth.type' must be one of ${AUTH_TYPES.join(', ')}`);
  }
  const auth: NonNullable<HttpRequest['auth']> = { type: type as AuthType };
  if (typeof v.audience === 'string') auth.audience = v.audience;
  if (v.scopes !== undefined) auth.scopes = v.scopes;
  return auth;
}

function flattenHeaders(headers: NonNullable<HttpResponse['headers']>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function contentType(headers: Record<string, string>): string {
  return (
    Object.entries(headers)
      .find(([k]) => k.toLowerCase() === 'content-type')?.[1]
      .toLowerCase() ?? ''
  );
}

/** JSON text is parsed when the content type says JSON; other text stays text, binary stays bytes. */
function decodeBody(body: unknown, headers: Record<string, string>): Value {
  const type = contentType(headers);
  const isJson = type.includes('json');
  let value = body;
  if (isBytes(value) && (isJson || type.startsWith('text/') || type === ''))
    value = Buffer.from(value).toString('utf8');
  if (typeof value === 'string' && isJson) {
    try {
      return toValue(JSON.parse(value));
    } catch {
      return value;
    }
  }
  return toValue(value);
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A handler's throw, as Workflows would name it: failed to connect, timed out, or broken. */
export function transportError(err: unknown, request: Pick<HttpRequest, 'method' | 'url'>): Error {
  if (err instanceof WorkflowError || err instanceof ExecutionCancelled) return err;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  const detail = `${request.method} ${request.url}: ${typeof e?.message === 'string' ? e.message : String(err)}`;
  if (typeof code === 'string' && CONNECT_FAILURES.has(code))
    return WorkflowError.of('ConnectionFailedError', `connection failed: ${detail}`);
  if (code === 'ETIMEDOUT' || e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return WorkflowError.of('TimeoutError', `request timed out: ${detail}`);
  return WorkflowError.of('ConnectionError', `connection error: ${detail}`);
}
