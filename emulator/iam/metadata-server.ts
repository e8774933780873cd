/**
 * A Compute Engine metadata server for one local function: what Cloud Run functions give every
 * instance, so a function in the local stack gets its credentials the way a deployed one does —
 * it asks `GCE_METADATA_HOST` for the service account's token, as google-auth-library's `Compute`
 * client does too — and calls the local Google Cloud as its own service account.
 *
 * What it answers, as the metadata server does
 * (https://cloud.google.com/compute/docs/metadata/querying-metadata,
 * https://cloud.google.com/compute/docs/access/authenticate-workloads#applications):
 * - `GET /computeMetadata/v1/instance/service-accounts/{default|email}/token` →
 *   `{"access_token": …, "expires_in": …, "token_type": "Bearer"}`, here a token the emulator
 *   minted for the account (so every call the function makes is checked against that account's
 *   roles);
 * - `…/service-accounts/{default|email}/email`, `project/project-id`,
 *   `project/numeric-project-id` as text;
 * - every answer carries `Metadata-Flavor: Google` (gcp-metadata refuses one without it);
 * - a request without `Metadata-Flavor: Google`, or with `X-Forwarded-For`, is refused with 403
 *   ("If you don't provide this header, the metadata server denies your request"; requests
 *   containing X-Forwarded-For are rejected), an unknown key is 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FunctionIdentity {
  /** The service account's email (`my-sa@p.iam.gserviceaccount.com`). */
  email: string;
  project: string;
  projectNumber: string;
  /** A fresh access token standing for the account. */
  mintToken(): { accessToken: string; expiresIn: number };
}

export interface MetadataServer {
  /** `127.0.0.1:port`, the form GCE_METADATA_HOST takes. */
  host: string;
  close(): Promise<void>;
}

const BASE = '/computeMetadata/v1/';

/** The answer to `key` (the path under /computeMetadata/v1/), or undefined when there is none. */
function answer(id: FunctionIdentity, key: string): { type: string; body: string } | undefined {
  const sa = /^instance\/service-accounts\/([^/]+)\/(token|email)$/.exec(key);
  if (sa && (sa[1] === 'default' || decodeURIComponent(sa[1]!) === id.email)) {
    if (sa[2] === 'email') return { type: 'application/text', body: id.email };
    const t = id.mintToken();
    return {
      type: 'application/json',
      body: JSON.stringify({ access_token: t.accessToken, expires_in: t.expiresIn, token_type: 'Bearer' }),
    };
  }
  if (key === 'project/project-id') return { type: 'application/text', body: id.project };
  if (key === 'project/numeric-project-id') return { type: 'application/text', body: id.projectNumber };
  return undefined;
}

export async function startMetadataServer(id: FunctionIdentity, host = '127.0.0.1'): Promise<MetadataServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata.google.internal');
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'Metadata-Flavor': 'Google', 'Content-Type': type });
      res.end(body);
    };
    if (req.headers['metadata-flavor'] !== 'Google' || req.headers['x-forwarded-for'] !== undefined) {
      return send(
        403,
        'text/html; charset=UTF-8',
        'Your client does not have permission to get URL from this server. Missing Metadata-Flavor:Google header.',
      );
    }
    const found =
      req.method === 'GET' && url.pathname.startsWith(BASE) ? answer(id, url.pathname.slice(BASE.length)) : undefined;
    if (!found)
      return send(404, 'text/html; charset=UTF-8', `The requested URL ${url.pathname} was not found on this server.`);
    send(200, found.type, found.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  let closed: Promise<void> | undefined;
  return {
    host: `${host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
