import { describe, expect, it } from 'vitest';
import type { HttpHandler, HttpResponse } from '../../../emulator/workflows/index.js';
import { result, run } from './helpers.js';

/** Answers with the given responses in order, then fails loudly. */
function answers(...responses: (HttpResponse | Error)[]): HttpHandler & { calls: number } {
  const handler = Object.assign(
    async () => {
      const next = responses[handler.calls++];
      if (!next) throw new Error('unexpected extra http call');
      if (next instanceof Error) throw next;
      return next;
    },
    { calls: 0 },
  );
  return handler;
}

const fetchWith = (retry: string, except = '') => `
main:
  steps:
    - fetch:
        try:
          call: http.post
          args:
            url: http://functions.local/peeringRanges
            auth: {type: OIDC}
          result: r
        retry: ${retry}
${except}
    - out:
        return: \${r.body}
`;

describe('try / retry / except', () => {
  it('retries 503 twice with the default policy, waiting 1 s then 1.25 s', async () => {
    const http = answers(
      { code: 503, body: 'busy' },
      { code: 503, body: 'busy' },
      { code: 200, body: { ranges: ['10.98.0.0/21'] } },
    );
    const outcome = await run(fetchWith('${http.default_retry}'), null, { http });
    expect(outcome.result).toEqual({ ranges: ['10.98.0.0/21'] });
    expect(http.calls).toBe(3);
    expect(outcome.clock.sleeps).toEqual([1000, 1250]);
  });

  it('gives up after max_retries and surfaces the last HttpError', async () => {
    const http = answers(...Array.from({ length: 6 }, () => ({ code: 503, body: 'down' })));
    const outcome = await run(fetchWith('${http.default_retry}'), null, { http });
    expect(http.calls).toBe(6);
    expect(outcome.state).toBe('FAILED');
    expect(outcome.errorValue).toMatchObject({
      code: 503,
      body: 'down',
      tags: ['HttpError'],
      message: 'HTTP server responded with error code 503',
    });
    expect(outcome.clock.sleeps).toHaveLength(5);
  });

  it('does not retry a 404 with the default predicate', async () => {
    const http = answers({ code: 404, body: 'nope' });
    expect((await run(fetchWith('${http.default_retry}'), null, { http })).errorValue).toMatchObject({ code: 404 });
    expect(http.calls).toBe(1);
  });

  it('non-idempotent policy retries 429 but not 502 or a broken connection', async () => {
    const retried = answers({ code: 429 }, { code: 200, body: 'ok' });
    expect(await result(fetchWith('${http.default_retry_non_idempotent}'), null, { http: retried })).toBe('ok');
    const bad = answers({ code: 502 });
    expect(
      (await run(fetchWith('${http.default_retry_non_idempotent}'), null, { http: bad })).errorValue,
    ).toMatchObject({ code: 502 });
    const reset = answers(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(
      (await run(fetchWith('${http.default_retry_non_idempotent}'), null, { http: reset })).errorValue,
    ).toMatchObject({ tags: ['ConnectionError'] });
  });

  it('custom backoff grows by the multiplier and stops at max_delay', async () => {
    const http = answers({ code: 500 }, { code: 500 }, { code: 500 }, { code: 500 }, { code: 200, body: 'finally' });
    const retry = `
          predicate: \${retry.always}
          max_retries: 4
          backoff:
            initial_delay: 2
            max_delay: 10
            multiplier: 3`;
    const outcome = await run(fetchWith(retry), null, { http });
    expect(outcome.result).toBe('finally');
    expect(outcome.clock.sleeps).toEqual([2000, 6000, 10000, 10000]);
  });

  it('retry.never hands the first error straight to except', async () => {
    const http = answers({ code: 503 });
    const retry = `
          predicate: \${retry.never}
          max_retries: 3
          backoff: {initial_delay: 1, max_delay: 1, multiplier: 1}`;
    const except = `        except:
          as: e
          steps:
            - fallback:
                assign:
                  - r: {body: '\${"fallback after " + string(e.code)}'}`;
    const outcome = await run(fetchWith(retry, except), null, { http });
    expect(outcome.result).toBe('fallback after 503');
    expect(outcome.clock.sleeps).toEqual([]);
  });

  it('a predicate subworkflow receives the error and decides', async () => {
    const source = `
main:
  steps:
    - init:
        assign:
          - attempts: 0
    - flaky:
        try:
          steps:
            - count:
                assign:
                  - attempts: \${attempts + 1}
            - fail:
                switch:
                  - condition: \${attempts < 3}
                    raise: {message: transient, code: 7}
        retry:
          predicate: \${only_transient}
          max_retries: 5
          backoff: {initial_delay: 1, max_delay: 60, multiplier: 2}
    - out:
        return: \${attempts}
only_transient:
  params: [e]
  steps:
    - decide:
        return: \${e.message == "transient"}
`;
    const outcome = await run(source);
    expect(outcome.result).toBe(3);
    expect(outcome.clock.sleeps).toEqual([1000, 2000]);
  });

  it('except catches HttpError by code and re-raises others with raise ${e}', async () => {
    const source = `
main:
  params: [code]
  steps:
    - call_it:
        try:
          call: http.get
          args: {url: http://x/job}
          result: r
        except:
          as: e
          steps:
            - known:
                switch:
                  - condition: \${e.code == 404}
                    return: missing
            - other:
                raise: \${e}
    - ok:
        return: found
`;
    expect(await result(source, 404, { http: answers({ code: 404 }) })).toBe('missing');
    const outcome = await run(source, 500, { http: answers({ code: 500, body: { error: 'x' } }) });
    expect(outcome.errorValue).toMatchObject({ code: 500, tags: ['HttpError'], body: { error: 'x' } });
  });

  it('except catches runtime errors by tag', async () => {
    const source = `
main:
  steps:
    - risky:
        try:
          assign:
            - x: \${1 / 0}
        except:
          as: e
          steps:
            - tag:
                return: '\${"ZeroDivisionError" in e.tags}'
`;
    expect(await result(source)).toBe(true);
  });
});
