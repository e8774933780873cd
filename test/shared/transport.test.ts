/**
 * shared/gcp/transport.ts on the wire: its own fetch, its metadata-server credentials and its
 * reading of failures, against servers that answer as Google's do (the metadata server of
 * emulator/iam/metadata-server.ts) and ones that misbehave as networks do.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetadataServer, type MetadataServer } from '../../emulator/iam/metadata-server.js';
import {
  ANONYMOUS,
  CredentialsError,
  MetadataServerCredentials,
  adcIsMetadataServer,
  credentialsFor,
} from '../../shared/gcp/credentials.js';
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

/** A metadata server that answers what `answer` says, with Metadata-Flavor: Google unless told not to. */
async function fakeMetadata(answer: () => { code: number; body: string; flavor?: boolean; location?: string }) {
  return api((_req, res) => {
    const a = answer();
    res.writeHead(a.code, {
      ...(a.flavor === false ? {} : { 'Metadata-Flavor': 'Google' }),
      ...(a.location ? { location: a.location } : {}),
    });
    res.end(a.body);
  });
}

describe('metadata-server failures', () => {
  it('a refusal is a CredentialsError, never an ApiError a caller could take for a missing resource', async () => {
    const md = await fakeMetadata(() => ({ code: 404, body: 'not found' }));
    const err = await new MetadataServerCredentials(new URL(md.url).host).headers().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect(err).not.toBeInstanceOf(ApiError);
    expect(isTransient(err)).toBe(false);
    const busy = await fakeMetadata(() => ({ code: 503, body: 'busy' }));
    expect(isTransient(await new MetadataServerCredentials(new URL(busy.url).host).headers().catch((e) => e))).toBe(
      true,
    );
  });

  it('a redirect is refused as one, and not retried', async () => {
    const md = await fakeMetadata(() => ({ code: 302, body: '', location: 'http://203.0.113.9/token' }));
    const err = await new MetadataServerCredentials(new URL(md.url).host).headers().catch((e: unknown) => e);
    expect(String(err)).toMatch(/redirect/);
    expect(isTransient(err)).toBe(false);
  });

  it('never echoes what it was answered: a body that is not JSON, a token with a control character', async () => {
    for (const body of ['ya29.secret-not-json', JSON.stringify({ access_token: 'ya29.se\ncret', expires_in: 3599 })]) {
      const md = await fakeMetadata(() => ({ code: 200, body }));
      const err = await new MetadataServerCredentials(new URL(md.url).host).headers().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CredentialsError);
      expect(String((err as Error).message)).not.toMatch(/secret|se\ncret|ya29/);
    }
  });

  it('a failed refresh keeps using the cached token while it is still valid', async () => {
    let up = true;
    const md = await fakeMetadata(() =>
      up ? { code: 200, body: JSON.stringify({ access_token: 'token-1', expires_in: 240 }) } : { code: 503, body: '' },
    );
    const creds = new MetadataServerCredentials(new URL(md.url).host);
    expect(await creds.headers()).toEqual({ authorization: 'Bearer token-1' });
    up = false;
    expect(await creds.headers()).toEqual({ authorization: 'Bearer token-1' });
  });
});

describe('who the calls are made as', () => {
  it('the named metadata server first; against the local cloud nobody, even on Cloud Run; Cloud Run its metadata server; else ADC', () => {
    expect(credentialsFor({ metadataHost: '127.0.0.1:9', emulatorHost: 'http://e' }, {})).toBeInstanceOf(
      MetadataServerCredentials,
    );
    expect(credentialsFor({ emulatorHost: 'http://e' }, { K_SERVICE: 'natroutes' })).toBe(ANONYMOUS);
    expect(credentialsFor({}, { K_SERVICE: 'natroutes' })).toBeInstanceOf(MetadataServerCredentials);
    const adc = credentialsFor({}, {});
    expect(adc).not.toBeInstanceOf(MetadataServerCredentials);
    expect(adc).not.toBe(ANONYMOUS);
  });
});

describe('proxies', () => {
  it('behind HTTPS_PROXY the calls to Google go through the proxy (CONNECT), as they did with gaxios', async () => {
    const connects: string[] = [];
    const proxy = createServer();
    proxy.on('connect', (req, socket) => {
      connects.push(String(req.url));
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => proxy.close(() => r())));
    const md = await metadata(3599);
    const saved = process.env.HTTPS_PROXY;
    process.env.HTTPS_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const t = new Transport({ metadataHost: md.host, retry: { attempts: 1 } });
      await expect(t.request(GET)).rejects.toThrow();
    } finally {
      if (saved === undefined) delete process.env.HTTPS_PROXY;
      else process.env.HTTPS_PROXY = saved;
    }
    expect(connects).toEqual(['compute.googleapis.com:443']);
  });
});

describe('answers that are not Google answers', () => {
  it('a 2xx whose body is not JSON is a transient failure, never a string taken for the answer', async () => {
    const server = await api((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>proxy page</html>');
    });
    const err = await new Transport({ emulatorHost: server.url, retry: { attempts: 1 } })
      .request(GET)
      .catch((e: unknown) => e);
    expect(isTransient(err)).toBe(true);
  });
});
