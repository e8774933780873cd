/**
 * The one HTTP door every HTTP function answers through (functions/http.ts), pinned once under the
 * real Functions Framework (the process the local stack runs each function in), with a handler
 * that answers or throws what the request says (fixtures/door-function.ts). Every refusal and
 * failure is the same envelope, with the kernel's status code.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnFunction, type FunctionProcess } from '../../local/functions-host.js';
import { waitFor } from '../helpers/compute.js';

let fn: FunctionProcess;

beforeAll(async () => {
  fn = await spawnFunction({
    target: 'door',
    signatureType: 'http',
    port: 0,
    env: {},
    source: fileURLToPath(new URL('./fixtures/door-function.ts', import.meta.url)),
  });
}, 60_000);

afterAll(async () => {
  await fn?.stop();
});

interface Answer {
  code: number;
  allow: string | null;
  text: string;
  body: Record<string, unknown> & { reasons?: string[]; error?: { kind: string; message: string } };
}

async function call(init: RequestInit & { json?: unknown } = {}): Promise<Answer> {
  const { json, ...rest } = init;
  const res = await fetch(fn.url, {
    method: 'POST',
    ...(json !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) } : {}),
    ...rest,
  });
  const text = await res.text();
  return { code: res.status, allow: res.headers.get('allow'), text, body: JSON.parse(text) as Answer['body'] };
}

/** The fields every refusal and failure has, and nothing applied. */
const ENVELOPE = ['dryRun', 'error', 'mutations', 'reasons', 'results', 'retry', 'status', 'warnings'];
const refused = (kind: string, retry = false) => ({
  status: kind === 'transient' || kind === 'internal' ? 'failed' : 'refused',
  warnings: [],
  results: [],
  mutations: 0,
  retry,
  error: { kind, transient: retry, message: expect.any(String) },
});

/** The door's log line for a refusal whose message matches `message`. */
const logged = (message: RegExp) =>
  waitFor(`a log line matching ${message}`, async () =>
    fn.output
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => message.test(String(l.message))),
  );

describe('the HTTP door', () => {
  it.each(['GET', 'PUT', 'DELETE'])('%s is a 405 naming POST in Allow, in the envelope', async (method) => {
    const res = await call({ method });
    expect(res.code).toBe(405);
    expect(res.allow).toBe('POST');
    expect(Object.keys(res.body).sort()).toEqual(ENVELOPE);
    expect(res.body).toMatchObject(refused('method-not-allowed'));
    expect(res.body.reasons).toEqual(['use POST with a JSON body such as {"answer": "ok"}']);
  });

  it('a body over 64 KiB is a 413 that neither echoes nor logs it', async () => {
    const res = await call({ json: { answer: 'ok', filler: 'x'.repeat(100 * 1024) } });
    expect(res.code).toBe(413);
    expect(res.body).toMatchObject(refused('too-large'));
    expect(res.body.reasons![0]).toMatch(/^the body is \d+ bytes; a request is at most 65536 bytes/);
    expect(res.text.length).toBeLessThan(500);
    const line = await logged(/^door: too-large:/);
    expect(line).toMatchObject({ severity: 'WARNING', code: 413, request: {} });
    expect(fn.output.join('\n')).not.toContain('x'.repeat(1000));
  });

  it.each([
    ['a JSON array', { json: [1, 2] }],
    ['a JSON string', { headers: { 'content-type': 'text/plain' }, body: 'answer=ok' }],
    ['form fields', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'answer=ok' }],
  ])('%s is a 400 saying what to send', async (_what, init) => {
    const res = await call(init);
    expect(res.code).toBe(400);
    expect(res.body).toMatchObject(refused('invalid-request'));
    expect(res.body.reasons).toEqual([
      'the body must be a JSON object such as {"answer": "ok"} (Content-Type: application/json)',
    ]);
  });

  it('no body at all is the empty object; a report answers with its own status code', async () => {
    expect(await call()).toMatchObject({ code: 200, body: { status: 'ok', seen: {} } });
    expect(await call({ json: { answer: 'degraded' } })).toMatchObject({ code: 422, body: { status: 'degraded' } });
  });

  it('a transient error is a 503 with retry: true, logged as an error', async () => {
    const res = await call({ json: { throw: 'transient' } });
    expect(res.code).toBe(503);
    expect(res.body).toMatchObject(refused('transient', true));
    expect(res.body.reasons).toEqual(['the backend is unavailable; retry']);
    expect(await logged(/^door: transient:/)).toMatchObject({
      severity: 'ERROR',
      code: 503,
      error: { kind: 'transient', transient: true },
      request: { throw: 'transient' },
    });
  });

  it('a ConfigError is the configuration (422) where the environment configures the function', async () => {
    const res = await call({ json: { throw: 'config' } });
    expect(res.code).toBe(422);
    expect(res.body).toMatchObject(refused('config'));
    expect(res.body.error!.message).toBe('NETREFLEX_DOOR_SETTING must be set');
  });

  it('a bug is a 500, failed, not retried', async () => {
    const res = await call({ json: { throw: 'bug' } });
    expect(res.code).toBe(500);
    expect(res.body).toMatchObject(refused('internal'));
  });

  it("a thrown error's facts sit beside the envelope, never over it", async () => {
    const res = await call({ json: { throw: 'conflict' } });
    expect(res.code).toBe(409);
    expect(res.body).toMatchObject({ ...refused('conflict'), holder: 'run-7' });
  });
});
