/**
 * terraform-bootstrap, checked offline: each check passes on the real tree and reports one planted
 * mistake on an in-memory copy (so a check that silently stops checking fails here too).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS, type Check, type Context } from './checks.js';
import {
  type JsonObject,
  type TfModule,
  cloneModule,
  file,
  isObject,
  loadModule,
  sub,
} from '../../local/terraform/reader.js';
import { PENDING_FUNCTIONS, TF_DIR, realContext } from './policy.js';

let tf: TfModule;
let ctx: Context;

beforeAll(async () => {
  tf = await loadModule(TF_DIR);
  ctx = realContext();
});

/** Runs `check` on a copy of the tree changed by `plant` (and optionally a changed context). */
async function planted(
  check: Check,
  plant: (m: TfModule) => void,
  context: (c: Context) => Context = (c) => c,
): Promise<string[]> {
  const m = cloneModule(tf);
  plant(m);
  return check(m, context(ctx));
}

const resource = (m: TfModule, fileName: string, type: string, name: string): JsonObject => {
  const r = file(m, fileName).json.resource;
  const body = isObject(r) && isObject(r[type]) ? r[type][name] : undefined;
  const first = Array.isArray(body) ? body[0] : undefined;
  if (!isObject(first)) throw new Error(`no ${type}.${name} in ${fileName}`);
  return first;
};
const functionsLocal = (m: TfModule): JsonObject => {
  const block = (file(m, 'functions.tf').json.locals as JsonObject[]).find((l) => 'functions' in l);
  return block?.functions as JsonObject;
};
const natRoutes = (m: TfModule) => functionsLocal(m).natRoutes as JsonObject;
const natRoutesPermissions = (m: TfModule) => {
  const block = (file(m, 'iam.tf').json.locals as JsonObject[]).find((l) => 'function_permissions' in l);
  return (block?.function_permissions as JsonObject).natRoutes as string[];
};

describe('terraform-bootstrap on the real tree', () => {
  for (const [name, check] of Object.entries(CHECKS)) {
    it(`${name}: no problems`, async () => {
      expect(await check(tf, ctx)).toEqual([]);
    });
  }

  it('deploys every function that FUNCTIONS lists, and only pending ones beside them', () => {
    const deployed = Object.keys(functionsLocal(tf));
    for (const r of ctx.registry) expect(deployed).toContain(r.entryPoint);
    for (const d of deployed) expect([...ctx.registry.map((r) => r.entryPoint), ...PENDING_FUNCTIONS]).toContain(d);
  });
});

