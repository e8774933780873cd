/**
 * How netreflex talks to Google APIs: JSON over REST with the platform's fetch, the same wire the
 * official clients use in REST mode. netreflex's functions use this thin layer rather than
 * `@google-cloud/compute`, whose first call costs ~1.5 s of protobuf reflection on a cold start
 * (measured in `npm run bench`); the emulator tests prove both speak the same wire format.
 *
 * Credentials (credentials.ts): a deployed function calls as its service account with the
 * metadata server's token, as ADC does on Cloud Run. Against the local Google Cloud a function the
 * local stack runs has a metadata server of its own (`metadataHost`) and takes the same path, so
 * it calls as its own service account and the emulator checks its roles. Without one (the CLI,
 * tests) the calls carry no token, which the local Google Cloud takes for the project owner; never
 * ADC, so a developer's own credentials never reach it. The CLI against a real project uses ADC
 * through google-auth-library.
 *
 * Transient failures (429, 5xx, resets) are retried with capped, jittered exponential backoff;
 * everything else surfaces at once as an `ApiError` carrying Google's code and message.
 */
import { ApiError, errorMessage, isTransient } from '../errors.js';
import type { Logger } from '../log.js';
import { sleep } from '../util/concurrency.js';
import { credentialsFor, type Credentials } from './credentials.js';

/** The Google APIs netreflex calls (each `<service>.googleapis.com`). */
export const SERVICES = [
  'compute',
  'storage',
  'servicenetworking',
  'aiplatform',
  'workflowexecutions',
  'pubsub',
] as const;
export type Service = (typeof SERVICES)[number];

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export interface TransportOptions {
  /** Base URL of the local Google Cloud; unset = production endpoints with ADC. */
  emulatorHost?: string;
  /**
   * host:port of the metadata server whose service account the calls are made as: the local
   * stack's for a local function (GCE_METADATA_HOST, the variable Google's libraries read too).
   * Unset on Cloud Run, where ADC's metadata server is metadata.google.internal.
   */
  metadataHost?: string;
  region?: string;
  retry?: Partial<RetryPolicy>;
  /**
   * How long one attempt may wait for its answer; past it the attempt fails as ETIMEDOUT (and is
   * retried like a reset). Unset: no limit. A caller that must always answer (netreflex status)
   * sets one, so an API that accepts a connection and never answers cannot hang it.
   */
  timeoutMs?: number;
  /** Called before each retry, for logs. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; method: string; path: string }) => void;
}

export interface Call {
  service: Service;
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body: an object or an array, sent as its JSON text (never a string or bytes, which would be encoded twice). */
  body?: object;
  /** `arraybuffer` for media downloads (a JSON file must come back as its bytes, not parsed); `text` for other raw text. */
  responseType?: 'json' | 'text' | 'arraybuffer';
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;
const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 8_000 };

