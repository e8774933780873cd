/**
 * Offline checks that terraform-bootstrap grants each netreflex identity its writes on the one
 * resource it owns (iam.tf's header says how): every binding is read as the local Google Cloud
 * reads it (local/terraform/iam.ts), so what these checks accept is exactly what the emulator
 * enforces.
 */
import { type TfModule, blocks, instances, named } from '../../local/terraform/reader.js';
import { terraformIam, terraformString, terraformValue, type TerraformIam } from '../../local/terraform/iam.js';
import type { Binding } from '../../emulator/iam/policy.js';

export interface LeastContext {
  /** Predefined roles' permissions (emulator/iam/data/roles.json). */
  predefinedRoles: Readonly<Record<string, readonly string[]>>;
}

export type LeastCheck = (m: TfModule, ctx: LeastContext) => string[];

interface Names {
  project: string;
  prefix: string;
  sa: (id: string) => string;
  topic: (id: string) => string;
  bucket: (v: string) => string;
  variable: (v: string) => string;
}

function names(m: TfModule, tf: TerraformIam): Names {
  const variable = (v: string) => String(named(m, 'variable').find((x) => x.name === v)?.body.default);
  const prefix = variable('prefix');
  return {
    project: tf.project,
    prefix,
    variable,
    sa: (id) => `serviceAccount:${prefix}-${id}@${tf.project}.iam.gserviceaccount.com`,
    topic: (id) => `projects/${tf.project}/topics/${prefix}-${id}`,
    bucket: (v) => `projects/_/buckets/${variable(v)}`,
  };
}

function read(m: TfModule): { tf: TerraformIam; n: Names } | string[] {
  try {
    const tf = terraformIam(m);
    return { tf, n: names(m, tf) };
  } catch (err) {
    return [`iam.tf: the bindings cannot be read: ${(err as Error).message}`];
  }
}

function permissionsOf(b: Binding, tf: TerraformIam, ctx: LeastContext): readonly string[] {
  return tf.roles.find((r) => r.name === b.role)?.permissions ?? ctx.predefinedRoles[b.role] ?? [];
}

const ours = (n: Names, member: string) =>
  member.startsWith(`serviceAccount:${n.prefix}-`) && member.endsWith(`@${n.project}.iam.gserviceaccount.com`);
const where = (b: Binding) =>
  `${b.member.replace(/^serviceAccount:/, '')} holds ${b.role} on ${b.resource}${b.condition ? ` if ${b.condition.expression}` : ''}`;

/** Publishing: only on a topic, never project-wide; each identity on its one topic; nobody on the request topic. */
export const publishOnOneTopic: LeastCheck = (m, ctx) => {
  const r = read(m);
  if (Array.isArray(r)) return r;
  const { tf, n } = r;
  const allowed: Record<string, string> = {
    [n.sa('nat-routes')]: n.topic('route-results'),
    [n.sa('pipeline-requests')]: n.topic('pipeline-replies'),
    [n.sa('workflow')]: n.topic('pipeline-replies'),
  };
  const problems: string[] = [];
  for (const b of tf.bindings.filter(
    (x) => ours(n, x.member) && permissionsOf(x, tf, ctx).includes('pubsub.topics.publish'),
  )) {
    if (b.resource !== allowed[b.member])
      problems.push(
        `${where(b)}: publishing must be granted on ${allowed[b.member] ?? 'no topic'} only (a publisher on ${n.topic('pipeline-requests')} could run pipelines as the pipeline account)`,
      );
  }
  for (const [member, topic] of Object.entries(allowed)) {
    if (!tf.bindings.some((b) => b.member === member && b.resource === topic && b.role === 'roles/pubsub.publisher'))
      problems.push(`${member.replace(/^serviceAccount:/, '')} lacks roles/pubsub.publisher on ${topic}`);
  }
  return problems;
};

