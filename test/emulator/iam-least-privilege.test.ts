/**
 * The per-resource grants of terraform-bootstrap/iam.tf, enforced by the local Google Cloud as
 * Google enforces them, through the official clients with each function's own token: every write
 * a function makes works on the resource it owns and is refused with Google's 403 on the one next
 * to it — a route not named netreflex-*, the other VPC, a second Cloud Armor policy, the request
 * topic, the other bucket, starting the workflow from any function but pipelineRequests.
 */
import compute from '@google-cloud/compute';
import { OAuth2Client, PassThroughClient } from 'google-auth-library';
import { ExecutionsClient as WorkflowsExecutions, type ExecutionsClient } from '@google-cloud/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { installTerraformIam, loadTerraformIam } from '../../local/terraform/iam.js';
import { workflowName } from '../helpers/workflows.js';

const P = SAMPLE.project;
const sa = (id: string) => `serviceAccount:netreflex-${id}@${P}.iam.gserviceaccount.com`;
let emu: Emulator;

function auth(member: string): OAuth2Client {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: emu.iam.mintToken(member).accessToken, expiry_date: Date.now() + 3_600_000 });
  return c;
}
const opts = (authClient: unknown) =>
  ({ apiEndpoint: '127.0.0.1', port: emu.port, protocol: 'http', authClient }) as unknown as ConstructorParameters<
    typeof compute.RoutesClient
  >[0];
const denied = (message: string) => ({ code: 403, message: expect.stringContaining(message) });
const route = (name: string, network: string = SAMPLE.vpcA.network) => ({
  name,
  network: `projects/${P}/global/networks/${network}`,
  destRange: '198.51.100.10/32',
  priority: 900,
  nextHopIp: '10.95.0.9',
});

beforeAll(async () => {
  emu = await startSampleEmulator();
  installTerraformIam(emu.iam, await loadTerraformIam({ project_number: SAMPLE.projectNumber }));
  emu.storage.createBucket(P, { name: SAMPLE.requestBucket, location: SAMPLE.region });
  for (const t of ['netreflex-route-results', 'netreflex-pipeline-requests', 'netreflex-pipeline-replies'])
    emu.topics.ensure(`projects/${P}/topics/${t}`);
  emu.workflows.engine.deployWorkflow(
    workflowName('vertex-pipeline-run'),
    'main:\n  steps:\n    - done:\n        return: 1\n',
    {},
  );
  const owner = new compute.SecurityPoliciesClient(opts(new PassThroughClient()));
  await owner.insert({ project: P, securityPolicyResource: { name: 'other-policy' } });
});
afterAll(() => emu?.close());

describe('routes and VPC A (natRoutes)', () => {
  it('may create and delete its own routes, not a route with another name', async () => {
    const routes = new compute.RoutesClient(opts(auth(sa('nat-routes'))));
    await routes.insert({ project: P, routeResource: route('netreflex-lp-ok') });
    await expect(routes.insert({ project: P, routeResource: route('hand-made') })).rejects.toMatchObject(
      denied(`Required 'compute.routes.create' permission for 'projects/${P}/global/routes/hand-made'`),
    );
  });

  it('needs the network permission on VPC A itself: a route on VPC B is refused on the network', async () => {
    const routes = new compute.RoutesClient(opts(auth(sa('nat-routes'))));
    await expect(
      routes.insert({ project: P, routeResource: route('netreflex-lp-vpc-b', SAMPLE.vpcB.network) }),
    ).rejects.toMatchObject(
      denied(
        `Required 'compute.networks.updatePolicy' permission for 'projects/${P}/global/networks/${SAMPLE.vpcB.network}'`,
      ),
    );
  });

  it('may change the peering of VPC A only', async () => {
    const networks = new compute.NetworksClient(opts(auth(sa('nat-routes'))));
    await expect(
      networks.updatePeering({
        project: P,
        network: SAMPLE.vpcB.network,
        networksUpdatePeeringRequestResource: { networkPeering: { name: 'x', exportCustomRoutes: true } },
      }),
    ).rejects.toMatchObject(
      denied(
        `Required 'compute.networks.updatePeering' permission for 'projects/${P}/global/networks/${SAMPLE.vpcB.network}'`,
      ),
    );
  });
});

