/** How a failed read turns into a link state: a missing surface is "not checked", not "broken". */
import { ApiError, errorMessage } from '../errors.js';

/** True when the local Google Cloud does not serve this API method (yet). */
export function isMissingSurface(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404 && /no API method/.test(err.message);
}

/** A real 404: the resource does not exist (not a method the local Google Cloud does not serve). */
export function isNotFound(err: unknown): err is ApiError {
  return err instanceof ApiError && err.code === 404 && !isMissingSurface(err);
}

/** Why a read could not be judged: the missing surface, a permission, or the error itself. */
export function notCheckedReason(what: string, err: unknown): string {
  if (isMissingSurface(err)) return `not checked: the local Google Cloud does not serve ${what} yet`;
  if (err instanceof ApiError && err.code === 403) return `not checked: permission denied reading ${what} (${err.message})`;
  return `not checked: could not read ${what}: ${errorMessage(err)}`;
}
