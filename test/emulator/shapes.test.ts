/**
 * The local Google Cloud refuses what Google's own definitions refuse (emulator/schema/): one
 * negative case per rule through the official clients where a client can send it (they only
 * send what their protos know, so unknown names go through netreflex's own shared/gcp transport,
 * the storage client and plain REST), the planted mistake of a wrapper that sends one unknown
 * field, and the reply check that turns an emulator response outside the definition into a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { Router } from '../../emulator/http.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderPath, Shapes, templateMatches } from '../../emulator/schema/shapes.js';
import { errorReplyFindings, httpMappings } from '../../emulator/schema/error-reply.js';
import { HttpError } from '../../emulator/errors.js';
import { loadSchemas } from '../../emulator/schema/sources.js';
import { cached } from '../../emulator/schema/cache.js';
import { SAMPLE } from '../../local/topology.js';
import { Transport } from '../../shared/gcp/transport.js';
import { insertRoute, type Route } from '../../shared/gcp/routes.js';
import { ApiError } from '../../shared/errors.js';
import { computeClients, PROJECT } from '../helpers/compute.js';
import { networkOf, PARENT, psaComputeClients, vertexClients } from '../helpers/vertex.js';
import { storageClient } from '../helpers/storage.js';
import { kfpPipeline, toStruct } from '../helpers/pipelines.js';

let emu: Emulator;

const NETWORK = `projects/${PROJECT}/global/networks/${SAMPLE.vpcA.network}`;
const route = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  network: NETWORK,
  destRange: '192.0.2.0/24',
  nextHopIp: '10.95.0.9',
  priority: 900,
  ...extra,
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error & { code?: number }) => e,
  );

async function rest(method: string, path: string, body?: unknown) {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 10, pipelineStepMs: 20, pipelineRunMs: 100 } });
});
afterAll(() => emu.close());

describe('every Google route is bound to its definition', () => {
  it('binds each registered route, Compute by its method id; the control API is exempt', () => {
    const google = emu.router.list().filter((r) => !r.methodId.startsWith('emulator.'));
    expect(google.length).toBeGreaterThan(60);
    for (const r of google) {
      const def = emu.shapes.definition(r.method, r.pattern);
      expect(def, `${r.methodId} ${r.method} ${r.pattern}`).toBeDefined();
      if (r.methodId.startsWith('compute.'))
        expect([def!.id, def!.path.split('/')[2]]).toEqual([r.methodId, r.pattern.split('/')[2]]);
    }
  });

  it('a route no definition has stops the emulator from starting, naming it', () => {
    const router = new Router().on(
      'GET',
      '/compute/v1/projects/{project}/global/frobnicators',
      'compute.frobnicators.list',
      () => ({}),
    );
    expect(() => new Shapes(loadSchemas()).bind(router.list())).toThrow(
      /no Google API definition for compute\.frobnicators\.list \(GET \/compute\/v1\/projects\/\{project\}\/global\/frobnicators\)/,
    );
  });

  it('matches a template `*` to a literal segment and `**` to the rest, never across a custom verb', () => {
    expect(
      templateMatches('/v1/services/*/connections', '/v1/services/servicenetworking.googleapis.com/connections'),
    ).toBe(true);
    expect(templateMatches('/v1/operations/**', '/v1/operations/*')).toBe(true);
    expect(
      templateMatches('/v1/projects/*/locations/*/pipelineJobs/*:cancel', '/v1/projects/*/locations/*/pipelineJobs/*'),
    ).toBe(false);
    expect(templateMatches('/compute/v1/projects/*/global/routes', '/compute/v1/projects/*/global/routes/*')).toBe(
      false,
    );
  });

  it('compiles the protos once and then reads the cached compact form, in the directory it is given', () => {
    let compiles = 0;
    const key = { test: 'shapes-cache', at: `${process.pid}-${Date.now()}` };
    const compile = () => (
      compiles++,
      { api: 'cache-test', source: [], style: 'compute' as const, methods: [], messages: {}, enums: {} }
    );
    const dir = mkdtempSync(join(tmpdir(), 'shapes-cache-'));
    cached(dir, 'cache-test', key, compile);
    const again = cached(dir, 'cache-test', key, compile);
    expect(compiles).toBe(1);
    expect(again.api).toBe('cache-test');
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^cache-test-[0-9a-f]{16}\.json$/)]);
  });
});