describe('each check catches a planted mistake', () => {
  it('ilbModeWired: the backend service on another health check, a TCP-only forwarding rule, natRoutesSync without the rule name', async () => {
    const problems = await planted(CHECKS.ilbModeWired, (m) => {
      resource(m, 'nat.tf', 'google_compute_region_backend_service', 'nat').health_checks = [
        '${google_compute_health_check.other.id}',
      ];
      resource(m, 'nat.tf', 'google_compute_forwarding_rule', 'nat').ip_protocol = 'TCP';
      ((functionsLocal(m).natRoutesSync as JsonObject).env as JsonObject).NETREFLEX_ILB_FORWARDING_RULE = '';
    });
    expect(problems).toEqual([
      expect.stringContaining("health_checks must be the NAT MIG's autohealing health check"),
      expect.stringContaining('ip_protocol L3_DEFAULT with all_ports = true'),
      expect.stringContaining(
        'functions.tf natRoutesSync: NETREFLEX_ILB_FORWARDING_RULE must be google_compute_forwarding_rule.nat[0].name',
      ),
    ]);
  });

  it('ilbModeWired: a load balancer created in both modes, and one that is gone', async () => {
    expect(
      await planted(
        CHECKS.ilbModeWired,
        (m) => void (resource(m, 'nat.tf', 'google_compute_forwarding_rule', 'nat').count = 1),
      ),
    ).toEqual([
      expect.stringContaining('google_compute_forwarding_rule.nat: count must be var.route_mode == "ilb" ? 1 : 0'),
    ]);
    const gone = await planted(CHECKS.ilbModeWired, (m) => {
      const r = file(m, 'nat.tf').json.resource as JsonObject;
      delete r.google_compute_region_backend_service;
    });
    expect(gone).toEqual([expect.stringContaining('no google_compute_region_backend_service.nat')]);
  });

  it('referencesResolve: a misspelt variable', async () => {
    const problems = await planted(CHECKS.referencesResolve, (m) => {
      resource(m, 'network.tf', 'google_compute_subnetwork', 'subnet_a').region = '${var.regoin}';
    });
    expect(problems).toEqual([expect.stringContaining('no variable "regoin" is declared')]);
  });

  it('referencesResolve: a trigger aimed at a function that is not deployed', async () => {
    const problems = await planted(CHECKS.referencesResolve, (m) => {
      const dest = sub(
        resource(m, 'events.tf', 'google_eventarc_trigger', 'allowlist_finalized'),
        'destination',
        'cloud_run_service',
      );
      if (dest) dest.service = '${google_cloudfunctions2_function.default["armorAllowList"].service_config[0].service}';
    });
    expect(problems).toEqual([expect.stringContaining('"armorAllowList" is not a key of ${local.functions}')]);
  });

  it('referencesResolve: a private local used outside its file', async () => {
    const problems = await planted(CHECKS.referencesResolve, (m) => {
      resource(m, 'nat.tf', 'google_compute_router_nat', 'nat').name = '${local._role_prefix}';
    });
    expect(problems).toEqual([expect.stringContaining('local "_role_prefix" is private to iam.tf')]);
  });

  it('filesExist: a file() of a script that is not in the repo', async () => {
    const problems = await planted(CHECKS.filesExist, (m) => {
      const f = file(m, 'nat.tf');
      f.text = f.text.replace('/scripts/nat-startup.sh")', '/scripts/nat-start.sh")');
    });
    expect(problems).toEqual([expect.stringContaining('"terraform-bootstrap/scripts/nat-start.sh" does not exist')]);
  });

  it('functionsMatchRegistry: a deployed function that FUNCTIONS does not know', async () => {
    const problems = await planted(CHECKS.functionsMatchRegistry, (m) => {
      functionsLocal(m).routeJanitor = { ...natRoutes(m), folder: 'functions/route-janitor' };
    });
    expect(problems).toEqual([
      'function routeJanitor is deployed by Terraform but not in FUNCTIONS (shared/config/functions.ts); add it there or remove it from functions.tf',
    ]);
  });

  it('functionsMatchRegistry: a function of FUNCTIONS that Terraform forgot, and a wrong folder', async () => {
    const forgot = await planted(CHECKS.functionsMatchRegistry, (m) => {
      delete functionsLocal(m).natRoutes;
    });
    expect(forgot).toEqual([
      expect.stringContaining('FUNCTIONS lists natRoutes but terraform-bootstrap does not deploy it'),
    ]);
    const folder = await planted(CHECKS.functionsMatchRegistry, (m) => {
      natRoutes(m).folder = 'functions/nat-route';
    });
    expect(folder).toEqual([
      expect.stringContaining('Terraform says folder "functions/nat-route", FUNCTIONS says "functions/nat-routes"'),
    ]);
  });

  it('functionsMatchRegistry: an entry point functions/index.ts does not export', async () => {
    const problems = await planted(
      CHECKS.functionsMatchRegistry,
      () => undefined,
      (c) => ({
        ...c,
        read: (p) =>
          p === 'functions/index.ts' ? "export { armorAllowlist } from './armor-allowlist/index.js';\n" : c.read(p),
      }),
    );
    expect(problems).toContainEqual(expect.stringContaining('functions/index.ts does not export "natRoutes"'));
  });

  it('envMatchesLoader: a variable the loader reads is missing, one it does not read is set', async () => {
    const problems = await planted(CHECKS.envMatchesLoader, (m) => {
      const env = natRoutes(m).env as JsonObject;
      delete env.NETREFLEX_DESTINATIONS;
      env.NETREFLEX_EMULATOR_HOST = 'http://127.0.0.1:8090';
    });
    expect(problems).toEqual([
      'function natRoutes: Terraform does not set NETREFLEX_DESTINATIONS, which its config loader reads',
      'function natRoutes: Terraform sets NETREFLEX_EMULATOR_HOST, which its config loader does not read (local-only: never deploy it)',
    ]);
  });

  it('permissionsExist: a misspelt permission in a function role and in the workflow role', async () => {
    const problems = await planted(CHECKS.permissionsExist, (m) => {
      natRoutesPermissions(m).push('compute.routes.lists');
      const block = (file(m, 'iam.tf').json.locals as JsonObject[]).find((l) => 'workflow_permissions' in l);
      (block?.workflow_permissions as string[]).push('aiplatform.pipelineJob.create');
    });
    expect(problems).toEqual([
      expect.stringContaining(
        'google_project_iam_custom_role.function["natRoutes"]: "compute.routes.lists" is not a Google Cloud permission',
      ),
      expect.stringContaining(
        'google_project_iam_custom_role.workflow: "aiplatform.pipelineJob.create" is not a Google Cloud permission',
      ),
    ]);
  });

  it('noPublicPrincipals: an invoker binding for allUsers', async () => {
    const problems = await planted(CHECKS.noPublicPrincipals, (m) => {
      resource(m, 'iam.tf', 'google_cloud_run_v2_service_iam_member', 'invoker').member = 'allUsers';
    });
    expect(problems).toEqual([
      expect.stringContaining(
        'google_cloud_run_v2_service_iam_member.invoker[0].member = "allUsers" grants access to the public',
      ),
    ]);
  });

  it('startupScriptFromFile: the script pasted inline', async () => {
    const problems = await planted(CHECKS.startupScriptFromFile, (m) => {
      const meta = resource(m, 'nat.tf', 'google_compute_instance_template', 'nat').metadata as JsonObject;
      meta['startup-script'] = '#!/bin/bash\nsysctl -w net.ipv4.ip_forward=1\n';
    });
    expect(problems).toEqual([
      expect.stringContaining('metadata startup-script must be file("${path.module}/scripts/nat-startup.sh")'),
    ]);
  });

  it('variablesWellFormed: out of order, untyped, undescribed, unvalidated', async () => {
    const problems = await planted(CHECKS.variablesWellFormed, (m) => {
      const f = file(m, 'variables.tf');
      f.text = f.text.replace('variable "allowlist_object"', 'variable "zz_allowlist_object"');
      const v = (f.json.variable as JsonObject).region as JsonObject[];
      const region = v[0] as JsonObject;
      delete region.type;
      delete region.description;
      delete region.validation;
    });
    expect(problems).toEqual([
      'variables.tf: variables are not in alphabetical order: "zz_allowlist_object" is where "armor_policy_name" belongs',
      'variable "region" has no type',
      'variable "region" has no description',
      'variable "region" has no validation block',
    ]);
  });

  it('outputsWellFormed: out of order and undescribed', async () => {
    const problems = await planted(CHECKS.outputsWellFormed, (m) => {
      const f = file(m, 'outputs.tf');
      f.text = f.text.replace('output "workflow"', 'output "a_workflow"');
      delete (((f.json.output as JsonObject).vpc_b as JsonObject[])[0] as JsonObject).description;
    });
    expect(problems).toEqual([
      expect.stringContaining('outputs are not in alphabetical order'),
      'output "vpc_b" has no description',
    ]);
  });

  it('readmeTablesMatch: a variable description changed without regenerating the README', async () => {
    const problems = await planted(CHECKS.readmeTablesMatch, (m) => {
      (((file(m, 'variables.tf').json.variable as JsonObject).region as JsonObject[])[0] as JsonObject).description =
        'Where things run.';
    });
    expect(problems).toEqual([
      'README.md variables table is out of date; regenerate it: npx tsx test/terraform/readme-tables.ts',
    ]);
  });

  it('armorLeavesAllowRules: no ignore_changes on rule', async () => {
    const problems = await planted(CHECKS.armorLeavesAllowRules, (m) => {
      delete resource(m, 'armor.tf', 'google_compute_security_policy', 'inference').lifecycle;
    });
    expect(problems).toEqual([expect.stringContaining('lacks lifecycle { ignore_changes = [rule] }')]);
  });

  it('bucketsPrivate: public access prevention inherited', async () => {
    const problems = await planted(CHECKS.bucketsPrivate, (m) => {
      resource(m, 'bucket.tf', 'google_storage_bucket', 'config').public_access_prevention = 'inherited';
    });
    expect(problems).toEqual(['bucket.tf: bucket config must set public_access_prevention = "enforced"']);
  });

  it('configKeepsAppliedFile: old versions deleted by count, as bucket.tf did', async () => {
    const problems = await planted(CHECKS.configKeepsAppliedFile, (m) => {
      const rules = resource(m, 'bucket.tf', 'google_storage_bucket', 'config').lifecycle_rule as JsonObject[];
      rules[0]!.condition = [{ num_newer_versions: 20, with_state: 'ARCHIVED' }];
    });
    expect(problems).toEqual([
      'bucket.tf: bucket config lifecycle_rule 1 deletes versions by num_newer_versions, with_state: it can delete the last applied allowlist generation, which expiry reads back while the live file is refused; delete only noncurrent versions by age (with_state = "ARCHIVED", days_since_noncurrent_time >= 365)',
    ]);
  });

  it('configKeepsAppliedFile: a year of age, but the live version too', async () => {
    const problems = await planted(CHECKS.configKeepsAppliedFile, (m) => {
      const rules = resource(m, 'bucket.tf', 'google_storage_bucket', 'config').lifecycle_rule as JsonObject[];
      rules[0]!.condition = [{ age: 365 }];
    });
    expect(problems).toEqual([expect.stringContaining('lifecycle_rule 1 deletes versions by age:')]);
  });

  it('invokersLimited: a function opened to another principal', async () => {
    const problems = await planted(CHECKS.invokersLimited, (m) => {
      (functionsLocal(m).peeringRanges as JsonObject).invokers = ['workflow', 'developers'];
    });
    expect(problems).toEqual([expect.stringContaining('peeringRanges may be invoked by "developers"')]);
  });

  it('workflowEnvSet: the YAML reads a variable the workflow does not set', async () => {
    const yaml =
      'main:\n  steps:\n    - init:\n        assign:\n          - url: ${sys.get_env("NETREFLEX_PEERING_RANGES_URL")}\n          - p: ${sys.get_env("GOOGLE_CLOUD_PROJECT_ID")}\n          - t: ${sys.get_env("NETREFLEX_TIMEOUT")}\n';
    const problems = await planted(
      CHECKS.workflowEnvSet,
      () => undefined,
      (c) => ({
        ...c,
        read: (p) => (p === 'workflows/vertex-pipeline-run.yaml' ? yaml : c.read(p)),
      }),
    );
    expect(problems).toEqual([
      expect.stringContaining('reads sys.get_env("NETREFLEX_TIMEOUT") but pipeline_run.user_env_vars does not set it'),
    ]);
  });
});
