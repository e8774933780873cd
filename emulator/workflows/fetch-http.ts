/**
 * `http.*` calls of locally run workflows, sent with fetch: to the local functions (URLs come from
 * the workflow's env vars or arguments, as deployed) or anywhere else. With `auth`, Workflows sends
 * a token of the workflow's service account (https://cloud.google.com/workflows/docs/authentication):
 * `OAuth2` an access token (here one the emulator minted for the account, so a call to a Google
 * API is checked against its roles), `OIDC` an ID token for the audience (here unsigned, with the
 * account's `email` and `sub` claims — nothing local verifies signatures).
 *
 * `HttpFaults` makes a callee misbehave on demand (the next N calls to a URL prefix answer 503),
 * so tests prove the workflow's retry policy, not only the function's happy path.
 */
import type { HttpHandler, HttpRequest, HttpResponse } from './index.js';
import type { Timers } from '../timers.js';

interface HttpFaultRule {
  urlPrefix: string;
  remaining: number;
  code: number;
}

export class HttpFaults {
  private rules: HttpFaultRule[] = [];
  /** Faults that fired: `${code} ${METHOD} ${url}`. */
  readonly fired: string[] = [];

  /** The next `count` calls to URLs starting with `urlPrefix` answer `code` without reaching it. */
  failNext(urlPrefix: string, count: number, code = 503): void {
    this.rules.push({ urlPrefix, remaining: count, code });
  }

  clear(): void {
    this.rules = [];
  }

  take(request: Pick<HttpRequest, 'method' | 'url'>): HttpResponse | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && request.url.startsWith(r.urlPrefix));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.fired.push(`${rule.code} ${request.method} ${request.url}`);
    return {
      code: rule.code,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: { code: rule.code, message: 'injected by the emulator (workflows HTTP fault)' } }),
    };
  }
}

/** `timers`: the emulator's, so a call's `timeout` runs on its clock (not compressed: it bounds real I/O). */
export function fetchHttp(
  faults: HttpFaults,
  timers: Timers,
  accessToken?: (serviceAccount: string) => string,
): HttpHandler {
  return async (request) => {
    const injected = faults.take(request);
    if (injected) return injected;
    const headers: Record<string, string> = { ...request.headers };
    if (request.auth)
      headers.authorization = `Bearer ${request.auth.type === 'OAuth2' && request.serviceAccount && accessToken ? accessToken(request.serviceAccount) : localToken(request)}`;
    let body: string | undefined;
    if (request.body !== undefined && request.body !== null) {
      body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      if (typeof request.body !== 'string' && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json';
    }
    const deadline = request.timeout ? timers.deadline(request.timeout * 1000) : undefined;
    const signal = deadline ? AbortSignal.any([request.signal, deadline.signal]) : request.signal;
    try {
      const res = await fetch(request.url, { method: request.method, headers, body, signal });
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { code: res.status, headers: headerMap(res.headers), body: bytes };
    } finally {
      deadline?.done();
    }
  };
}

/** An unsigned JWT-shaped token: the claims a deployed OIDC token of the workflow's account would carry. */
function localToken(request: HttpRequest): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const audience = request.auth?.audience ?? request.url.split('?')[0];
  const who = request.serviceAccount
    ? { sub: request.serviceAccount, email: request.serviceAccount, email_verified: true }
    : { sub: 'local-workflow' };
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: 'https://accounts.google.com', aud: audience, ...who, type: request.auth?.type })}.`;
}

/** Response headers as a plain map (DOM lib typings lack Headers iteration). */
function headerMap(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((v, k) => (out[k] = v));
  return out;
}