export class Transport {
  private credentials?: Credentials;
  private fetchImpl?: Promise<Fetch>;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: TransportOptions = {}) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  baseUrl(service: Service): string {
    if (this.options.emulatorHost) return this.options.emulatorHost.replace(/\/$/, '');
    if (service === 'aiplatform') return `https://${this.options.region ?? 'us-central1'}-aiplatform.googleapis.com`;
    return `https://${service}.googleapis.com`;
  }

  /** Sends one call, retrying transient failures; answers the parsed JSON body. */
  async request<T>(call: Call): Promise<T> {
    const url = this.url(call);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.send(url, call)) as T;
      } catch (err) {
        const error = this.timedOut(err)
          ? Object.assign(
              new Error(`no answer from ${new URL(url).host} within ${this.options.timeoutMs} ms (ETIMEDOUT)`),
              { code: 'ETIMEDOUT' },
            )
          : toApiError(err);
        if (!isTransient(error) || attempt >= this.retry.attempts) throw error;
        const delayMs = Math.round(Math.random() * Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempt - 1)));
        this.options.onRetry?.({ attempt, delayMs, error, method: call.method, path: call.path });
        await sleep(delayMs);
      }
    }
  }

  /** One attempt: a non-2xx answer throws an ApiError from Google's error JSON. */
  private async send(url: string, call: Call): Promise<unknown> {
    const headers: Record<string, string> = {
      ...(await this.auth().headers()),
      'x-goog-api-client': 'netreflex/0.1',
      ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const res = await (
      await this.fetcher()
    )(url, {
      method: call.method,
      headers,
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      ...(this.options.timeoutMs ? { signal: AbortSignal.timeout(this.options.timeoutMs) } : {}),
    });
    if (res.ok && call.responseType === 'arraybuffer') return res.arrayBuffer();
    const text = await res.text();
    if (!res.ok) throw httpError(res.status, text);
    if (call.responseType === 'text' || !text) return text || undefined;
    const parsed = parseMaybe(text);
    // A 2xx that is not JSON is no Google answer (a body cut short, a proxy's page): retry, never guess.
    if (parsed === undefined)
      throw Object.assign(new Error(`${new URL(url).host} answered ${res.status} with a body that is not JSON`), {
        code: 'ECONNRESET',
      });
    return parsed;
  }

  /** An attempt past `timeoutMs` is aborted by AbortSignal.timeout: a TimeoutError, no status. */
  private timedOut(err: unknown): boolean {
    const e = err as { name?: string; cause?: { name?: string } } | null;
    return (
      Boolean(this.options.timeoutMs) &&
      [e?.name, e?.cause?.name].some((n) => n === 'AbortError' || n === 'TimeoutError')
    );
  }

  private url(call: Call): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.baseUrl(call.service)}${call.path}${qs ? `?${qs}` : ''}`;
  }

  private auth(): Credentials {
    this.credentials ??= credentialsFor(this.options, process.env);
    return this.credentials;
  }

  /**
   * Node 20's fetch ignores HTTPS_PROXY/HTTP_PROXY/NO_PROXY, which gaxios honoured: behind a proxy
   * (a developer's CLI against a real project) the calls go through undici's EnvHttpProxyAgent,
   * which reads them as curl does. Loaded only then; never for the local Google Cloud.
   */
  private fetcher(): Promise<Fetch> {
    this.fetchImpl ??= (async () => {
      if (this.options.emulatorHost || !PROXY_VARS.some((v) => process.env[v])) return fetch;
      const undici = await import('undici');
      const dispatcher = new undici.EnvHttpProxyAgent();
      return ((url: string, init: RequestInit) =>
        undici.fetch(url, { ...init, dispatcher } as never)) as unknown as Fetch;
    })();
    return this.fetchImpl;
  }
}

/** The transport of a deployed function: retries are logged as WARNING under its name, so a slow sync says why. */
export function functionTransport(
  cfg: { emulatorHost?: string; metadataHost?: string; region: string },
  log: Pick<Logger, 'warn'>,
  who: string,
): Transport {
  return new Transport({
    emulatorHost: cfg.emulatorHost,
    metadataHost: cfg.metadataHost,
    region: cfg.region,
    onRetry: (i) =>
      log.warn(
        { attempt: i.attempt, delayMs: i.delayMs, path: i.path, error: errorMessage(i.error) },
        `${who}: retrying a transient API error`,
      ),
  });
}

type GoogleErrorBody = { error?: { status?: string; message?: string; errors?: { reason?: string }[] } };

/** A non-2xx answer as an ApiError, with Google's status, message and first reason from its error JSON. */
export function httpError(code: number, body: string): ApiError {
  const g = (parseMaybe(body) as GoogleErrorBody | undefined)?.error;
  return new ApiError(code, g?.status ?? String(code), g?.message ?? `HTTP ${code}`, g?.errors?.[0]?.reason);
}

/**
 * fetch's failures without an answer (undici's, the fetch of Node ≥ 18) as the network codes
 * isTransient knows. undici rejects with `TypeError: fetch failed` whose cause is the socket's
 * error (ECONNREFUSED, ECONNRESET…) or one of its own
 * (https://undici.nodejs.org/#/docs/api/Errors): a socket closed mid-answer is UND_ERR_SOCKET, its
 * timeouts UND_ERR_*_TIMEOUT; a body cut off mid-read is `TypeError: terminated`.
 */
const UNDICI_CODES: Readonly<Record<string, string>> = {
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_CLOSED: 'ECONNRESET',
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT',
};

/** An error of one attempt as an ApiError (already one) or a coded network Error. */
export function toApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const e = err as { code?: unknown; cause?: { code?: unknown; message?: string }; message?: string } | null;
  const raw = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const code = raw ? (UNDICI_CODES[raw] ?? raw) : undefined;
  const why = e?.cause?.message && e.cause.message !== e.message ? `${e.message}: ${e.cause.message}` : e?.message;
  if (code) return Object.assign(new Error(`${why ?? 'network error'} (${code})`), { code });
  // The Fetch standard blocks some ports before connecting (https://fetch.spec.whatwg.org/#bad-port).
  if (e?.cause?.message === 'bad port')
    return new Error(`${why}: fetch never connects to this port (a "bad port" of the Fetch standard); use another`);
  // A body cut off mid-read ("terminated") has no code; other coded-less fetch failures (a
  // redirect loop, a refused port) are not the network's and a retry cannot help.
  if (why && /socket hang up|other side closed|terminated/i.test(why))
    return Object.assign(new Error(why), { code: 'ECONNRESET' });
  return err;
}

function parseMaybe(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
