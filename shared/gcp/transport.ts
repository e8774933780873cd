/**
 * How netreflex talks to Google APIs: JSON over REST through google-auth-library, the same wire
 * the official clients use in REST mode. netreflex's functions use this thin layer rather than
 * `@google-cloud/compute`, whose first call costs ~1.5 s of protobuf reflection on a cold start
 * (measured in `npm run bench`); the emulator tests prove both speak the same wire format.
 *
 * Credentials: production uses Application Default Credentials (on Cloud Run functions, the
 * metadata server's token for the function's service account). Against the local Google Cloud a
 * function the local stack runs has a metadata server of its own (`metadataHost`), and the
 * transport asks it through google-auth-library's `Compute` client — the production path, so the
 * function calls as its own service account and the emulator checks its roles. Without one (the
 * CLI, tests) the calls carry no token, which the local Google Cloud takes for the project owner;
 * never ADC, so a developer's own credentials never reach it.
 *
 * Transient failures (429, 5xx, resets) are retried with capped, jittered exponential backoff;
 * everything else surfaces at once as an `ApiError` carrying Google's code and message.
 */
import { Compute, GoogleAuth, PassThroughClient } from 'google-auth-library';
import { ApiError, errorMessage, isTransient } from '../errors.js';
import type { Logger } from '../log.js';
import { sleep } from '../util/concurrency.js';

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
   * host:port of the metadata server standing for the caller's service account (emulator mode
   * only). google-auth-library reads the same GCE_METADATA_HOST itself; this says to use it.
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
  body?: unknown;
  /** `text` for media downloads (a JSON file must come back as its bytes, not parsed). */
  responseType?: 'json' | 'text' | 'arraybuffer';
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 8_000 };

interface Requester {
  request<T>(opts: {
    url: string;
    method: string;
    data?: unknown;
    retry: boolean;
    headers?: Record<string, string>;
    responseType?: 'json' | 'text' | 'arraybuffer';
  }): Promise<{ data: T }>;
}

export class Transport {
  private requester?: Requester;
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
        const timeout = this.options.timeoutMs ? { timeout: this.options.timeoutMs } : {};
        const res = await (
          await this.client()
        ).request<T>({
          url,
          method: call.method,
          data: call.body,
          retry: false,
          headers: { 'x-goog-api-client': 'netreflex/0.1' },
          ...timeout,
          ...(call.responseType ? { responseType: call.responseType } : {}),
        });
        return res.data;
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

  /** gaxios ends an attempt past `timeout` by aborting it (AbortSignal.timeout): an AbortError, no status. */
  private timedOut(err: unknown): boolean {
    const e = err as { response?: unknown; name?: string; cause?: { name?: string } } | null;
    return (
      Boolean(this.options.timeoutMs) &&
      !e?.response &&
      [e?.name, e?.cause?.name].some((n) => n === 'AbortError' || n === 'TimeoutError')
    );
  }

  private url(call: Call): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.baseUrl(call.service)}${call.path}${qs ? `?${qs}` : ''}`;
  }

  private async client(): Promise<Requester> {
    this.requester ??= (this.options.emulatorHost
      ? emulatorAuthClient(this.options)
      : await new GoogleAuth({ scopes: [CLOUD_PLATFORM] }).getClient()) as unknown as Requester;
    return this.requester;
  }
}

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * The auth client for calls to the local Google Cloud: the metadata server's service account when
 * one is configured, no credentials (the project owner) otherwise. Also for the official clients
 * netreflex uses (shared/gcp/workflows.ts), so every call of a function carries the same identity.
 */
export function emulatorAuthClient(options: Pick<TransportOptions, 'metadataHost'>): Compute | PassThroughClient {
  return options.metadataHost ? new Compute({ scopes: [CLOUD_PLATFORM] }) : new PassThroughClient();
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

/** Google error JSON (or a network failure) as an ApiError / coded Error. */
export function toApiError(err: unknown): unknown {
  const e = err as {
    response?: { status?: number; data?: unknown };
    code?: unknown;
    cause?: { code?: unknown };
    message?: string;
  };
  if (e?.response?.status) {
    const data = parseMaybe(e.response.data) as
      { error?: { code?: number; status?: string; message?: string; errors?: { reason?: string }[] } } | undefined;
    const g = data?.error;
    return new ApiError(
      e.response.status,
      g?.status ?? String(e.response.status),
      g?.message ?? e.message ?? 'request failed',
      g?.errors?.[0]?.reason,
    );
  }
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  if (code) return Object.assign(new Error(`${e.message ?? 'network error'} (${code})`), { code });
  if (e?.message && /fetch failed|socket hang up|other side closed|terminated/i.test(e.message))
    return Object.assign(new Error(e.message), { code: 'ECONNRESET' });
  return err;
}

function parseMaybe(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
