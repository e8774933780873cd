/**
 * How a failed read turns into a link: a read that fails is never ok and never a guess. A real
 * 404 of what the link looks at is broken (the thing is missing); every other failure — the API
 * unreachable, a permission denied, a persistent 5xx, a URL no API method serves — leaves the
 * link unknown, with the step that lets the next run see it. Failures are told apart by Google's
 * error shape (HTTP code, `error.status`, `errors[].reason`), never by a server's wording.
 */
import { ApiError, errorMessage, isNotFound } from '../errors.js';

/**
 * A 404 in Google's API error shape: the resource is missing. Compute names it in
 * `errors[].reason` (`notFound`), the OnePlatform APIs in `error.status` (`NOT_FOUND`,
 * google.rpc.Code 5); `toApiError` takes both from the body.
 */
const isApiNotFound = (err: ApiError) => err.status === 'NOT_FOUND' || err.reason === 'notFound';

/**
 * A 404 that is not an API error at all: the URL names no API method (Google's front end answers
 * such a URL with an HTML page, and so does the local Google Cloud), so nothing was looked up.
 */
export function isMissingSurface(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404 && !isApiNotFound(err);
}

/**
 * A real 404: the API looked the resource up and it does not exist — shared/errors.ts `isNotFound`
 * (any 404) narrowed to Google's API error shape, so a missing API surface is not taken for it.
 */
export function isResourceMissing(err: unknown): err is ApiError {
  return isNotFound(err) && err instanceof ApiError && isApiNotFound(err);
}

export interface Unreadable {
  reason: string;
  fix: string;
}

/** Where the reads went, for the fix: the local Google Cloud or Google's APIs. */
export interface ReadContext {
  project: string;
  emulatorHost?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The permission a 403 names. Compute Engine answers `Required 'compute.routes.list' permission
 * for 'projects/p'`; the IAM-checked APIs (Vertex AI, Workflows, Pub/Sub, Cloud Storage) answer
 * `Permission 'aiplatform.pipelineJobs.list' denied on resource …`.
 */
function namedPermission(message: string): string | undefined {
  return /Required '([\w.]+)' permission/.exec(message)?.[1] ?? /Permission '([\w.]+)' denied/.exec(message)?.[1];
}

/** A 403 that means the API is off in the project, not a missing role (Google's SERVICE_DISABLED / accessNotConfigured). */
const isServiceDisabled = (err: ApiError) =>
  err.reason === 'accessNotConfigured' ||
  /SERVICE_DISABLED|has not been used in project|it is disabled/i.test(err.message);

/** Why `what` could not be read (methods: the API calls the read makes) and what to do about it. */
export function unreadable(what: string, methods: readonly string[], err: unknown, ctx: ReadContext): Unreadable {
  const message = errorMessage(err);
  if (isMissingSurface(err)) {
    if (ctx.emulatorHost)
      return {
        reason: `could not check: the local Google Cloud does not serve ${what}`,
        fix: `check ${what} by hand (Cloud console or gcloud), or run netreflex status against the real project`,
      };
    return {
      reason: `could not check ${what}: the API has no method at the URL netreflex called (404 without an API error)`,
      fix: `update netreflex; meanwhile check ${what} by hand (Cloud console or gcloud)`,
    };
  }
  if (err instanceof ApiError) {
    if (err.code === 401)
      return { reason: `could not check ${what}: not authenticated (${message})`, fix: credentialsFix(ctx) };
    if (err.code === 403 && isServiceDisabled(err))
      return {
        reason: `could not check ${what}: the API is not enabled in ${ctx.project} (${message})`,
        fix:
          `enable it: gcloud services enable ${methods[0]?.split('.')[0] ?? 'compute'}.googleapis.com ` +
          `--project=${ctx.project} (terraform-bootstrap enables every API netreflex uses)`,
      };
    if (err.code === 403) {
      // Google's 403s name the permission; should one not, the method's reference page lists it.
      const needed =
        namedPermission(message) ?? `the permissions Google's API reference lists for ${methods.join(', ')}`;
      return {
        reason: `could not check ${what}: permission denied (${message})`,
        fix: `grant the identity running netreflex status ${needed} on project ${ctx.project}`,
      };
    }
    if (err.code === 429 || err.code >= 500)
      return {
        reason: `could not check ${what}: the API answered ${err.code} ${err.status} (${message})`,
        fix: 'a Google-side or quota failure: run netreflex status again; if it persists, check https://status.cloud.google.com and the project quotas',
      };
    return {
      reason: `could not check ${what}: the API answered ${err.code} ${err.status} (${message})`,
      fix: 'check the configuration status reads (NETREFLEX_PROJECT, NETREFLEX_REGION and the resource names) against the project',
    };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    const where = ctx.emulatorHost ?? 'the Google APIs';
    const fix = ctx.emulatorHost
      ? `start the local Google Cloud (npm start) or point NETREFLEX_EMULATOR_HOST at the one that runs (now ${ctx.emulatorHost})`
      : 'check that this machine reaches *.googleapis.com (network, proxy, DNS, VPC Service Controls)';
    return { reason: `could not check ${what}: ${where} unreachable (${message})`, fix };
  }
  if (/default credentials|invalid_grant|reauth|refresh token|GOOGLE_APPLICATION_CREDENTIALS/i.test(message))
    return { reason: `could not check ${what}: no usable credentials (${message})`, fix: credentialsFix(ctx) };
  return {
    reason: `could not check ${what}: ${message}`,
    fix: 'run netreflex status again; if the error stays, it names what to fix',
  };
}

const credentialsFix = (ctx: ReadContext) =>
  `log in with gcloud auth application-default login (or set GOOGLE_APPLICATION_CREDENTIALS) as an identity that can read project ${ctx.project}`;