/** Objects: only on a bucket, never project-wide; each identity on its bucket with its role. */
export const objectsOnOneBucket: LeastCheck = (m, ctx) => {
  const r = read(m);
  if (Array.isArray(r)) return r;
  const { tf, n } = r;
  const expected: { member: string; bucket: string; role: string }[] = [
    { member: n.sa('armor-allowlist'), bucket: n.bucket('config_bucket_name'), role: 'roles/storage.objectViewer' },
    {
      member: n.sa('pipeline-requests'),
      bucket: n.bucket('request_bucket_name'),
      role: `projects/${n.project}/roles/${n.prefix.replace(/-/g, '_')}_pipelineRequests_claims`,
    },
    {
      member: n.sa('peering-ranges'),
      bucket: `projects/_/buckets/${n.project}-${n.prefix}-state`,
      role: `projects/${n.project}/roles/${n.prefix.replace(/-/g, '_')}_peeringRanges_state`,
    },
    {
      member: n.sa('build'),
      bucket: `projects/_/buckets/${n.project}-${n.prefix}-source`,
      role: 'roles/storage.objectViewer',
    },
    {
      member: n.sa('pipelines'),
      bucket: `projects/_/buckets/${n.project}-${n.prefix}-pipelines`,
      role: 'roles/storage.objectUser',
    },
    // the workflow reads a run's compiled pipeline (templates/) and sends it as pipelineSpec
    {
      member: n.sa('workflow'),
      bucket: `projects/_/buckets/${n.project}-${n.prefix}-pipelines`,
      role: 'roles/storage.objectViewer',
    },
  ];
  const problems: string[] = [];
  for (const b of tf.bindings.filter(
    (x) => ours(n, x.member) && permissionsOf(x, tf, ctx).some((p) => p.startsWith('storage.objects.')),
  )) {
    const want = expected.find((e) => e.member === b.member);
    if (!want || b.resource !== want.bucket || b.role !== want.role)
      problems.push(`${where(b)}: object access must be ${want ? `${want.role} on ${want.bucket}` : 'nothing'} only`);
  }
  for (const e of expected)
    if (!tf.bindings.some((b) => b.member === e.member && b.resource === e.bucket && b.role === e.role))
      problems.push(`${e.member.replace(/^serviceAccount:/, '')} lacks ${e.role} on ${e.bucket}`);
  return problems;
};

/** The Compute Engine writes netreflex makes, and the one resource each may touch. */
export function ownedResources(n: Names): Record<string, string> {
  const p = `projects/${n.project}`;
  return {
    'compute.routes.create': `resource.name.startsWith("${p}/global/routes/${n.prefix}-")`,
    'compute.routes.delete': `resource.name.startsWith("${p}/global/routes/${n.prefix}-")`,
    'compute.networks.updatePeering': `resource.name == "${p}/global/networks/${n.variable('vpc_a_name')}"`,
    'compute.networks.updatePolicy': `resource.name == "${p}/global/networks/${n.variable('vpc_a_name')}"`,
    'compute.networks.use': `resource.name == "${p}/global/networks/${n.variable('vpc_a_name')}"`,
    'compute.securityPolicies.update': `resource.name == "${p}/global/securityPolicies/${n.variable('armor_policy_name')}"`,
    'compute.securityPolicies.setLabels': `resource.name == "${p}/global/securityPolicies/${n.variable('armor_policy_name')}"`,
    'compute.firewalls.update': `resource.name == "${p}/global/firewalls/allow-psa-to-nat"`,
    'compute.instanceGroupManagers.update': `resource.name == "${p}/regions/${n.variable('region')}/instanceGroupManagers/${n.variable('nat_mig_name')}"`,
    'compute.globalAddresses.createInternal': `resource.name.startsWith("${p}/global/addresses/netreflex-psa-")`,
  };
}

/** Every Compute write a function holds comes through a condition naming the one resource it owns. */
export const computeWritesConditioned: LeastCheck = (m, ctx) => {
  const r = read(m);
  if (Array.isArray(r)) return r;
  const { tf, n } = r;
  const owned = ownedResources(n);
  const problems: string[] = [];
  for (const b of tf.bindings.filter((x) => ours(n, x.member))) {
    for (const p of permissionsOf(b, tf, ctx).filter((x) => x in owned)) {
      if (b.condition?.expression !== owned[p])
        problems.push(`${where(b)}: ${p} must be granted under the condition ${owned[p]}`);
    }
  }
  return problems;
};

/** Only pipelineRequests may start an execution (Workflows grants project-wide only). */
export const onlyPipelineRequestsStartsRuns: LeastCheck = (m, ctx) => {
  const r = read(m);
  if (Array.isArray(r)) return r;
  const { tf, n } = r;
  return tf.bindings
    .filter(
      (b) =>
        permissionsOf(b, tf, ctx).includes('workflows.executions.create') && b.member !== n.sa('pipeline-requests'),
    )
    .map((b) => `${where(b)}: only pipelineRequests may start the workflow (workflows.executions.create)`);
};