describe('request bodies', () => {
  it('unknown field: 400 in Google words with a BadRequest field violation (the exportCustumRoutes typo)', async () => {
    const res = await rest(
      'PATCH',
      `/compute/v1/projects/${PROJECT}/global/networks/${SAMPLE.vpcA.network}/updatePeering`,
      { networkPeering: { name: SAMPLE.psa.peering, exportCustumRoutes: true } },
    );
    expect(res.status).toBe(400);
    const message = `Invalid JSON payload received. Unknown name "exportCustumRoutes" at 'resource.networkPeering': Cannot find field.`;
    expect(res.body.error).toEqual({
      code: 400,
      message,
      status: 'INVALID_ARGUMENT',
      errors: [{ message, domain: 'global', reason: 'invalid' }],
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field: 'resource.networkPeering', description: message }],
        },
      ],
    });
    const [net] = await computeClients(emu.port).networks.get({ project: PROJECT, network: SAMPLE.vpcA.network });
    expect(net.peerings?.[0]?.exportCustomRoutes).toBe(false);
  });

  it('planted mistake: a shared/gcp wrapper that sends one field Google does not know is refused', async () => {
    const t = new Transport({ emulatorHost: emu.url, retry: { attempts: 1 } });
    const err = await failure(
      insertRoute(t, PROJECT, route('planted', { nextHopInstanceTypo: 'x' }) as unknown as Route),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    expect(err!.message).toContain(`Unknown name "nextHopInstanceTypo" at 'resource': Cannot find field.`);
    expect(emu.store.get(`projects/${PROJECT}/global/routes`, 'planted')).toBeUndefined();
  });

  it('an unknown field in a Cloud Storage patch from the official storage client is refused', async () => {
    const gcs = storageClient(emu.url);
    const file = gcs.bucket(SAMPLE.bucket.name).file(SAMPLE.bucket.allowlistObject);
    const err = await failure(file.setMetadata({ contentTyp: 'text/yaml' }));
    expect(err?.code).toBe(400);
    expect(err?.message).toContain('Unknown name "contentTyp"');
  });

  it('bad enum value through the official compute client: 400 naming the field and the enum values', async () => {
    const c = psaComputeClients(emu.port);
    const err = await failure(
      c.firewalls.insert({
        project: PROJECT,
        firewallResource: {
          name: 'sideways',
          network: NETWORK,
          direction: 'SIDEWAYS',
          sourceRanges: ['10.0.0.0/8'],
          allowed: [{ IPProtocol: 'tcp' }],
        },
      }),
    );
    expect(err?.code).toBe(400);
    expect(err?.message).toContain(
      `Invalid value for field 'resource.direction': 'SIDEWAYS'. Check the Direction enum for the list of possible values: EGRESS, INGRESS.`,
    );
  });

  it('a wrong JSON type is refused (priority must be an integer)', async () => {
    const res = await rest(
      'POST',
      `/compute/v1/projects/${PROJECT}/global/routes`,
      route('typed', { priority: 'high' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      `Invalid value at 'resource.priority': expected an integer (uint32), got "high".`,
    );
  });

  it('missing REQUIRED field through the official Vertex AI client: runtimeConfig.gcsOutputDirectory (pipeline_job.proto)', async () => {
    const v = vertexClients(emu.port);
    const pipelineJob = {
      displayName: 'no-root',
      pipelineSpec: toStruct(kfpPipeline('train', [{ name: 'train', parallel: 1, nodes: 1 }])),
      network: networkOf('vpc-a'),
      runtimeConfig: { parameterValues: {} },
    };
    const err = await failure(v.pipelines.createPipelineJob({ parent: PARENT, pipelineJobId: 'no-root', pipelineJob }));
    expect(err?.code).toBe(400);
    expect(err?.message).toContain(
      'Field: pipeline_job.runtime_config.gcs_output_directory; Message: Required field is not set.',
    );
    const [ok] = await v.pipelines.createPipelineJob({
      parent: PARENT,
      pipelineJobId: 'with-root',
      pipelineJob: { ...pipelineJob, runtimeConfig: { gcsOutputDirectory: SAMPLE.pipelineRoot } },
    });
    expect(ok.runtimeConfig?.gcsOutputDirectory).toBe(SAMPLE.pipelineRoot);
  });

  it("a missing REQUIRED body is Compute's `Required field 'resource' not specified`", async () => {
    const res = await fetch(`${emu.url}/compute/v1/projects/${PROJECT}/global/routes`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string; errors: { reason: string }[] } }).error).toMatchObject({
      message: "Required field 'resource' not specified",
      errors: [{ reason: 'required' }],
    });
  });

  it('output-only fields are ignored on input, not stored or echoed (the official clients send them if asked)', async () => {
    const c = computeClients(emu.port);
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: {
          ...route('outonly'),
          id: '42',
          kind: 'compute#bogus',
          creationTimestamp: '1999-01-01T00:00:00Z',
          routeType: 'BGP',
        },
      }),
    );
    const [got] = await c.routes.get({ project: PROJECT, route: 'outonly' });
    expect(got.id).not.toBe('42');
    expect(got.kind).toBe('compute#route');
    expect(got.routeType).toBe('STATIC');
    expect(got.creationTimestamp).not.toBe('1999-01-01T00:00:00Z');
    const v = vertexClients(emu.port);
    const [job] = await v.pipelines.createPipelineJob({
      parent: PARENT,
      pipelineJobId: 'claims-done',
      pipelineJob: {
        displayName: 'claims-done',
        pipelineSpec: toStruct(kfpPipeline('train', [{ name: 'train', parallel: 1, nodes: 1 }])),
        network: networkOf('vpc-a'),
        state: 'PIPELINE_STATE_SUCCEEDED',
        runtimeConfig: { gcsOutputDirectory: SAMPLE.pipelineRoot },
      },
    });
    expect(job.state).toBe('PIPELINE_STATE_QUEUED');
  });
});

