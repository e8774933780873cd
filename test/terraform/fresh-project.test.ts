/**
 * terraform-bootstrap on a fresh project, checked offline: each check passes on the real tree and
 * reports one planted mistake on a copy.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type JsonObject, type TfModule, cloneModule, file, loadModule } from '../../local/terraform/reader.js';
import { TF_DIR } from './policy.js';
import { FRESH_CHECKS, type FreshCheck, type FreshContext } from './fresh-project-checks.js';
import { SERVICES } from '../../shared/gcp/transport.js';

let tf: TfModule;
const ctx: FreshContext = {
  // Every API the functions' calls can reach: the services the shared transport speaks to.
  runtimeServices: [...SERVICES],
  workflowServices: [
    ...new Set(
      [
        ...readFileSync(new URL('../../workflows/vertex-pipeline-run.yaml', import.meta.url), 'utf8').matchAll(
          /call:\s*googleapis\.(\w+)\./g,
        ),
      ].map((x) => x[1]!),
    ),
  ],
};

beforeAll(async () => {
  tf = await loadModule(TF_DIR);
});

const resource = (m: TfModule, fileName: string, type: string, name: string): JsonObject => {
  const r = file(m, fileName).json.resource as JsonObject;
  return ((r[type] as JsonObject)[name] as JsonObject[])[0]!;
};

async function planted(check: FreshCheck, plant: (m: TfModule) => void): Promise<string[]> {
  const m = cloneModule(tf);
  plant(m);
  return check(m, ctx);
}

describe('terraform-bootstrap on a fresh project', () => {
  for (const [name, check] of Object.entries(FRESH_CHECKS)) {
    it(`${name}: no problems`, async () => {
      expect(await check(tf, ctx)).toEqual([]);
    });
  }

  it('knows the APIs the code calls at run time', () => {
    expect(ctx.runtimeServices).toEqual(
      expect.arrayContaining(['compute', 'aiplatform', 'workflowexecutions', 'servicenetworking', 'storage', 'pubsub']),
    );
    // The egress check is armorAllowlistVerify's: the workflow itself reads no Cloud Armor policy.
    // Cloud Storage: the workflow reads a gs:// compiled pipeline and sends it as pipelineSpec.
    expect([...ctx.workflowServices].sort()).toEqual(['aiplatform', 'pubsub', 'storage']);
  });
});

describe('each fresh-project check catches a planted mistake', () => {
  const locals = (m: TfModule) => (file(m, 'project.tf').json.locals as JsonObject[]).find((l) => '_services' in l)!;

  it('apisEnabled: Vertex AI left out', async () => {
    expect(
      await planted(
        FRESH_CHECKS.apisEnabled!,
        (m) =>
          void (locals(m)._services = (locals(m)._services as string[]).filter(
            (s) => s !== 'aiplatform.googleapis.com',
          )),
      ),
    ).toEqual([
      expect.stringMatching(/aiplatform\.googleapis\.com is used by the functions at run time but not enabled/),
    ]);
  });

  it('apisEnabled: an API turned off on destroy', async () => {
    expect(
      await planted(
        FRESH_CHECKS.apisEnabled!,
        (m) => void (resource(m, 'project.tf', 'google_project_service', 'enabled').disable_on_destroy = true),
      ),
    ).toEqual([expect.stringMatching(/disable_on_destroy = false/)]);
  });

  it('orderedAfterApis: a network created before compute is enabled', async () => {
    const problems = await planted(
      FRESH_CHECKS.orderedAfterApis!,
      (m) => void delete resource(m, 'network.tf', 'google_compute_network', 'vpc_a').depends_on,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/google_compute_network\.vpc_a does not depend on google_project_service\.enabled/),
      ]),
    );
  });

  it('buildAccount: a function built by the default account', async () => {
    expect(
      await planted(
        FRESH_CHECKS.buildAccount!,
        (m) =>
          void delete (
            resource(m, 'functions.tf', 'google_cloudfunctions2_function', 'default').build_config as JsonObject[]
          )[0]!.service_account,
      ),
    ).toEqual([expect.stringMatching(/build_config\.service_account must be google_service_account\.build\.id/)]);
  });

  it('buildAccount: the build account made an editor', async () => {
    const problems = await planted(
      FRESH_CHECKS.buildAccount!,
      (m) =>
        void ((file(m, 'project.tf').json.locals as JsonObject[]).find(
          (l) => '_build_project_roles' in l,
        )!._build_project_roles = ['roles/artifactregistry.writer', 'roles/logging.logWriter', 'roles/editor']),
    );
    expect(problems).toEqual(['the build account holds project roles/editor, beyond the documented build roles']);
  });

  it('serviceAgentsReady: the connection does not wait for the Service Networking agent', async () => {
    const problems = await planted(
      FRESH_CHECKS.serviceAgentsReady!,
      (m) => void delete resource(m, 'psa.tf', 'google_service_networking_connection', 'psa').depends_on,
    );
    expect(problems).toEqual([
      expect.stringMatching(/google_service_networking_connection\.psa must depend on time_sleep\.service_agents/),
    ]);
  });

  it('serviceAgentsReady: the wait that waits for nothing', async () => {
    const problems = await planted(
      FRESH_CHECKS.serviceAgentsReady!,
      (m) => void delete resource(m, 'project.tf', 'time_sleep', 'service_agents').depends_on,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/time_sleep\.service_agents must wait for google_project_iam_member\.service_agent/),
      ]),
    );
  });

  it('destroyWorks: the functions outlive the teardown', async () => {
    const problems = await planted(FRESH_CHECKS.destroyWorks!, (m) => {
      const f = resource(m, 'functions.tf', 'google_cloudfunctions2_function', 'default');
      f.depends_on = (f.depends_on as string[]).filter((d) => !d.includes('teardown'));
    });
    expect(problems).toEqual([
      expect.stringMatching(/google_cloudfunctions2_function\.default must depend on terraform_data\.teardown/),
    ]);
  });

  it('destroyWorks: a connection Terraform tries to delete', async () => {
    expect(
      await planted(
        FRESH_CHECKS.destroyWorks!,
        (m) => void delete resource(m, 'psa.tf', 'google_service_networking_connection', 'psa').deletion_policy,
      ),
    ).toEqual([expect.stringMatching(/deletion_policy = "ABANDON"/)]);
  });
});
