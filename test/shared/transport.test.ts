/**
 * shared/gcp/transport.ts on the wire: its own fetch, its metadata-server credentials and its
 * reading of failures, against servers that answer as Google's do (the metadata server of
 * emulator/iam/metadata-server.ts) and ones that misbehave as networks do.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetadataServer, type MetadataServer } from '../../emulator/iam/metadata-server.js';
import { MetadataServerCredentials, adcIsMetadataServer } from '../../shared/gcp/credentials.js';
import { Transport } from '../../shared/gcp/transport.js';
import { ApiError, isTransient } from '../../shared/errors.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A metadata server whose tokens live `expiresIn` seconds; counts the tokens it mints. */
async function metadata(expiresIn: number): Promise<MetadataServer & { minted: () => number }> {
  let minted = 0;
  const md = await startMetadataServer({
    email: 'sa@p.iam.gserviceaccount.com',
    project: 'netreflex-demo',
    projectNumber: '123456789012',
    mintToken: () => ({ accessToken: `token-${++minted}`, expiresIn }),
  });
  closers.push(() => md.close());
  return Object.assign(md, { minted: () => minted });
}

/** An HTTP server answering with `handle`; records the Authorization of every request. */
async function api(handle: Parameters<typeof createServer>[1]): Promise<{ url: string; auth: (string | undefined)[] }> {
  const auth: (string | undefined)[] = [];
  const server: Server = createServer((req, res) => {
    auth.push(req.headers.authorization);
    handle!(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth };
}

const json = (body: unknown, code = 200): Parameters<typeof createServer>[1] => {
  return (_req, res) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
};

/** A port nothing listens on (fetch refuses the spec's "bad ports" such as 1 before connecting). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const GET = { service: 'compute', method: 'GET', path: '/compute/v1/projects/p/global/routes' } as const;

describe('metadata-server credentials', () => {
  it('fetch one token for many concurrent calls and reuse it while it is fresh', async () => {
    const md = await metadata(3599);
    const server = await api(json({ kind: 'compute#routeList' }));
    const t = new Transport({ emulatorHost: server.url, metadataHost: md.host });
    await Promise.all(Array.from({ length: 8 }, () => t.request(GET)));
    await t.request(GET);
    expect(md.minted()).toBe(1);
    expect(new Set(server.auth)).toEqual(new Set(['Bearer token-1']));
  });

  it('refresh a token that expires within five minutes before using it again', async () => {
    const md = await metadata(240);
    const server = await api(json({}));
    const t = new Transport({ emulatorHost: server.url, metadataHost: md.host });
    await t.request(GET);
    await t.request(GET);
    expect(md.minted()).toBe(2);
    expect(server.auth).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('refuse a "metadata server" that does not answer with Metadata-Flavor: Google', async () => {
    const fake = await api(json({ access_token: 'stolen', expires_in: 3599 }));
    const creds = new MetadataServerCredentials(new URL(fake.url).host);
    await expect(creds.headers()).rejects.toThrow(/without Metadata-Flavor: Google/);
  });

  it('an unreachable metadata server is transient: the call is retried, not dropped', async () => {
    const server = await api(json({}));
    const nobody = `127.0.0.1:${await closedPort()}`;
    const creds = new MetadataServerCredentials(nobody);
    const err = await creds.headers().catch((e: unknown) => e);
    expect(isTransient(err)).toBe(true);
    const t = new Transport({
      emulatorHost: server.url,
      metadataHost: nobody,
      retry: { attempts: 2, baseMs: 1, maxMs: 1 },
    });
    await expect(t.request(GET)).rejects.toThrow(/did not answer/);
    expect(server.auth).toEqual([]);
  });

  it('ADC is the metadata server on Cloud Run (K_SERVICE) unless a key file comes first', () => {
    expect(adcIsMetadataServer({ K_SERVICE: 'natroutes' })).toBe(true);
    expect(adcIsMetadataServer({ K_SERVICE: 'natroutes', GOOGLE_APPLICATION_CREDENTIALS: '/k.json' })).toBe(false);
    expect(adcIsMetadataServer({})).toBe(false);
  });
});

describe('the answers of one call', () => {
  it('a Google error JSON becomes an ApiError with its code, status, message and first reason', async () => {
    const server = await api(
      json(
        {
          error: {
            code: 412,
            status: 'FAILED_PRECONDITION',
            message: 'stale fingerprint',
            errors: [{ reason: 'conditionNotMet' }],
          },
        },
        412,
      ),
    );
    const err = await new Transport({ emulatorHost: server.url }).request(GET).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: 412,
      status: 'FAILED_PRECONDITION',
      message: 'stale fingerprint',
      reason: 'conditionNotMet',
    });
    expect(server.auth).toHaveLength(1);
  });

  it('503 is retried until it passes; the body sent is JSON with its content type', async () => {
    let calls = 0;
    const bodies: string[] = [];
    const server = await api((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(`${req.headers['content-type']} ${body}`);
        json(++calls < 3 ? { error: { code: 503, message: 'busy' } } : { done: true }, calls < 3 ? 503 : 200)!(
          req,
          res,
        );
      });
    });
    const t = new Transport({ emulatorHost: server.url, retry: { baseMs: 1, maxMs: 1 } });
    await expect(t.request({ ...GET, method: 'POST', body: { name: 'r' } })).resolves.toEqual({ done: true });
    expect(bodies).toEqual(Array(3).fill('application/json {"name":"r"}'));
  });

  it('a socket closed mid-answer is a transient reset; a refused connection too', async () => {
    const server = await api((_req, res) => res.socket?.destroy());
    const reset = await new Transport({ emulatorHost: server.url, retry: { attempts: 1 } })
      .request(GET)
      .catch((e: unknown) => e);
    expect(reset).toMatchObject({ code: 'ECONNRESET' });
    expect(isTransient(reset)).toBe(true);
    const refused = await new Transport({
      emulatorHost: `http://127.0.0.1:${await closedPort()}`,
      retry: { attempts: 1 },
    })
      .request(GET)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an answer that never comes ends at timeoutMs as ETIMEDOUT', async () => {
    const server = await api(() => undefined);
    const err = await new Transport({ emulatorHost: server.url, timeoutMs: 50, retry: { attempts: 1 } })
      .request(GET)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('bytes come back as bytes, text as text, an empty answer as undefined', async () => {
    const server = await api((req, res) => {
      res.writeHead(200);
      res.end(req.url?.includes('empty') ? '' : '{"a":1}');
    });
    const t = new Transport({ emulatorHost: server.url });
    const bytes = await t.request<ArrayBuffer>({ ...GET, responseType: 'arraybuffer' });
    expect(new TextDecoder().decode(bytes)).toBe('{"a":1}');
    await expect(t.request({ ...GET, responseType: 'text' })).resolves.toBe('{"a":1}');
    await expect(t.request(GET)).resolves.toEqual({ a: 1 });
    await expect(t.request({ ...GET, path: '/empty' })).resolves.toBeUndefined();
  });
});
