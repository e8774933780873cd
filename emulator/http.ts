/**
 * The local Google Cloud's HTTP layer: a small router over Google's REST paths. Every route
 * carries Google's method id (`compute.routes.insert`), which is what fault injection and call
 * counting key on, so a test can say "fail the next 2 compute.routes.insert with 503".
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

export interface Request {
  method: string;
  path: string;
  /** The pattern of the route that matched (`/compute/v1/projects/{project}/…`). */
  pattern: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  rawBody: Buffer;
}

export interface Reply {
  status?: number;
  body?: unknown;
  raw?: Buffer | string;
  headers?: Record<string, string>;
}

export type Handler = (req: Request) => Promise<Reply | unknown> | Reply | unknown;

/**
 * Runs before each handled call, in the order added (server.ts: faults first, then the request
 * shape check, then the handler); may delay, change `req.body`, throw an HttpError or destroy the socket.
 */
export type CallHook = (methodId: string, req: Request, res: ServerResponse) => Promise<'continue' | 'handled'>;

/** Runs on each reply before it is sent (the handler's, or a hook's or handler's error); throws an HttpError to answer that instead. */
export type ReplyCheck = (methodId: string, req: Request, reply: Reply) => void;

/** A registered route, as `list()` answers it. */
export interface RouteInfo {
  method: string;
  pattern: string;
  methodId: string;
}

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  names: string[];
  methodId: string;
  handler: Handler;
}

const MAX_BODY = 16 * 1024 * 1024;

function compile(pattern: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = pattern
    .split(/(\{[a-zA-Z]+\*?\})/)
    .map((part) => {
      const m = /^\{([a-zA-Z]+)(\*?)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      // `{name*}` takes the rest of the path, slashes included (Cloud Storage object names).
      return m[2] ? '(.+)' : '([^/]+?)';
    })
    .join('');
  return { regex: new RegExp(`^${source}$`), names };
}

export class Router {
  private readonly routes: Route[] = [];
  private readonly hooks: CallHook[] = [];
  private readonly replyChecks: ReplyCheck[] = [];
  /** Calls per method id since start, for tests that bound the number of mutations. */
  readonly calls = new Map<string, number>();

  /** Registers `handler` for `METHOD /path/{param}` (or `{rest*}`, slashes included) under Google's method id. */
  on(method: string, pattern: string, methodId: string, handler: Handler): this {
    const { regex, names } = compile(pattern);
    this.routes.push({ method, pattern, regex, names, methodId, handler });
    return this;
  }

  /** Every registered route (method, pattern, method id), in registration order. */
  list(): RouteInfo[] {
    return this.routes.map(({ method, pattern, methodId }) => ({ method, pattern, methodId }));
  }

  addHook(hook: CallHook): void {
    this.hooks.push(hook);
  }

  addReplyCheck(check: ReplyCheck): void {
    this.replyChecks.push(check);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    try {
      const rawBody = await readBody(req);
      const found = this.match(method, path);
      if (!found) return send(res, notServed(method, path));
      const request: Request = {
        method,
        path,
        pattern: found.route.pattern,
        params: found.params,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        body: parseJson(rawBody, req.headers['content-type']),
      };
      const methodId = found.route.methodId;
      this.calls.set(methodId, (this.calls.get(methodId) ?? 0) + 1);
      let reply: Reply;
      try {
        for (const hook of this.hooks) if ((await hook(methodId, request, res)) === 'handled') return;
        reply = toReply(await found.route.handler(request));
      } catch (err) {
        reply = errorReply(err);
      }
      // Refusals and failures are replies too: they are checked like the handler's own.
      try {
        for (const check of this.replyChecks) check(methodId, request, reply);
      } catch (err) {
        reply = errorReply(err);
      }
      send(res, reply);
    } catch (err) {
      send(res, errorReply(err));
    }
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = m[i + 1]!));
      return { route, params };
    }
    return undefined;
  }
}

/**
 * A URL no API method serves, answered as Google's front end answers one: a 404 HTML page, not an
 * API error (no `error.status`, no `errors[].reason`), which is how a client tells "no such
 * method" from "no such resource". The page Google serves reads "Error 404 (Not Found)!!1 …
 * The requested URL /… was not found on this server." (captured in
 * https://github.com/GoogleCloudPlatform/ios-docs-samples/issues/17).
 */
function notServed(method: string, path: string): Reply {
  const page = `<!DOCTYPE html>\n<html lang=en>\n<title>Error 404 (Not Found)!!1</title>\n<p><b>404.</b> <ins>That’s an error.</ins>\n<p>The requested URL <code>${escapeHtml(path)}</code> was not found on this server (the local Google Cloud has no API method at ${method} ${escapeHtml(path)}). <ins>That’s all we know.</ins>\n`;
  return { status: 404, raw: page, headers: { 'content-type': 'text/html; charset=UTF-8' } };
}

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** An error as Google's JSON error reply; anything but an HttpError is an emulator bug (500, logged). */
function errorReply(err: unknown): Reply {
  const httpErr = err instanceof HttpError ? err : new HttpError(500, `emulator: ${(err as Error).message ?? err}`);
  if (!(err instanceof HttpError)) console.error(err);
  return { status: httpErr.code, body: httpErr.toJSON() };
}

function toReply(value: unknown): Reply {
  if (
    value &&
    typeof value === 'object' &&
    ('status' in value || 'raw' in value) &&
    Object.keys(value).every((k) => ['status', 'body', 'raw', 'headers'].includes(k))
  ) {
    return value as Reply;
  }
  return { status: 200, body: value };
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const status = reply.status ?? 200;
  if (reply.raw !== undefined) {
    res.writeHead(status, { 'content-type': 'application/octet-stream', ...reply.headers });
    res.end(reply.raw);
    return;
  }
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...reply.headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (contentType && !contentType.includes('json')) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    // Without a content type the body may be media (a resumable upload chunk), not bad JSON.
    if (!contentType) return undefined;
    throw new HttpError(400, 'Invalid JSON payload received.', 'parseError');
  }
}
