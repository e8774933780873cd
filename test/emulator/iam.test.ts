/**
 * IAM in the local Google Cloud, through the official clients: a caller whose token stands for a
 * service account gets exactly what its roles grant, and Google's 401/403 otherwise; a caller
 * without a token is the project owner.
 */
import compute from '@google-cloud/compute';
import aiplatform from '@google-cloud/aiplatform';
import { OAuth2Client, PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { coveredMethods, discoveryId } from '../../emulator/iam/permissions.js';
import { Iam } from '../../emulator/iam/policy.js';
import type { Mutation } from '../../emulator/store.js';

const P = SAMPLE.project;
const SA = `serviceAccount:netreflex-nat-routes@${P}.iam.gserviceaccount.com`;
let emu: Emulator;

/** An auth client that sends `token` as the Bearer token, as the metadata server's would. */
function tokenClient(token: string): OAuth2Client {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return c;
}

async function tokenFor(member: string): Promise<string> {
  const res = await fetch(`${emu.url}/_emulator/v1/iam/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ member }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

const routesClient = (authClient: unknown) =>
  new compute.RoutesClient({
    apiEndpoint: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    authClient,
  } as unknown as ConstructorParameters<typeof compute.RoutesClient>[0]);

beforeAll(async () => {
  emu = await startSampleEmulator();
  emu.iam.defineRole(`projects/${P}/roles/routesReader`, ['compute.routes.list']);
  emu.iam.grant({ member: SA, role: `projects/${P}/roles/routesReader`, resource: `projects/${P}` });
});
afterAll(() => emu.close());

describe('IAM on the Google APIs', () => {
  it('a token gets what its role grants and a 403 naming the permission for the rest', async () => {
    const routes = routesClient(tokenClient(await tokenFor(SA)));
    const [list] = await routes.list({ project: P });
    expect(Array.isArray(list)).toBe(true);
    await expect(routes.get({ project: P, route: 'any-route' })).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining(
        `Required 'compute.routes.get' permission for 'projects/${P}/global/routes/any-route'`,
      ),
    });
    const denied = emu.iamChecks.find((c) => c.member === SA && !c.allowed);
    expect(denied).toMatchObject({ methodId: 'compute.routes.get', permission: 'compute.routes.get' });
  });

  it('a route naming its network by a partial URL: the network permission is checked, and named, in the project', async () => {
    const maker = `serviceAccount:route-maker@${P}.iam.gserviceaccount.com`;
    emu.iam.defineRole(`projects/${P}/roles/routeMaker`, ['compute.routes.create']);
    emu.iam.grant({ member: maker, role: `projects/${P}/roles/routeMaker`, resource: `projects/${P}` });
    const routes = routesClient(tokenClient(await tokenFor(maker)));
    await expect(
      routes.insert({
        project: P,
        routeResource: {
          name: 'partial-network',
          network: 'global/networks/vpc-a',
          destRange: '198.51.100.0/24',
          nextHopIp: '10.95.0.9',
          priority: 900,
        },
      }),
    ).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining(
        `Required 'compute.networks.updatePolicy' permission for 'projects/${P}/global/networks/vpc-a'`,
      ),
    });
  });

  it('a grant on the project covers its resources; a token of a member without bindings has nothing', async () => {
    const other = `serviceAccount:someone-else@${P}.iam.gserviceaccount.com`;
    const routes = routesClient(tokenClient(await tokenFor(other)));
    await expect(routes.list({ project: P })).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining(`Required 'compute.routes.list' permission for 'projects/${P}'`),
    });
  });

  it('an unknown token is 401 UNAUTHENTICATED; no token is the project owner', async () => {
    await expect(routesClient(tokenClient('ya29.forged')).list({ project: P })).rejects.toMatchObject({ code: 401 });
    const [owner] = await routesClient(new PassThroughClient()).list({ project: P });
    expect(Array.isArray(owner)).toBe(true);
  });

  it('Vertex AI answers PERMISSION_DENIED with the ErrorInfo Google attaches', async () => {
    const pipelines = new aiplatform.v1.PipelineServiceClient({
      apiEndpoint: '127.0.0.1',
      port: emu.port,
      protocol: 'http',
      fallback: true,
      authClient: tokenClient(await tokenFor(SA)),
    } as unknown as ConstructorParameters<typeof aiplatform.v1.PipelineServiceClient>[0]);
    const parent = `projects/${P}/locations/${SAMPLE.region}`;
    const err = await pipelines.listPipelineJobs({ parent }).then(
      () => undefined,
      (e: unknown) => e as { code: number; message: string; statusDetails?: unknown[] },
    );
    expect(err?.code).toBe(403);
    expect(err?.message).toContain(
      `Permission 'aiplatform.pipelineJobs.list' denied on resource '//aiplatform.googleapis.com/${parent}' (or it may not exist).`,
    );
    const raw = (await fetch(`${emu.url}/v1/${parent}/pipelineJobs`, {
      headers: { authorization: `Bearer ${await tokenFor(SA)}` },
    }).then((r) => r.json())) as { error: { details: unknown[] } };
    expect(raw.error.details).toEqual([
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'aiplatform.googleapis.com',
        metadata: { permission: 'aiplatform.pipelineJobs.list', resource: parent },
      },
    ]);
  });

  it('Cloud Storage: an objectViewer binding on the bucket reads its objects, nobody else does', async () => {
    const reader = `serviceAccount:reader@${P}.iam.gserviceaccount.com`;
    emu.iam.grant({
      member: reader,
      role: 'roles/storage.objectViewer',
      resource: `projects/_/buckets/${SAMPLE.bucket.name}`,
    });
    // A bearer token on a plain request, as shared/gcp sends it: @google-cloud/storage sends no
    // credentials to a custom endpoint.
    const url = `${emu.url}/storage/v1/b/${SAMPLE.bucket.name}/o/${encodeURIComponent(SAMPLE.bucket.allowlistObject)}?alt=media`;
    const read = async (token: string) => tokenClient(token).request({ url, responseType: 'text' });
    expect(String((await read(await tokenFor(reader))).data).length).toBeGreaterThan(0);
    await expect(read(await tokenFor(SA))).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining(
        `netreflex-nat-routes@${P}.iam.gserviceaccount.com does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).`,
      ),
    });
  });

  it('Cloud Storage: creating an object needs storage.objects.create, replacing one storage.objects.delete too', async () => {
    const writer = `serviceAccount:writer@${P}.iam.gserviceaccount.com`;
    emu.iam.defineRole(`projects/${P}/roles/createOnly`, ['storage.objects.create', 'storage.objects.get']);
    emu.iam.grant({
      member: writer,
      role: `projects/${P}/roles/createOnly`,
      resource: `projects/_/buckets/${SAMPLE.stateBucket}`,
    });
    const client = tokenClient(await tokenFor(writer));
    const upload = (name: string) =>
      client.request({
        url: `${emu.url}/upload/storage/v1/b/${SAMPLE.stateBucket}/o?uploadType=media&name=${name}`,
        method: 'POST',
        data: '{}',
        headers: { 'content-type': 'application/json' },
      });
    expect((await upload('iam-replace-test.json')).status).toBe(200);
    await expect(upload('iam-replace-test.json')).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining(
        `writer@${P}.iam.gserviceaccount.com does not have storage.objects.delete access to the Google Cloud Storage object. Permission 'storage.objects.delete' denied on resource (or it may not exist).`,
      ),
    });
  });

  it('a custom role naming a permission Google does not have is refused', () => {
    expect(() => emu.iam.defineRole(`projects/${P}/roles/typo`, ['compute.routes.lists'])).toThrow(
      /compute\.routes\.lists is not a permission/,
    );
  });

  it("every Google method the emulator serves has its permissions (Google's list or a documented rule)", () => {
    const routes = (emu.router as unknown as { routes: { methodId: string }[] }).routes;
    const served = [...new Set(routes.map((r) => r.methodId))].filter((m) => !m.startsWith('emulator.'));
    const covered = coveredMethods();
    expect(served.filter((m) => !covered.has(m) && !covered.has(discoveryId(m)))).toEqual([]);
  });
});

describe('IAM in the store', () => {
  it("keeps custom roles and each resource's policy in the store, in Google's Role and Policy shapes: a listener sees the role defined and every grant", async () => {
    const role = `projects/${P}/roles/storeWatcher`;
    const bucket = 'projects/_/buckets/store-watch-bucket';
    const a = `serviceAccount:store-a@${P}.iam.gserviceaccount.com`;
    const b = `serviceAccount:store-b@${P}.iam.gserviceaccount.com`;
    const mine = { title: 'vpc-a only', expression: `resource.name == "projects/${P}/global/networks/vpc-a"` };
    const seen: Mutation[] = [];
    const stop = emu.store.onMutation((m) => {
      if (m.collection.startsWith('iam/')) seen.push(structuredClone(m));
    });
    try {
      emu.iam.defineRole(role, ['compute.routes.list', 'compute.networks.get'], { title: 'Store watcher' });
      emu.iam.grant({ member: a, role, resource: `projects/${P}` });
      emu.iam.grant({ member: a, role, resource: `projects/${P}` });
      emu.iam.grant({ member: b, role, resource: `projects/${P}` });
      emu.iam.grant({ member: b, role, resource: `projects/${P}`, condition: mine });
      emu.iam.grant({ member: a, role: 'roles/storage.objectViewer', resource: bucket });
    } finally {
      stop();
    }
    const etag = expect.stringMatching(/^[A-Za-z0-9+/]{11}=$/);
    // The project's policy exists (beforeAll's grant): one update per grant that changes it, none for a repeat.
    expect(seen.map((m) => `${m.action} ${m.collection} ${m.name}`)).toEqual([
      `insert iam/roles ${role}`,
      `update iam/policies projects/${P}`,
      `update iam/policies projects/${P}`,
      `update iam/policies projects/${P}`,
      `insert iam/policies ${bucket}`,
    ]);
    expect(seen[0]!.after).toEqual({
      name: role,
      title: 'Store watcher',
      includedPermissions: ['compute.networks.get', 'compute.routes.list'],
      stage: 'GA',
      etag,
    });
    const project = seen[3]!.after!;
    expect(project).toMatchObject({ name: `projects/${P}`, version: 3, etag });
    expect(project.bindings).toEqual(
      expect.arrayContaining([
        { role, members: [a, b] },
        { role, members: [b], condition: mine },
      ]),
    );
    expect(seen[2]!.before!.etag).not.toBe(seen[2]!.after!.etag);
    expect(seen[4]!.after).toEqual({
      name: bucket,
      version: 1,
      etag,
      bindings: [{ role: 'roles/storage.objectViewer', members: [a] }],
    });

    // The control API answers what the store holds; a call through the official client is judged on it.
    const inForce = (await fetch(`${emu.url}/_emulator/v1/iam/policy`).then((r) => r.json())) as {
      roles: { name: string }[];
      policies: Record<string, { bindings: unknown[] }>;
    };
    expect(inForce.roles).toContainEqual(seen[0]!.after);
    const { name: _name, ...policy } = emu.store.get('iam/policies', `projects/${P}`)!;
    expect(inForce.policies[`projects/${P}`]).toEqual(policy);
    const [list] = await routesClient(tokenClient(await tokenFor(b))).list({ project: P });
    expect(Array.isArray(list)).toBe(true);
    expect(emu.iamChecks.findLast((c) => c.member === b)).toMatchObject({
      permission: 'compute.routes.list',
      allowed: true,
      role,
    });
  });

  it("credits the resource's own policy before its ancestors', and within a policy its bindings in order", () => {
    const iam = new Iam(() => 0);
    const who = { kind: 'member', member: 'serviceAccount:a@p.iam.gserviceaccount.com' } as const;
    iam.defineRole('projects/p/roles/reader', ['storage.objects.get']);
    iam.grant({ member: who.member, role: 'roles/storage.objectViewer', resource: 'projects/p' });
    iam.grant({ member: who.member, role: 'projects/p/roles/reader', resource: 'projects/_/buckets/b' });
    iam.grant({ member: who.member, role: 'roles/storage.objectViewer', resource: 'projects/_/buckets/b' });
    const object = 'projects/_/buckets/b/objects/o';
    expect(iam.check(who, 'storage.objects.get', object, ['projects/_/buckets/b', 'projects/p'])).toEqual({
      allowed: true,
      binding: { member: who.member, role: 'projects/p/roles/reader', resource: 'projects/_/buckets/b' },
    });
    expect(iam.check(who, 'storage.objects.list', object, ['projects/_/buckets/b', 'projects/p'])).toEqual({
      allowed: true,
      binding: { member: who.member, role: 'roles/storage.objectViewer', resource: 'projects/_/buckets/b' },
    });
    expect(
      iam.check(who, 'storage.objects.get', 'projects/_/buckets/c/objects/o', ['projects/_/buckets/c', 'projects/p']),
    ).toEqual({
      allowed: true,
      binding: { member: who.member, role: 'roles/storage.objectViewer', resource: 'projects/p' },
    });
  });
});
