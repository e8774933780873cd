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
 * What the metadata path does not do that google-auth-library's Compute client did: ask for
 * `?scopes=` (Cloud Run's token already has cloud-platform) and add `x-goog-user-project` from
 * GOOGLE_CLOUD_QUOTA_PROJECT (a function bills its own project).
 */
export interface Credentials {
  /** The headers that authenticate one call (none for the local Google Cloud's owner). */
  headers(): Promise<Record<string, string>>;
}

/** No credentials: the local Google Cloud takes an unauthenticated call for the project owner. */
export const ANONYMOUS: Credentials = { headers: async () => ({}) };

export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * Getting the token failed: never an ApiError, so no caller takes a metadata server's 404 for a
 * missing route or object. `code` is a network code isTransient knows only when a retry can help
 * (the server unreachable, slow, or answering 5xx/429).
 */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  constructor(
    message: string,
    readonly code?: 'ECONNRESET' | 'ETIMEDOUT',
  ) {
    super(message);
  }
}

/** google-auth-library refreshes a token this long before it expires (its eagerRefreshThresholdMillis); so does netreflex. */
const REFRESH_EARLY_MS = 5 * 60_000;
/** An access token is printable ASCII (RFC 6750 b64token); anything else is refused unseen, never echoed. */
const TOKEN = /^[\x21-\x7e]+$/;

interface Token {
  value: string;
  /** performance.now() after which the token is refreshed before use. */
  refreshAt: number;
  /** performance.now() after which it is no longer used at all. */
  expiresAt: number;
}

/**
 * The service account's token from a metadata server (`host`: 169.254.169.254 on Google, as
 * gcp-metadata asks it, so no DNS lookup stands in the way; the local stack's own server for a
 * local function), cached until five minutes before it expires; concurrent calls share one fetch.
 * A refresh that fails while the cached token is still valid keeps using it.
 */
export class MetadataServerCredentials implements Credentials {
  private token?: Token;
  private pending?: Promise<Token>;

  constructor(private readonly host: string) {}

  async headers(): Promise<Record<string, string>> {
    const now = performance.now();
    let token = this.token;
    if (!token || now >= token.refreshAt) {
      try {
        token = await this.refresh();
      } catch (err) {
        if (!token || performance.now() >= token.expiresAt) throw err;
      }
    }
    return { authorization: `Bearer ${token.value}` };
  }

  private refresh(): Promise<Token> {
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchToken(): Promise<Token> {
    const what = `the metadata server ${this.host}`;
    const url = `http://${this.host}/computeMetadata/v1/instance/service-accounts/default/token`;
    let res: Response;
    let text: string;
    try {
      // No redirects: a token request goes to the metadata server and nowhere else.
      res = await fetch(url, {
        headers: { 'Metadata-Flavor': 'Google' },
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
      text = await res.text();
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: unknown; message?: string } };
      if (e.name === 'TimeoutError') throw new CredentialsError(`${what} did not answer within 10 s`, 'ETIMEDOUT');
      const code = typeof e.cause?.code === 'string' ? e.cause.code : undefined;
      // A socket-level failure is worth a retry; anything else (a redirect it must not follow) is not.
      if (code) throw new CredentialsError(`${what} did not answer (${code})`, 'ECONNRESET');
      throw new CredentialsError(`${what} answered with a redirect or an unusable answer: ${e.cause?.message ?? err}`);
    }
    if (!res.ok)
      throw new CredentialsError(
        `${what} refused the service account token with HTTP ${res.status}`,
        res.status === 429 || res.status >= 500 ? 'ECONNRESET' : undefined,
      );
    // Google's metadata server marks every answer; one without the mark is not it (gcp-metadata checks the same).
    if (res.headers.get('metadata-flavor') !== 'Google')
      throw new CredentialsError(`${this.host} answered without Metadata-Flavor: Google; it is not a metadata server`);
    let body: { access_token?: unknown; expires_in?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Never the parser's message: it quotes the body, which may be a token.
    }
    if (typeof body?.access_token !== 'string' || !TOKEN.test(body.access_token) || typeof body.expires_in !== 'number')
      throw new CredentialsError(`${what} answered no usable token (access_token and expires_in)`);
    const now = performance.now();
    const token = {
      value: body.access_token,
      refreshAt: now + Math.max(0, body.expires_in * 1000 - REFRESH_EARLY_MS),
      expiresAt: now + body.expires_in * 1000,
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
      // A failed load is not kept: the next attempt tries again.
      client ??= import('google-auth-library')
        .then(({ GoogleAuth }) => new GoogleAuth({ scopes: [CLOUD_PLATFORM] }).getClient())
        .catch((err: unknown) => {
          client = undefined;
          throw err;
        });
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

/**
 * Who a transport's calls are made as, in this order: the metadata server named for it (a local
 * function's); against the local Google Cloud nobody (the owner) — never ADC, so a developer's own
 * credentials never reach it; on Cloud Run the metadata server (GCE_METADATA_IP, else
 * 169.254.169.254); elsewhere (the CLI against a real project) ADC through google-auth-library.
 */
export function credentialsFor(
  options: { metadataHost?: string; emulatorHost?: string },
  env: Record<string, string | undefined>,
): Credentials {
  if (options.metadataHost) return new MetadataServerCredentials(options.metadataHost);
  if (options.emulatorHost) return ANONYMOUS;
  if (adcIsMetadataServer(env)) return new MetadataServerCredentials(env.GCE_METADATA_IP ?? '169.254.169.254');
  return applicationDefault();
}