/** The workflow may act as the pipeline account only, which holds exactly what pipelines need. */
export const dedicatedPipelineAccount: LeastCheck = (m, ctx) => {
  const r = read(m);
  if (Array.isArray(r)) return r;
  const { tf, n } = r;
  const pipelines = `${n.prefix}-pipelines@${n.project}.iam.gserviceaccount.com`;
  const problems: string[] = [];
  for (const b of tf.bindings.filter(
    (x) => ours(n, x.member) && permissionsOf(x, tf, ctx).includes('iam.serviceAccounts.actAs'),
  )) {
    if (b.resource !== `projects/${n.project}/serviceAccounts/${pipelines}`)
      problems.push(`${where(b)}: acting as any account but ${pipelines} lets a workflow run code as it`);
    else if (b.member !== n.sa('workflow') && b.member !== `serviceAccount:${pipelines}`)
      problems.push(
        `${where(b)}: only the workflow (and the pipeline launcher itself) may act as the pipeline account`,
      );
  }
  const roles = tf.bindings
    .filter((b) => b.member === `serviceAccount:${pipelines}` && b.resource === `projects/${n.project}`)
    .map((b) => b.role)
    .sort();
  const want = ['roles/aiplatform.user', 'roles/logging.logWriter'];
  if (roles.join() !== want.join())
    problems.push(
      `the pipeline account holds ${roles.join(', ') || 'nothing'} on the project; it must hold exactly ${want.join(', ')}`,
    );
  if (
    !tf.bindings.some(
      (b) => b.member === n.sa('workflow') && b.resource === `projects/${n.project}/serviceAccounts/${pipelines}`,
    )
  )
    problems.push(`the workflow cannot act as ${pipelines}: pipeline jobs could not start`);
  return problems;
};

/**
 * A pipeline can run on a fresh project: the pipeline root the workflow defaults to
 * (NETREFLEX_PIPELINE_ROOT = local.pipeline_root) is in a bucket this module creates, and the
 * account the jobs run as may write and read objects there (Vertex AI writes each run's artifacts
 * under runtimeConfig.gcsOutputDirectory as that account:
 * https://cloud.google.com/vertex-ai/docs/pipelines/configure-project#storage).
 */
export const pipelineRootWritable: LeastCheck = (m, ctx) => {
  const r = read(m);
  if (Array.isArray(r)) return r;
  const { tf } = r;
  const workflow = blocks(m, 'resource').find((b) => b.type === 'google_workflows_workflow');
  const env = workflow?.body.user_env_vars;
  const set = env && typeof env === 'object' && !Array.isArray(env) ? env.NETREFLEX_PIPELINE_ROOT : undefined;
  if (set !== '${local.pipeline_root}')
    return [`workflows.tf: NETREFLEX_PIPELINE_ROOT must be local.pipeline_root (main.tf), got ${String(set)}`];
  let root: string;
  let buckets: string[];
  try {
    root = String(terraformValue(m, 'local.pipeline_root'));
    buckets = blocks(m, 'resource')
      .filter((b) => b.type === 'google_storage_bucket')
      .map((b) => String(terraformValue(m, `google_storage_bucket.${b.name}.name`)));
  } catch (err) {
    return [`main.tf: local.pipeline_root cannot be read: ${(err as Error).message}`];
  }
  const bucket = /^gs:\/\/([^/]+)/.exec(root)?.[1];
  if (!bucket || !buckets.includes(bucket))
    return [
      `main.tf: the default pipeline root ${root} is in a bucket this module does not create (it creates ${buckets.join(', ')}): the first pipeline on a fresh project would fail to write its outputs`,
    ];
  const pipelines = `serviceAccount:${String(terraformValue(m, 'local.pipeline_service_account'))}`;
  const granted = tf.bindings
    .filter((b) => b.member === pipelines && b.resource === `projects/_/buckets/${bucket}` && !b.condition)
    .flatMap((b) => permissionsOf(b, tf, ctx));
  const missing = ['storage.objects.create', 'storage.objects.get', 'storage.objects.list'].filter(
    (p) => !granted.includes(p),
  );
  return missing.length
    ? [
        `iam.tf: the pipeline account ${pipelines.replace(/^serviceAccount:/, '')} cannot use the pipeline root ${root} (lacks ${missing.join(', ')} on ${bucket})`,
      ]
    : [];
};

/** Two principals of pipeline teams, to read the bindings var.pipeline_requesters makes. */
export const SAMPLE_REQUESTERS = ['group:ml-team-a@example.com', 'serviceAccount:ci@team-b.iam.gserviceaccount.com'];

/**
 * The pipeline teams (var.pipeline_requesters): each may publish on the request topic, attach a
 * subscription to the reply topic (roles/pubsub.subscriber there: pubsub.topics.attachSubscription),
 * and upload templates to the template repository — nothing else; in particular never publish a
 * reply (a forged outcome) nor hold anything on the project. No netreflex account may publish a
 * request (publishOnOneTopic).
 */
