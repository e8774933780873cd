/**
 * Least privilege per resource, checked offline on the bindings as the local Google Cloud reads
 * them: each rule passes on the real tree and reports a planted mistake on a copy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type JsonObject, type TfModule, cloneModule, file, loadModule } from '../../local/terraform/reader.js';
import { TF_DIR, predefinedRolePermissions } from './policy.js';
import { LEAST_CHECKS, type LeastCheck, type LeastContext } from './least-privilege-checks.js';

let tf: TfModule;
const ctx: LeastContext = { predefinedRoles: predefinedRolePermissions() };

beforeAll(async () => {
  tf = await loadModule(TF_DIR);
});

const resource = (m: TfModule, type: string, name: string): JsonObject => {
  const r = file(m, 'iam.tf').json.resource as JsonObject;
  return ((r[type] as JsonObject)[name] as JsonObject[])[0]!;
};
const iamLocals = (m: TfModule, key: string) => (file(m, 'iam.tf').json.locals as JsonObject[]).find((l) => key in l)!;
const scoped = (m: TfModule, key: string) =>
  (iamLocals(m, '_function_scoped')._function_scoped as JsonObject)[key] as JsonObject;

function planted(check: LeastCheck, plant: (m: TfModule) => void): string[] {
  const m = cloneModule(tf);
  plant(m);
  return check(m, ctx);
}

describe('least privilege on the real tree', () => {
  for (const [name, check] of Object.entries(LEAST_CHECKS)) {
    it(`${name}: no problems`, () => {
      expect(check(tf, ctx)).toEqual([]);
    });
  }
});

describe('each least-privilege rule catches a planted mistake', () => {
  it('publishOnOneTopic: natRoutes made publisher on the pipeline request topic', () => {
    expect(
      planted(LEAST_CHECKS.publishOnOneTopic!, (m) => {
        resource(m, 'google_pubsub_topic_iam_member', 'natroutes_results').topic =
          '${google_pubsub_topic.pipeline_requests.name}';
      }),
    ).toEqual([
      expect.stringMatching(
        /netreflex-nat-routes@.* holds roles\/pubsub\.publisher on projects\/netreflex-demo\/topics\/netreflex-pipeline-requests: publishing must be granted on .*route-results only/,
      ),
      expect.stringMatching(/netreflex-nat-routes@.* lacks roles\/pubsub\.publisher on .*route-results/),
    ]);
  });

  it('publishOnOneTopic: publish back in a project role', () => {
    expect(
      planted(LEAST_CHECKS.publishOnOneTopic!, (m) => {
        (iamLocals(m, 'function_permissions').function_permissions as JsonObject).pipelineRequests = [
          'pubsub.topics.publish',
          'workflows.executions.create',
          'workflows.executions.list',
        ];
      }),
    ).toEqual([
      expect.stringMatching(
        /netreflex-pipeline-requests@.* on projects\/netreflex-demo: publishing must be granted on .*pipeline-replies only/,
      ),
    ]);
  });

  it('objectsOnOneBucket: the allowlist reader on the request bucket', () => {
    expect(
      planted(LEAST_CHECKS.objectsOnOneBucket!, (m) => {
        resource(m, 'google_storage_bucket_iam_member', 'allowlist_reader').bucket =
          '${google_storage_bucket.requests.name}';
      }),
    ).toEqual([
      expect.stringMatching(
        /netreflex-armor-allowlist@.* on projects\/_\/buckets\/netreflex-demo-requests: object access must be roles\/storage\.objectViewer on projects\/_\/buckets\/netreflex-demo-config only/,
      ),
      expect.stringMatching(
        /netreflex-armor-allowlist@.* lacks roles\/storage\.objectViewer on projects\/_\/buckets\/netreflex-demo-config/,
      ),
    ]);
  });

  it('objectsOnOneBucket: the pipeline account given object access on the whole project', () => {
    expect(
      planted(LEAST_CHECKS.objectsOnOneBucket!, (m) => {
        const r = file(m, 'iam.tf').json.resource as JsonObject;
        const b = resource(m, 'google_storage_bucket_iam_member', 'pipelines_root');
        delete (r.google_storage_bucket_iam_member as JsonObject).pipelines_root;
        (r.google_project_iam_member as JsonObject).pipelines_objects = [
          { project: '${var.project_id}', role: b.role!, member: b.member! },
        ];
      }),
    ).toEqual([
      expect.stringMatching(
        /netreflex-pipelines@.* holds roles\/storage\.objectUser on projects\/netreflex-demo: object access must be roles\/storage\.objectUser on projects\/_\/buckets\/netreflex-demo-netreflex-pipelines only/,
      ),
      expect.stringMatching(/netreflex-pipelines@.* lacks roles\/storage\.objectUser on .*-pipelines/),
    ]);
  });

  it('pipelineRootWritable: the default pipeline root in a bucket nothing creates (a fresh project cannot run a pipeline)', () => {
    expect(
      planted(LEAST_CHECKS.pipelineRootWritable!, (m) => {
        const v = (file(m, 'variables.tf').json.variable as JsonObject).pipeline_root as JsonObject[];
        v[0]!.default = 'gs://netreflex-demo-pipelines/runs';
      }),
    ).toEqual([
      expect.stringMatching(
        /the default pipeline root gs:\/\/netreflex-demo-pipelines\/runs is in a bucket this module does not create/,
      ),
    ]);
  });

  it('pipelineRootWritable: the pipeline account only reads the pipeline root', () => {
    expect(
      planted(LEAST_CHECKS.pipelineRootWritable!, (m) => {
        resource(m, 'google_storage_bucket_iam_member', 'pipelines_root').role = 'roles/storage.objectViewer';
      }),
    ).toEqual([
      expect.stringMatching(
        /the pipeline account netreflex-pipelines@.* cannot use the pipeline root gs:\/\/netreflex-demo-netreflex-pipelines\/runs \(lacks storage\.objects\.create on/,
      ),
    ]);
  });

  it('pipelineRootWritable: the workflow given a literal root instead of local.pipeline_root', () => {
    expect(
      planted(LEAST_CHECKS.pipelineRootWritable!, (m) => {
        const r = file(m, 'workflows.tf').json.resource as JsonObject;
        const w = ((r.google_workflows_workflow as JsonObject).pipeline_run as JsonObject[])[0]!;
        (w.user_env_vars as JsonObject).NETREFLEX_PIPELINE_ROOT = 'gs://somewhere/runs';
      }),
    ).toEqual([expect.stringMatching(/NETREFLEX_PIPELINE_ROOT must be local\.pipeline_root/)]);
  });

  const pipelinesTf = (m: TfModule): JsonObject => file(m, 'pipelines.tf').json.resource as JsonObject;
  const pipelinesResource = (m: TfModule, type: string, name: string): JsonObject =>
    ((pipelinesTf(m)[type] as JsonObject)[name] as JsonObject[])[0]!;

  it('pipelineTeams: the teams may publish replies (forge an outcome) instead of subscribing', () => {
    expect(
      planted(LEAST_CHECKS.pipelineTeams!, (m) => {
        pipelinesResource(m, 'google_pubsub_topic_iam_member', 'reply_subscribers').role = 'roles/pubsub.publisher';
      }),
    ).toEqual([
      expect.stringMatching(
        /ml-team-a@example\.com holds roles\/pubsub\.publisher on .*netreflex-pipeline-replies: a pipeline team may hold only/,
      ),
      expect.stringMatching(/ci@team-b.* holds roles\/pubsub\.publisher on .*pipeline-replies/),
      expect.stringMatching(/\(group:ml-team-a@example\.com\) lacks roles\/pubsub\.subscriber on .*pipeline-replies/),
      expect.stringMatching(/\(serviceAccount:ci@team-b.*\) lacks roles\/pubsub\.subscriber/),
    ]);
  });

  it('pipelineTeams: the teams made publishers on the whole project, and none on the request topic', () => {
    expect(
      planted(LEAST_CHECKS.pipelineTeams!, (m) => {
        const r = pipelinesTf(m);
        const b = pipelinesResource(m, 'google_pubsub_topic_iam_member', 'requesters');
        delete (r.google_pubsub_topic_iam_member as JsonObject).requesters;
        r.google_project_iam_member = {
          requesters: [{ for_each: b.for_each!, project: '${var.project_id}', role: b.role!, member: b.member! }],
        };
      }),
    ).toEqual([
      expect.stringMatching(/ml-team-a@example\.com holds roles\/pubsub\.publisher on projects\/netreflex-demo:/),
      expect.stringMatching(/ci@team-b.* holds roles\/pubsub\.publisher on projects\/netreflex-demo:/),
      expect.stringMatching(
        /lacks roles\/pubsub\.publisher on projects\/netreflex-demo\/topics\/netreflex-pipeline-requests/,
      ),
      expect.stringMatching(
        /lacks roles\/pubsub\.publisher on projects\/netreflex-demo\/topics\/netreflex-pipeline-requests/,
      ),
    ]);
  });

  it('templatesReadable: the pipeline account cannot read the templates, and the repository holds Docker images', () => {
    expect(
      planted(LEAST_CHECKS.templatesReadable!, (m) => {
        pipelinesResource(m, 'google_artifact_registry_repository', 'pipelines').format = 'DOCKER';
        const locals = (file(m, 'pipelines.tf').json.locals as JsonObject[])[0]!;
        delete (locals._template_readers as JsonObject).pipelines;
      }),
    ).toEqual([
      expect.stringMatching(/must have format "KFP" .*got DOCKER/),
      expect.stringMatching(
        /serviceAccount:netreflex-pipelines@.* lacks roles\/artifactregistry\.reader on the pipeline template repository/,
      ),
    ]);
  });

  it('templatesReadable: the teams made repository admins', () => {
    expect(
      planted(LEAST_CHECKS.templatesReadable!, (m) => {
        pipelinesResource(m, 'google_artifact_registry_repository_iam_member', 'template_writers').role =
          'roles/artifactregistry.repoAdmin';
      }),
    ).toEqual([
      expect.stringMatching(/template_writers: .*pipeline_requesters\) holds roles\/artifactregistry\.repoAdmin/),
      expect.stringMatching(/of toset\(var\.pipeline_requesters\) lacks roles\/artifactregistry\.writer/),
    ]);
  });

  it('computeWritesConditioned: the route writes without their condition', () => {
    const problems = planted(LEAST_CHECKS.computeWritesConditioned!, (m) => {
      scoped(m, 'natRoutes_routes').expression = 'true';
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /netreflex-nat-routes@.*: compute\.routes\.create must be granted under the condition resource\.name\.startsWith\("projects\/netreflex-demo\/global\/routes\/netreflex-"\)/,
      ),
      expect.stringMatching(/compute\.routes\.delete must be granted under the condition/),
    ]);
  });

  it('computeWritesConditioned: a Cloud Armor write in the project role', () => {
    const problems = planted(LEAST_CHECKS.computeWritesConditioned!, (m) => {
      ((iamLocals(m, 'function_permissions').function_permissions as JsonObject).armorAllowlist as string[]).push(
        'compute.securityPolicies.update',
      );
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /netreflex-armor-allowlist@.* on projects\/netreflex-demo: compute\.securityPolicies\.update must be granted under the condition resource\.name == "projects\/netreflex-demo\/global\/securityPolicies\/inference-policy"/,
      ),
    ]);
  });

  it('onlyPipelineRequestsStartsRuns: natRoutes may start the workflow', () => {
    expect(
      planted(LEAST_CHECKS.onlyPipelineRequestsStartsRuns!, (m) => {
        ((iamLocals(m, 'function_permissions').function_permissions as JsonObject).natRoutes as string[]).push(
          'workflows.executions.create',
        );
      }),
    ).toEqual([expect.stringMatching(/netreflex-nat-routes@.*: only pipelineRequests may start the workflow/)]);
  });

  it('dedicatedPipelineAccount: the workflow acting as the Compute Engine default account again', () => {
    const problems = planted(LEAST_CHECKS.dedicatedPipelineAccount!, (m) => {
      resource(m, 'google_service_account_iam_member', 'workflow_acts_as_pipeline').service_account_id =
        'projects/${var.project_id}/serviceAccounts/123456789012-compute@developer.gserviceaccount.com';
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /netreflex-workflow@.* on projects\/netreflex-demo\/serviceAccounts\/123456789012-compute@developer\.gserviceaccount\.com: acting as any account but netreflex-pipelines@/,
      ),
      expect.stringMatching(/the workflow cannot act as netreflex-pipelines@/),
    ]);
  });

  it('dedicatedPipelineAccount: the pipeline account made an editor', () => {
    expect(
      planted(LEAST_CHECKS.dedicatedPipelineAccount!, (m) => {
        iamLocals(m, 'pipeline_roles').pipeline_roles = [
          'roles/aiplatform.user',
          'roles/editor',
          'roles/logging.logWriter',
        ];
      }),
    ).toEqual([
      expect.stringMatching(
        /the pipeline account holds roles\/aiplatform\.user, roles\/editor, roles\/logging\.logWriter on the project; it must hold exactly/,
      ),
    ]);
  });
});