describe('Cloud Armor (armorAllowlist)', () => {
  it('may change the inference policy, not another one', async () => {
    const policies = new compute.SecurityPoliciesClient(opts(auth(sa('armor-allowlist'))));
    const rule = {
      priority: 1500,
      action: 'allow',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.0/28'] } },
    };
    await policies.addRule({ project: P, securityPolicy: SAMPLE.armor.policy, securityPolicyRuleResource: rule });
    await expect(
      policies.addRule({ project: P, securityPolicy: 'other-policy', securityPolicyRuleResource: rule }),
    ).rejects.toMatchObject(
      denied(
        `Required 'compute.securityPolicies.update' permission for 'projects/${P}/global/securityPolicies/other-policy'`,
      ),
    );
  });
});

describe('buckets (armorAllowlist, pipelineRequests)', () => {
  // The JSON API with each account's token, as shared/gcp/storage.ts calls it (the official client
  // sends no token to a custom endpoint).
  const get = (member: string, bucket: string, object: string) =>
    fetch(`${emu.url}/storage/v1/b/${bucket}/o/${encodeURIComponent(object)}?alt=media`, {
      headers: { authorization: `Bearer ${emu.iam.mintToken(member).accessToken}` },
    });
  const put = (member: string, bucket: string, object: string, query = '') =>
    fetch(`${emu.url}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(object)}${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.iam.mintToken(member).accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });

  it('armorAllowlist reads the allowlist, not the request claims', async () => {
    emu.storage.writeObject(
      SAMPLE.requestBucket,
      'pipeline-requests/x.json',
      Buffer.from('{}'),
      { contentType: 'application/json' },
      {},
      false,
    );
    expect((await get(sa('armor-allowlist'), SAMPLE.bucket.name, SAMPLE.bucket.allowlistObject)).status).toBe(200);
    const refused = await get(sa('armor-allowlist'), SAMPLE.requestBucket, 'pipeline-requests/x.json');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('storage.objects.get');
  });

  it('pipelineRequests writes claims in the request bucket, not in the config bucket', async () => {
    expect(
      (await put(sa('pipeline-requests'), SAMPLE.requestBucket, 'pipeline-requests/y.json', '&ifGenerationMatch=0'))
        .status,
    ).toBe(200);
    const refused = await put(sa('pipeline-requests'), SAMPLE.bucket.name, SAMPLE.bucket.allowlistObject);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('storage.objects.create');
  });
});

describe('topics (natRoutes, pipelineRequests)', () => {
  const publish = async (member: string, topic: string) => {
    const token = emu.iam.mintToken(member).accessToken;
    return fetch(`${emu.url}/v1/projects/${P}/topics/${topic}:publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ data: Buffer.from('{}').toString('base64') }] }),
    });
  };

  it('natRoutes publishes its results, and cannot publish a pipeline request', async () => {
    expect((await publish(sa('nat-routes'), 'netreflex-route-results')).status).toBe(200);
    const refused = await publish(sa('nat-routes'), 'netreflex-pipeline-requests');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/not authorized|pubsub\.topics\.publish/);
  });

  it('pipelineRequests answers on the reply topic only', async () => {
    expect((await publish(sa('pipeline-requests'), 'netreflex-pipeline-replies')).status).toBe(200);
    expect((await publish(sa('pipeline-requests'), 'netreflex-route-results')).status).toBe(403);
  });
});

describe('starting the workflow', () => {
  const executions = (member: string): ExecutionsClient =>
    new WorkflowsExecutions({
      apiEndpoint: '127.0.0.1',
      port: emu.port,
      protocol: 'http',
      fallback: true,
      authClient: auth(member),
    } as unknown as ConstructorParameters<typeof WorkflowsExecutions>[0]);

  it('pipelineRequests may; natRoutes may not', async () => {
    const [ok] = await executions(sa('pipeline-requests')).createExecution({
      parent: workflowName('vertex-pipeline-run'),
      execution: {},
    });
    expect(ok.name).toMatch(/executions\//);
    await expect(
      executions(sa('nat-routes')).createExecution({ parent: workflowName('vertex-pipeline-run'), execution: {} }),
    ).rejects.toMatchObject({
      code: expect.anything(),
      message: expect.stringContaining('workflows.executions.create'),
    });
  });
});