export const pipelineTeams: LeastCheck = (m) => {
  let tf: TerraformIam;
  try {
    tf = terraformIam(m, { pipeline_requesters: SAMPLE_REQUESTERS });
  } catch (err) {
    return [`iam.tf: the bindings cannot be read: ${(err as Error).message}`];
  }
  const n = names(m, tf);
  const allowed: Record<string, string> = {
    [n.topic('pipeline-requests')]: 'roles/pubsub.publisher',
    [n.topic('pipeline-replies')]: 'roles/pubsub.subscriber',
  };
  const problems: string[] = [];
  const teams = new Set(SAMPLE_REQUESTERS);
  for (const b of tf.bindings.filter((x) => teams.has(x.member)))
    if (allowed[b.resource] !== b.role || b.condition)
      problems.push(
        `${where(b)}: a pipeline team may hold only roles/pubsub.publisher on ${n.topic('pipeline-requests')} and roles/pubsub.subscriber on ${n.topic('pipeline-replies')} (a publisher of replies could forge a run's outcome)`,
      );
  for (const member of SAMPLE_REQUESTERS)
    for (const [topic, role] of Object.entries(allowed))
      if (!tf.bindings.some((b) => b.member === member && b.resource === topic && b.role === role))
        problems.push(`a principal of var.pipeline_requesters (${member}) lacks ${role} on ${topic}`);
  return problems;
};

/**
 * Templates come from one Artifact Registry repository of format KFP (PipelineJob.template_uri
 * takes only Template Registry URIs: google/cloud/aiplatform/v1/pipeline_job.proto). The account
 * the jobs run as and the workflow may read it (roles/artifactregistry.reader), the pipeline teams
 * write it (roles/artifactregistry.writer); no other Artifact Registry binding. The local Google
 * Cloud has no Artifact Registry, so these are read from the blocks.
 */
export const templatesReadable: LeastCheck = (m) => {
  const problems: string[] = [];
  const repos = blocks(m, 'resource').filter((b) => b.type === 'google_artifact_registry_repository');
  const repo = repos.find((b) => b.name === 'pipelines');
  if (!repo) return ['no google_artifact_registry_repository.pipelines: pipeline templates have nowhere to live'];
  if (repo.body.format !== 'KFP')
    problems.push(
      `${repo.file}: google_artifact_registry_repository.pipelines must have format "KFP" (Vertex AI's Template Registry), got ${String(repo.body.format)}`,
    );
  const want = new Map<string, string>([
    [`serviceAccount:${terraformString(m, '${local.pipeline_service_account}')}`, 'roles/artifactregistry.reader'],
    [
      `serviceAccount:${terraformString(m, '${google_service_account.workflow.email}')}`,
      'roles/artifactregistry.reader',
    ],
    ['${each.value} of toset(var.pipeline_requesters)', 'roles/artifactregistry.writer'],
  ]);
  const seen = new Set<string>();
  for (const i of instances(m, 'google_artifact_registry_repository_iam_member')) {
    const b = i.block.body;
    const at = `${i.block.file}: ${i.block.type}.${i.block.name}${i.key ? `["${i.key}"]` : ''}`;
    const member =
      b.for_each === '${toset(var.pipeline_requesters)}' && b.member === '${each.value}'
        ? '${each.value} of toset(var.pipeline_requesters)'
        : (() => {
            const v = b.member === '${each.value}' ? i.value : b.member;
            try {
              return typeof v === 'string' ? terraformString(m, v) : String(v);
            } catch (err) {
              return `(unreadable: ${(err as Error).message})`;
            }
          })();
    if (b.repository !== '${google_artifact_registry_repository.pipelines.name}')
      problems.push(`${at}: must be on google_artifact_registry_repository.pipelines, got ${String(b.repository)}`);
    if (want.get(member) !== b.role)
      problems.push(
        `${at}: ${member} holds ${String(b.role)}; only the pipeline account and the workflow read (roles/artifactregistry.reader) and the pipeline teams write (roles/artifactregistry.writer)`,
      );
    else seen.add(member);
  }
  for (const [member, role] of want)
    if (!seen.has(member)) problems.push(`${member} lacks ${role} on the pipeline template repository`);
  return problems;
};

export const LEAST_CHECKS: Record<string, LeastCheck> = {
  pipelineTeams,
  templatesReadable,
  pipelineRootWritable,
  publishOnOneTopic,
  objectsOnOneBucket,
  computeWritesConditioned,
  onlyPipelineRequestsStartsRuns,
  dedicatedPipelineAccount,
};
