/**
 * The roles terraform-bootstrap/iam.tf deploys, enforced by the local Google Cloud: natRoutes'
 * idempotent path (insert answers 409, then the route is read to compare it) works with its role,
 * and fails with Google's 403 when the role lacks compute.routes.get (the production outage the
 * role had before).
 */
import compute from '@google-cloud/compute';
import { OAuth2Client, PassThroughClient } from 'google-auth-library';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { waitFor } from '../helpers/compute.js';
import { installTerraformIam, loadTerraformIam, type TerraformIam } from '../../local/terraform/iam.js';

const P = SAMPLE.project;
const NAT_ROUTES = `serviceAccount:netreflex-nat-routes@${P}.iam.gserviceaccount.com`;
let tf: TerraformIam;
let emu: Emulator | undefined;

beforeAll(async () => {
  tf = await loadTerraformIam({ project_number: SAMPLE.projectNumber });
});
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

function client(authClient: unknown) {
  return new compute.RoutesClient({
    apiEndpoint: '127.0.0.1',
    port: emu!.port,
    protocol: 'http',
    authClient,
  } as unknown as ConstructorParameters<typeof compute.RoutesClient>[0]);
}

function as(member: string) {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: emu!.iam.mintToken(member).accessToken, expiry_date: Date.now() + 3_600_000 });
  return client(c);
}

const route = {
  name: 'netreflex-iam-test',
  network: `projects/${P}/global/networks/${SAMPLE.vpcA.network}`,
  destRange: '198.51.100.10/32',
  priority: 900,
  nextHopIp: '10.95.0.9',
};

async function scenario(iam: TerraformIam): Promise<unknown> {
  emu = await startSampleEmulator();
  installTerraformIam(emu.iam, iam);
  const owner = client(new PassThroughClient());
  await owner.insert({ project: P, routeResource: route });
  // The route exists once its operation is DONE; before that a 409 may come from the pending insert.
  await waitFor(
    'the route inserted',
    () =>
      owner.get({ project: P, route: route.name }).then(
        () => true,
        () => false,
      ),
    60_000,
  );
  const natRoutes = as(NAT_ROUTES);
  await expect(natRoutes.insert({ project: P, routeResource: route })).rejects.toMatchObject({ code: 409 });
  return natRoutes.get({ project: P, route: route.name });
}

describe('iam.tf roles in the local Google Cloud', () => {
  it('reads every custom role and binding of iam.tf, members named as Terraform names the accounts', () => {
    expect(tf.roles.map((r) => r.name)).toContain(`projects/${P}/roles/netreflex_natRoutes`);
    expect(tf.bindings).toContainEqual({
      member: NAT_ROUTES,
      role: `projects/${P}/roles/netreflex_natRoutes`,
      resource: `projects/${P}`,
    });
    expect(tf.bindings).toContainEqual({
      member: `serviceAccount:netreflex-workflow@${P}.iam.gserviceaccount.com`,
      role: 'roles/iam.serviceAccountUser',
      resource: `projects/${P}/serviceAccounts/netreflex-pipelines@${P}.iam.gserviceaccount.com`,
    });
  });

  it("natRoutes' 409 path reads the route with its role", async () => {
    const [got] = (await scenario(tf)) as [{ name?: string }];
    expect(got.name).toBe(route.name);
  });

  it('planted: the natRoutes role without compute.routes.get fails that read with 403', async () => {
    const planted = {
      ...tf,
      roles: tf.roles.map((r) =>
        r.name.endsWith('/netreflex_natRoutes')
          ? { ...r, permissions: r.permissions.filter((p) => p !== 'compute.routes.get') }
          : r,
      ),
    };
    await expect(scenario(planted)).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining(
        `Required 'compute.routes.get' permission for 'projects/${P}/global/routes/${route.name}'`,
      ),
    });
  });
});
