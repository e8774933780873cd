/**
 * netreflex separates errors a retry can fix from errors only a person can fix. Event handlers turn
 * the first kind into a failed delivery (Eventarc/Pub/Sub redeliver when retries are on) and the
 * second into an acknowledged event with one clear log line, so a bad config never loops forever.
 */

/** Bad configuration or input: retrying changes nothing; the message says what to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message);
  }
}

/** A refusal by a safety rule (lock-out guard, ownership, pool exhausted): permanent, state untouched. */
export class SafetyError extends Error {
  override readonly name = 'SafetyError';
}

/** An error answered by a Google API (or the local emulator), in Google's error JSON shape. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }

  get transient(): boolean {
    return isTransientHttp(this.code);
  }
}

/** Google answered 404: the resource does not exist (or no longer does). */
export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.code === 404;

/** What `read` answers, or `undefined` when Google answers 404: absent is an answer, not an error. */
export async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** 429 and 5xx are worth retrying; other 4xx are not. */
const isTransientHttp = (code: number) => code === 429 || code >= 500;

/**
 * gRPC status code → the HTTP code Google maps it to (google.rpc.Code): the official clients
 * (Pub/Sub, Workflows) and long-running operations report failures as gRPC codes, and netreflex
 * judges them by the same rule as HTTP answers.
 */
export const HTTP_OF_GRPC: Readonly<Record<number, number>> = {
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  13: 500,
  14: 503,
};

const TRANSIENT_NET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * True when retrying the same call later may succeed: 429, 5xx (or their gRPC codes from an
 * official client: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL; or the HTTP
 * status an official client in REST mode reports as its code), a reset or refused connection.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiError) return err.transient;
  if (err instanceof ConfigError || err instanceof SafetyError) return false;
  const code = (err as { code?: unknown } | null)?.code;
  // gRPC codes are 0–16; an official client in REST mode (`fallback: true`) throws the HTTP status instead.
  if (typeof code === 'number') {
    const http = code >= 100 ? code : HTTP_OF_GRPC[code];
    return http !== undefined && isTransientHttp(http);
  }
  return typeof code === 'string' && TRANSIENT_NET_CODES.has(code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Exhaustiveness check for `switch` over string unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
