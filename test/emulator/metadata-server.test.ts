/**
 * A local function's metadata server and the transport that uses it: google-auth-library's own
 * Compute client gets the emulator's token for the function's service account from it, and the
 * calls netreflex makes through shared/gcp/transport.ts then stand for that account.
 */
import { Compute } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { startMetadataServer, type MetadataServer } from '../../emulator/iam/metadata-server.js';
import { SAMPLE } from '../../local/topology.js';
import { Transport } from '../../shared/gcp/transport.js';

const P = SAMPLE.project;
const EMAIL = `netreflex-nat-routes@${P}.iam.gserviceaccount.com`;
let emu: Emulator;
let md: MetadataServer;
const before = process.env.GCE_METADATA_HOST;

beforeAll(async () => {
  emu = await startSampleEmulator();
  emu.iam.defineRole(`projects/${P}/roles/routesReader`, ['compute.routes.list']);
  emu.iam.grant({
    member: `serviceAccount:${EMAIL}`,
    role: `projects/${P}/roles/routesReader`,
    resource: `projects/${P}`,
  });
  md = await startMetadataServer({
    email: EMAIL,
    project: P,
    projectNumber: SAMPLE.projectNumber,
    mintToken: () => emu.iam.mintToken(`serviceAccount:${EMAIL}`),
  });
  // gcp-metadata reads GCE_METADATA_HOST on each request, as it does in a function the stack runs.
  process.env.GCE_METADATA_HOST = md.host;
});
afterAll(async () => {
  if (before === undefined) delete process.env.GCE_METADATA_HOST;
  else process.env.GCE_METADATA_HOST = before;
  await md.close();
  await emu.close();
});

const get = (key: string, headers: Record<string, string> = { 'Metadata-Flavor': 'Google' }) =>
  fetch(`http://${md.host}/computeMetadata/v1/${key}`, { headers });

describe('the metadata server of a local function', () => {
  it("hands google-auth-library's Compute client a token the emulator takes for the service account", async () => {
    const { token } = await new Compute().getAccessToken();
    expect(emu.iam.principalOf(token ?? undefined)).toEqual({ kind: 'member', member: `serviceAccount:${EMAIL}` });
  });

  it('answers the email and the project, with Metadata-Flavor: Google on every answer', async () => {
    const email = await get('instance/service-accounts/default/email');
    expect([email.status, email.headers.get('metadata-flavor'), await email.text()]).toEqual([200, 'Google', EMAIL]);
    expect(await (await get(`instance/service-accounts/${EMAIL}/email`)).text()).toBe(EMAIL);
    expect(await (await get('project/project-id')).text()).toBe(P);
    expect(await (await get('project/numeric-project-id')).text()).toBe(SAMPLE.projectNumber);
  });

  it('refuses a request without Metadata-Flavor: Google or with X-Forwarded-For (403), and an unknown key (404)', async () => {
    expect((await get('instance/service-accounts/default/token', {})).status).toBe(403);
    expect(
      (
        await get('instance/service-accounts/default/token', {
          'Metadata-Flavor': 'Google',
          'X-Forwarded-For': '10.0.0.1',
        })
      ).status,
    ).toBe(403);
    expect((await get('instance/service-accounts/other@p.iam.gserviceaccount.com/token')).status).toBe(404);
    expect((await get('instance/zone')).status).toBe(404);
  });
});

describe('shared/gcp/transport.ts with a metadata host', () => {
  it('calls as the service account: what its role grants works, the rest is the 403 production answers', async () => {
    const t = new Transport({ emulatorHost: emu.url, metadataHost: md.host, retry: { attempts: 1 } });
    await expect(
      t.request({ service: 'compute', method: 'GET', path: `/compute/v1/projects/${P}/global/routes` }),
    ).resolves.toMatchObject({ kind: 'compute#routeList' });
    await expect(
      t.request({ service: 'compute', method: 'GET', path: `/compute/v1/projects/${P}/global/networks/vpc-a` }),
    ).rejects.toMatchObject({
      code: 403,
      message: `Required 'compute.networks.get' permission for 'projects/${P}/global/networks/vpc-a'`,
    });
    expect(
      emu.iamChecks.filter((c) => c.member === `serviceAccount:${EMAIL}`).map((c) => [c.permission, c.allowed]),
    ).toEqual([
      ['compute.routes.list', true],
      ['compute.networks.get', false],
    ]);
  });

  it('without one the calls carry no token: the project owner, never Application Default Credentials', async () => {
    const t = new Transport({ emulatorHost: emu.url, retry: { attempts: 1 } });
    const checks = emu.iamChecks.length;
    await expect(
      t.request({ service: 'compute', method: 'GET', path: `/compute/v1/projects/${P}/global/networks/vpc-a` }),
    ).resolves.toMatchObject({ name: 'vpc-a' });
    expect(emu.iamChecks).toHaveLength(checks);
  });
});
