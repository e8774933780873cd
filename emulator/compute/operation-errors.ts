/**
 * How a failed Compute Engine operation reports its error, as Google does: the operation is DONE
 * with `error.errors[] {code, message}`, `httpErrorStatusCode` and `httpErrorMessage`
 * (compute.proto `Operation.error`, `Operation.http_error_status_code`: "If the operation fails,
 * this field contains the HTTP error status code that was returned. For example, a `404` means the
 * resource was not found."; `http_error_message`: "the HTTP error message that was returned, such
 * as `NOT FOUND`").
 *
 * `errors[].code` is the reason of Compute's error catalogue
 * (https://cloud.google.com/compute/docs/reference/rest/v1/errors: `INVALID_FIELD_VALUE` 400,
 * `MISSING_REQUIRED_FIELD` 400, `PERMISSIONS_ERROR` 403, …), never the emulator's own words. The
 * codes the catalogue's excerpt does not show are the ones Compute operations carry in the wild:
 * `RESOURCE_NOT_FOUND` (404), `RESOURCE_ALREADY_EXISTS` (409), `QUOTA_EXCEEDED` (403),
 * `CONDITION_NOT_MET` with `httpErrorMessage: "PRECONDITION FAILED"` (412, a DONE
 * `instanceGroupManagers.createInstances` operation captured in Google's GKE-side test fixtures),
 * `RATE_LIMIT_EXCEEDED` (429) and `INTERNAL_ERROR` (5xx). `httpErrorMessage` is the HTTP reason
 * phrase in capitals, as that capture shows.
 */
import { HttpError } from '../errors.js';

/** The HTTP reason phrase Compute puts in `httpErrorMessage`. */
const REASON_PHRASE: Record<number, string> = {
  400: 'BAD REQUEST',
  403: 'FORBIDDEN',
  404: 'NOT FOUND',
  409: 'CONFLICT',
  412: 'PRECONDITION FAILED',
  429: 'TOO MANY REQUESTS',
  500: 'INTERNAL SERVER ERROR',
  503: 'SERVICE UNAVAILABLE',
};

/** The operation error code of a failure with this HTTP status (and emulator reason). */
export function operationErrorCode(err: HttpError): string {
  switch (err.code) {
    case 400:
      return err.reason === 'required' ? 'MISSING_REQUIRED_FIELD' : 'INVALID_FIELD_VALUE';
    case 403:
      return /quota/i.test(err.reason) ? 'QUOTA_EXCEEDED' : 'PERMISSIONS_ERROR';
    case 404:
      return 'RESOURCE_NOT_FOUND';
    case 409:
      return 'RESOURCE_ALREADY_EXISTS';
    case 412:
      return 'CONDITION_NOT_MET';
    case 429:
      return 'RATE_LIMIT_EXCEEDED';
    default:
      return 'INTERNAL_ERROR';
  }
}

/**
 * The fields a DONE operation gets when `err` ended it. An error that knows its operation form (a
 * quota's `QUOTA_EXCEEDED` with `errorDetails[].quotaInfo`) gives it.
 */
/** An error that says itself what its operation ends with (a quota's `QUOTA_EXCEEDED`, a network in use). */
const carriesOperationError = (
  err: HttpError,
): err is HttpError & { operationError: { code: string; message: string } } => 'operationError' in err;

export function operationFailure(err: HttpError): {
  error: { errors: { code: string; message: string }[] };
  httpErrorStatusCode: number;
  httpErrorMessage: string;
} {
  const own = carriesOperationError(err) ? err.operationError : undefined;
  return {
    error: { errors: [own ?? { code: operationErrorCode(err), message: err.message }] },
    httpErrorStatusCode: err.code,
    httpErrorMessage: REASON_PHRASE[err.code] ?? (err.code >= 500 ? 'INTERNAL SERVER ERROR' : 'BAD REQUEST'),
  };
}

/** HTTP statuses an injected operation failure may end with (the fault API's `code`). */
export const OPERATION_FAULT_CODES = [400, 403, 404, 409, 412, 429, 500, 503] as const;

/** The error an injected operation failure ends with: 500 INTERNAL_ERROR unless a code is given. */
export function injectedOperationError(message: string, code = 500): HttpError {
  return new HttpError(code, message, code === 403 ? 'quotaExceeded' : undefined);
}
