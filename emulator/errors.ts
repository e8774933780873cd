/**
 * Google API errors as the official clients expect them on the wire:
 * `{"error": {"code", "message", "status", "errors": [{"message", "domain", "reason"}]}}`.
 * google-gax turns this body into a GoogleError whose `code` the callers branch on.
 */

const STATUS_BY_CODE: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
};

const REASON_BY_CODE: Record<number, string> = {
  400: 'invalid',
  404: 'notFound',
  409: 'alreadyExists',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
  500: 'backendError',
  501: 'notImplemented',
  503: 'backendError',
};

export class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string = REASON_BY_CODE[code] ?? 'error',
  ) {
    super(message);
  }

  get status(): string {
    return STATUS_BY_CODE[this.code] ?? 'UNKNOWN';
  }

  toJSON() {
    return {
      error: {
        code: this.code,
        message: this.message,
        status: this.status,
        errors: [{ message: this.message, domain: 'global', reason: this.reason }],
      },
    };
  }
}

export const badRequest = (message: string, reason = 'invalid') => new HttpError(400, message, reason);
export const notFound = (what: string) => new HttpError(404, `The resource '${what}' was not found`);
export const alreadyExists = (what: string) => new HttpError(409, `The resource '${what}' already exists`);
export const preconditionFailed = (message: string) => new HttpError(412, message);

/** Exhaustiveness check for `switch` over string unions (the fake cloud keeps its own: it imports nothing of the product it serves). */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
