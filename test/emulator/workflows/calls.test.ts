import { describe, expect, it } from 'vitest';
import { WorkflowError, type HttpRequest } from '../../../emulator/workflows/index.js';
import { result, run } from './helpers.js';

describe('http.* calls', () => {
  it('hands the handler the method, url with query, headers, body and OIDC auth; parses JSON replies', async () => {
    const seen: HttpRequest[] = [];
    const source = `
main:
  steps:
    - post:
        call: http.post
        args:
          url: https://nat-routes-abc.a.run.app/sync
          query: {dryRun: "true", zone: [a, b]}
          headers: {X-Request-Id: r1}
          body: {network: vpc-a}
          auth:
            type: OIDC
            audience: https://nat-routes-abc.a.run.app
          timeout: 30
        result: r
    - out:
        return: \${r}
`;
    const outcome = await run(source, null, {
      http: async (req) => {
        seen.push(req);
        return { code: 200, headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"routes": 2}') };
      },
    });
    expect(outcome.result).toEqual({ code: 200, headers: { 'Content-Type': 'application/json' }, body: { routes: 2 } });
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: 'https://nat-routes-abc.a.run.app/sync?dryRun=true&zone=a&zone=b',
      headers: { 'X-Request-Id': 'r1' },
      body: { network: 'vpc-a' },
      auth: { type: 'OIDC', audience: 'https://nat-routes-abc.a.run.app' },
      timeout: 30,
    });
  });

  it('http.request takes the method from args; OAuth2 passes scopes', async () => {
    const seen: HttpRequest[] = [];
    const source =
      'main:\n  steps:\n    - r:\n        call: http.request\n        args:\n          method: patch\n          url: http://x\n          auth: {type: OAuth2, scopes: [s1]}\n        result: r\n    - out:\n        return: ${r.body}\n';
    expect(
      await result(source, null, {
        http: async (req) => (seen.push(req), { code: 204, body: 'text', headers: { 'content-type': 'text/plain' } }),
      }),
    ).toBe('text');
    expect(seen[0]).toMatchObject({ method: 'PATCH', auth: { type: 'OAuth2', scopes: ['s1'] } });
  });

  it('rejects an unknown auth type at run time', async () => {
    const outcome = await run(
      'main:\n  steps:\n    - r:\n        call: http.get\n        args:\n          url: http://x\n          auth: {type: Basic}\n',
    );
    expect(outcome.errorValue).toMatchObject({ tags: ['ValueError'] });
  });

  it.each([
    [Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'ConnectionFailedError'],
    [Object.assign(new Error('slow'), { name: 'TimeoutError' }), 'TimeoutError'],
    [new Error('reset'), 'ConnectionError'],
    [WorkflowError.of('AuthError', 'no token'), 'AuthError'],
  ])('maps a handler throw %# to %s', async (thrown, tag) => {
    const outcome = await run(
      'main:\n  steps:\n    - r:\n        call: http.get\n        args: {url: "http://x"}\n',
      null,
      { http: async () => Promise.reject(thrown) },
    );
    expect(outcome.errorValue).toMatchObject({ tags: [tag] });
  });
});

describe('googleapis.* connectors', () => {
  const source = `
main:
  steps:
    - create:
        call: googleapis.aiplatform.v1.projects.locations.pipelineJobs.create
        args:
          parent: projects/netreflex-demo/locations/asia-northeast1
          body:
            displayName: nightly
            network: projects/123456789012/global/networks/vpc-a
            reservedIpRanges: [vertex-psa-range]
        result: job
    - out:
        return: \${job.name}
`;

  it('passes the connector name and evaluated args to the handler', async () => {
    const calls: [string, unknown][] = [];
    const connector = async (name: string, args: unknown) => {
      calls.push([name, args]);
      return {
        name: 'projects/123456789012/locations/asia-northeast1/pipelineJobs/p1',
        state: 'PIPELINE_STATE_PENDING',
      };
    };
    expect(await result(source, null, { connector })).toBe(
      'projects/123456789012/locations/asia-northeast1/pipelineJobs/p1',
    );
    expect(calls[0]![0]).toBe('googleapis.aiplatform.v1.projects.locations.pipelineJobs.create');
    expect(calls[0]![1]).toMatchObject({ body: { reservedIpRanges: ['vertex-psa-range'] } });
  });

  it('turns an API error with an HTTP code into HttpError, other throws into ConnectionError', async () => {
    const apiError = Object.assign(new Error('Network vpc-b is busy'), { code: 409 });
    const failed = await run(source, null, { connector: async () => Promise.reject(apiError) });
    expect(failed.errorValue).toMatchObject({
      code: 409,
      tags: ['HttpError'],
      body: { error: { code: 409, message: 'Network vpc-b is busy' } },
    });
    const broken = await run(source, null, { connector: async () => Promise.reject(new Error('emulator down')) });
    expect(broken.errorValue).toMatchObject({ tags: ['ConnectionError'] });
  });

  it('records connector, library and subworkflow calls with their step types', async () => {
    const outcome = await run(source, null, { connector: async () => ({ name: 'j' }) });
    expect(outcome.steps.map((s) => [s.step, s.stepType, s.state])).toEqual([
      ['create', 'STEP_CONNECTOR_CALL', 'STATE_SUCCEEDED'],
      ['out', 'STEP_RETURN', 'STATE_SUCCEEDED'],
    ]);
  });
});
