/**
 * Where the `Authorization` of netreflex's calls comes from.
 *
 * A deployed function asks the metadata server for its service account's token, as Application
 * Default Credentials do on Cloud Run functions: `GET /computeMetadata/v1/instance/service-accounts/default/token`
 * with `Metadata-Flavor: Google`, answered `{"access_token", "expires_in", "token_type"}`
 * (https://cloud.google.com/compute/docs/access/authenticate-workloads#applications; Cloud Run:
 * https://cloud.google.com/run/docs/securing/service-identity#fetching_identity_and_access_tokens).
 * netreflex does this itself with the platform's fetch rather than through google-auth-library:
 * loading that library (with gaxios and node-fetch) was ~50 ms of natRoutes' ~135 ms cold-start
 * overhead over a bare function (`npm run bench`, cold-start). Everything else — a developer's
 * gcloud credentials, a key file — still goes through google-auth-library, imported only then.
 */
import { ApiError } from '../errors.js';

export interface Credentials {
  /** The headers that authenticate one call (none for the local Google Cloud's owner). */
  headers(): Promise<Record<string, string>>;
}

/** No credentials: the local Google Cloud takes an unauthenticated call for the project owner. */
export const ANONYMOUS: Credentials = { headers: async () => ({}) };

export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** google-auth-library refreshes a token this long before it expires (its eagerRefreshThresholdMillis); so does netreflex. */
const REFRESH_EARLY_MS = 5 * 60_000;

interface Token {
  value: string;
  /** performance.now() after which the token is refreshed before use. */
  refreshAt: number;
}

/**
 * The service account's token from a metadata server (`host`: metadata.google.internal on Google,
 * the local stack's own server for a local function), cached until five minutes before it
 * expires; concurrent calls share one fetch.
 */
export class MetadataServerCredentials implements Credentials {
  private token?: Token;
  private pending?: Promise<Token>;

  constructor(private readonly host: string) {}

  async headers(): Promise<Record<string, string>> {
    const token = this.token && performance.now() < this.token.refreshAt ? this.token : await this.refresh();
    return { authorization: `Bearer ${token.value}` };
  }

  private refresh(): Promise<Token> {
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchToken(): Promise<Token> {
    const url = `http://${this.host}/computeMetadata/v1/instance/service-accounts/default/token`;
    let res: Response;
    try {
      // No redirects: a token request goes to the metadata server and nowhere else.
      res = await fetch(url, {
        headers: { 'Metadata-Flavor': 'Google' },
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      // The metadata server is local to the instance: an unreachable one is a transient failure.
      const code = (err as { cause?: { code?: unknown } }).cause?.code;
      throw Object.assign(new Error(`the metadata server ${this.host} did not answer (${String(code ?? err)})`), {
        code: 'ECONNRESET',
      });
    }
    const text = await res.text();
    if (!res.ok)
      throw new ApiError(
        res.status,
        String(res.status),
        `the metadata server ${this.host} refused the service account token: ${text.slice(0, 200)}`,
      );
    // Google's metadata server marks every answer; one without the mark is not it (gcp-metadata checks the same).
    if (res.headers.get('metadata-flavor') !== 'Google')
      throw new Error(`${this.host} answered without Metadata-Flavor: Google; it is not a metadata server`);
    const body = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number')
      throw new Error(`the metadata server ${this.host} answered a token without access_token/expires_in`);
    const token = {
      value: body.access_token,
      refreshAt: performance.now() + Math.max(0, body.expires_in * 1000 - REFRESH_EARLY_MS),
    };
    this.token = token;
    return token;
  }
}

/** Application Default Credentials through google-auth-library, loaded on first use (the CLI against a real project). */
export function applicationDefault(): Credentials {
  let client: Promise<{ getRequestHeaders(): Promise<unknown> }> | undefined;
  return {
    async headers() {
      client ??= import('google-auth-library').then(({ GoogleAuth }) =>
        new GoogleAuth({ scopes: [CLOUD_PLATFORM] }).getClient(),
      );
      const headers: Record<string, string> = {};
      new Headers((await (await client).getRequestHeaders()) as HeadersInit).forEach((v, k) => (headers[k] = v));
      return headers;
    },
  };
}

/**
 * Whether this process is a Cloud Run service (Cloud Run functions are), whose ADC is the
 * metadata server unless GOOGLE_APPLICATION_CREDENTIALS names a key file first
 * (https://cloud.google.com/docs/authentication/application-default-credentials#order; Cloud Run
 * sets K_SERVICE: https://cloud.google.com/run/docs/container-contract#services-env-vars).
 */
export const adcIsMetadataServer = (env: Record<string, string | undefined>): boolean =>
  Boolean(env.K_SERVICE) && !env.GOOGLE_APPLICATION_CREDENTIALS;