describe('query parameters', () => {
  it('unknown query parameter: 400 "Cannot bind query parameter"', async () => {
    const res = await rest('GET', `/compute/v1/projects/${PROJECT}/global/routes?maxResult=10`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      `Invalid JSON payload received. Unknown name "maxResult": Cannot bind query parameter. Field 'maxResult' could not be found in request message.`,
    );
  });

  it('an unknown query parameter from the official storage client is refused too', async () => {
    const err = await failure(
      storageClient(emu.url)
        .bucket(SAMPLE.bucket.name)
        .getFiles({ prefixx: 'allowlists/' } as never),
    );
    expect(err?.code).toBe(400);
    expect(err?.message).toContain('Unknown name "prefixx"');
  });

  it('a bad enum in the query is refused; system parameters and integer enums pass', async () => {
    const bad = await rest(
      'GET',
      `/compute/v1/projects/${PROJECT}/global/networks/${SAMPLE.vpcA.network}/listPeeringRoutes?direction=SIDEWAYS&peeringName=${SAMPLE.psa.peering}&region=${SAMPLE.region}`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain(`Invalid value for field 'direction': 'SIDEWAYS'`);
    const ok = await rest(
      'GET',
      `/compute/v1/projects/${PROJECT}/global/routes?alt=json&prettyPrint=false&quotaUser=me&%24.xgafv=2&fields=items`,
    );
    expect(ok.status).toBe(200);
    const ints = await fetch(
      `${emu.url}/v1/${PARENT}/pipelineJobs?%24alt=json%3Benum-encoding%3Dint&filter=state%3DPIPELINE_STATE_RUNNING`,
    );
    expect(ints.status).toBe(200);
  });
});

describe('responses', () => {
  it('a response field the definition lacks is an emulator bug: 500 naming the field and the method', async () => {
    const c = computeClients(emu.port);
    await c.wait(await c.routes.insert({ project: PROJECT, routeResource: route('leaky') }));
    emu.store.update(
      `projects/${PROJECT}/global/routes`,
      'leaky',
      (r) => void (r.internalNote = 'not in compute.proto'),
    );
    // Planted: these findings are the point here, not emulator bugs for test/schema/reply-findings.test.ts.
    const findings = await emu.shapes.planted(async () => {
      const res = await rest('GET', `/compute/v1/projects/${PROJECT}/global/routes/leaky`);
      expect(res.status).toBe(500);
      expect(res.body.error.message).toContain(
        'emulator bug: the compute.routes.get response does not match google.cloud.compute.v1.Route',
      );
      expect(res.body.error.message).toContain('unknown field "internalNote"');
      const list = await rest('GET', `/compute/v1/projects/${PROJECT}/global/routes`);
      expect(list.status).toBe(500);
      expect(list.body.error.message).toContain('items[');
    });
    expect(findings.map((f) => [f.methodId, f.field.replace(/\[\d+\]/, '[i]'), f.problem])).toEqual([
      ['compute.routes.get', 'internalNote', 'unknown field "internalNote"'],
      ['compute.routes.list', 'items[i].internalNote', 'unknown field "internalNote"'],
    ]);
    emu.store.update(`projects/${PROJECT}/global/routes`, 'leaky', (r) => void delete r.internalNote);
  });

  it('checks operations and enum values in responses too', async () => {
    const ops = `projects/${PROJECT}/global/operations`;
    const [op] = emu.store.list(ops);
    emu.store.update(ops, op!.name, (o) => void (o.status = 'ALMOST_DONE'));
    const findings = await emu.shapes.planted(async () => {
      const res = await rest('GET', `/compute/v1/${ops}/${op!.name}`);
      expect(res.status).toBe(500);
      expect(res.body.error.message).toContain('status: ALMOST_DONE is not a Status value');
    });
    expect(findings).toMatchObject([{ methodId: 'compute.globalOperations.get', field: 'status' }]);
    emu.store.update(ops, op!.name, (o) => void (o.status = 'DONE'));
  });
});

describe('error replies', () => {
  const errorsSchema = () => loadSchemas().find((s) => s.api === 'errors')!;
  const findingsOf = (status: number, body: unknown) =>
    errorReplyFindings(errorsSchema(), status, body).map((f) => `${renderPath(f.path, 'json')}: ${f.kind} ${f.detail}`);

  it("reads each google.rpc.Code's HTTP status from code.proto", () => {
    const http = httpMappings();
    expect(http.size).toBe(17);
    expect(Object.fromEntries(http)).toMatchObject({
      OK: 200,
      INVALID_ARGUMENT: 400,
      FAILED_PRECONDITION: 400,
      PERMISSION_DENIED: 403,
      ALREADY_EXISTS: 409,
      ABORTED: 409,
      UNIMPLEMENTED: 501,
      UNAUTHENTICATED: 401,
    });
  });

  it("the emulator's own refusals are Google's JSON error reply: 400, 403, 404, 412 pass the check", async () => {
    const unknown = await rest('POST', `/compute/v1/projects/${PROJECT}/global/routes`, route('r-x', { bogus: 1 }));
    const missing = await rest('GET', `/compute/v1/projects/${PROJECT}/global/routes/no-such-route`);
    emu.faults.failNext('compute.routes.list', 1, 403);
    const denied = await rest('GET', `/compute/v1/projects/${PROJECT}/global/routes`);
    expect([unknown.status, missing.status, denied.status]).toEqual([400, 404, 403]);
    for (const r of [unknown, missing, denied]) expect(findingsOf(r.status, r.body)).toEqual([]);
    expect(findingsOf(412, new HttpError(412, 'stale fingerprint').toJSON())).toEqual([]);
    expect(findingsOf(501, new HttpError(501, 'not served here').toJSON())).toEqual([]);
  });

  it('an error reply outside the shape is named: unknown field, code unlike the HTTP status, status of another code, detail type', () => {
    expect(
      findingsOf(404, {
        error: {
          code: 500,
          message: 'gone',
          status: 'INTERNAL',
          hint: 'not in any definition',
          errors: [{ reason: 'notFound', severity: 'high' }],
          details: [{ '@type': 'type.googleapis.com/netreflex.Hint', text: 'x' }],
        },
      }),
    ).toEqual([
      'error: unknown hint',
      'error.errors[0]: unknown severity',
      'error.code: type 404, the HTTP status of the reply, got 500',
      'error.status: enum INTERNAL',
      'error.details[0].@type: enum netreflex.Hint',
    ]);
    expect(findingsOf(400, { error: { code: 400, status: 'INVALID_ARGUMENT' } })).toEqual([
      'error.message: required message',
    ]);
    expect(findingsOf(400, { message: 'bare' })).toEqual([': unknown message', 'error: required error']);
  });

  it("planted: a handler's bad error reply answers 500 naming the call and field, and is a finding", async () => {
    class Leaky extends HttpError {
      override toJSON() {
        return { error: { ...super.toJSON().error, hint: 'not in any definition' } };
      }
    }
    const router = new Router().on(
      'GET',
      '/compute/v1/projects/{project}/global/routes/{route}',
      'compute.routes.get',
      () => {
        throw new Leaky(404, 'The resource was not found');
      },
    );
    const shapes = new Shapes(loadSchemas());
    shapes.bind(router.list());
    router.addReplyCheck((methodId, req, reply) => shapes.checkReply(methodId, req, reply));
    const server = createServer((req, res) => void router.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const findings = await shapes.planted(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/compute/v1/projects/p/global/routes/r`);
        expect(res.status).toBe(500);
        const body = (await res.json()) as { error: { message: string; status: string } };
        expect(body.error.status).toBe('INTERNAL');
        expect(body.error.message).toContain(
          "emulator bug: the compute.routes.get 404 error reply does not match Google's JSON error reply",
        );
        expect(body.error.message).toContain('error.hint: unknown field "hint"');
      });
      expect(findings).toMatchObject([{ methodId: 'compute.routes.get', status: 404, field: 'error.hint' }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
