/**
 * Offline checks that terraform-bootstrap applies to a fresh project and destroys cleanly: every
 * API it creates resources in or calls at run time is enabled (and stays enabled on destroy), every
 * resource is ordered after the enablement of the APIs it needs, the functions build as the
 * dedicated build account with exactly the documented roles, the service agents exist and their
 * roles are in force before anything acts through them, and the destroy runs `netreflex teardown`
 * between the functions and the network.
 */
import {
  type Json,
  type TfModule,
  blocks,
  isObject,
  locals,
  references,
  strings,
  sub,
} from '../../local/terraform/reader.js';

export interface FreshContext {
  /** The Google API services the functions call at run time (from their method ids). */
  runtimeServices: readonly string[];
  /** The APIs the workflow's connectors call (from its YAML). */
  workflowServices: readonly string[];
}

export type FreshCheck = (m: TfModule, ctx: FreshContext) => Promise<string[]> | string[];

/** The API each resource type lives in (a type missing here is reported: add it, with its API). */
export const RESOURCE_APIS: Readonly<Record<string, readonly string[]>> = {
  google_compute_network: ['compute'],
  google_compute_subnetwork: ['compute'],
  google_compute_firewall: ['compute'],
  google_compute_global_address: ['compute'],
  google_compute_address: ['compute'],
  google_compute_router: ['compute'],
  google_compute_router_nat: ['compute'],
  google_compute_instance_template: ['compute'],
  google_compute_health_check: ['compute'],
  google_compute_region_instance_group_manager: ['compute'],
  google_compute_region_backend_service: ['compute'],
  google_compute_forwarding_rule: ['compute'],
  google_compute_security_policy: ['compute'],
  google_compute_network_peering_routes_config: ['compute'],
  google_service_networking_connection: ['servicenetworking'],
  google_storage_bucket: ['storage'],
  google_storage_bucket_object: ['storage'],
  google_storage_bucket_iam_member: ['storage'],
  google_pubsub_topic: ['pubsub'],
  google_pubsub_topic_iam_member: ['pubsub'],
  google_cloud_scheduler_job: ['cloudscheduler'],
  google_eventarc_trigger: ['eventarc'],
  google_cloudfunctions2_function: ['cloudfunctions', 'run', 'cloudbuild', 'artifactregistry'],
  google_artifact_registry_repository: ['artifactregistry'],
  google_artifact_registry_repository_iam_member: ['artifactregistry'],
  google_cloud_run_v2_service_iam_member: ['run'],
  google_workflows_workflow: ['workflows'],
  google_service_account: ['iam'],
  google_service_account_iam_member: ['iam'],
  google_project_iam_custom_role: ['iam'],
  google_project_iam_member: ['cloudresourcemanager'],
  google_logging_metric: ['logging'],
  google_monitoring_alert_policy: ['monitoring'],
  google_monitoring_dashboard: ['monitoring'],
  google_project_service_identity: ['serviceusage'],
  google_project_service: ['serviceusage'],
  terraform_data: [],
  time_sleep: [],
  // data sources
  google_project: ['cloudresourcemanager'],
  google_storage_project_service_account: ['storage'],
};

/** APIs enabled before Terraform can enable any (on in every project; enabling them needs themselves). */
const PRE_ENABLED = ['serviceusage'];

const ENABLED = 'google_project_service.enabled';

function enabledServices(m: TfModule): { list: string[]; problems: string[] } {
  const problems: string[] = [];
  const svc = blocks(m, 'resource').find((b) => b.type === 'google_project_service' && b.name === 'enabled');
  if (!svc) return { list: [], problems: ['no google_project_service.enabled (for_each over the APIs)'] };
  if (svc.body.disable_on_destroy !== false)
    problems.push(
      `${svc.file}: google_project_service.enabled must set disable_on_destroy = false (destroying netreflex must not turn off an API others use)`,
    );
  const list = locals(m).get('_services')?.value;
  if (svc.body.for_each !== '${toset(local._services)}' || !Array.isArray(list))
    problems.push(
      `${svc.file}: google_project_service.enabled must be for_each = toset(local._services), a literal list`,
    );
  return {
    list: (Array.isArray(list) ? list : []).map(String).map((s) => s.replace(/\.googleapis\.com$/, '')),
    problems,
  };
}

/** Every API a resource is created in, or the code calls at run time, is enabled by google_project_service. */
export const apisEnabled: FreshCheck = (m, ctx) => {
  const { list, problems } = enabledServices(m);
  const needed = new Map<string, string>();
  for (const b of [...blocks(m, 'resource'), ...blocks(m, 'data')]) {
    const apis = RESOURCE_APIS[b.type];
    if (!apis) {
      if (b.type.startsWith('google_'))
        problems.push(`${b.file}: ${b.type} is not in RESOURCE_APIS: add it with the API it lives in`);
      continue;
    }
    for (const api of apis) if (!needed.has(api)) needed.set(api, `${b.type}.${b.name}`);
  }
  for (const api of ctx.runtimeServices) if (!needed.has(api)) needed.set(api, 'the functions at run time');
  for (const api of ctx.workflowServices) if (!needed.has(api)) needed.set(api, 'the workflow at run time');
  for (const [api, by] of needed)
    if (!PRE_ENABLED.includes(api) && !list.includes(api))
      problems.push(`project.tf: ${api}.googleapis.com is used by ${by} but not enabled in local._services`);
  return problems;
};

/** Direct dependencies of every resource: what its expressions reference, plus depends_on. */
async function dependencyGraph(m: TfModule): Promise<Map<string, Set<string>>> {
  const graph = new Map<string, Set<string>>();
  const all = [
    ...blocks(m, 'resource').map((b) => ({ id: `${b.type}.${b.name}`, b })),
    ...blocks(m, 'data').map((b) => ({ id: `data.${b.type}.${b.name}`, b })),
  ];
  const addresses = new Set(all.map((x) => x.id));
  const localDeps = new Map<string, Set<string>>();
  // Locals may use locals: resolve them in a few passes (the module has no deep chains).
  for (let pass = 0; pass < 3; pass++)
    for (const [name, { value }] of locals(m)) localDeps.set(name, await refsOf(value, addresses, localDeps));
  for (const { id, b } of all) graph.set(id, await refsOf(b.body as Json, addresses, localDeps));
  return graph;
}

async function refsOf(
  v: Json | undefined,
  addresses: Set<string>,
  localDeps: Map<string, Set<string>>,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const { value } of strings(v)) {
    if (!value.includes('${')) continue;
    for (const ref of await references(value)) {
      const [a = '', b = '', c = ''] = ref.split('.');
      if (a === 'local') for (const d of localDeps.get(b) ?? []) out.add(d);
      else if (a === 'data' && addresses.has(`data.${b}.${c}`)) out.add(`data.${b}.${c}`);
      else if (addresses.has(`${a}.${b}`)) out.add(`${a}.${b}`);
    }
  }
  return out;
}

function reaches(graph: Map<string, Set<string>>, from: string, target: string, seen = new Set<string>()): boolean {
  for (const next of graph.get(from) ?? []) {
    if (next === target) return true;
    if (!seen.has(next)) {
      seen.add(next);
      if (reaches(graph, next, target, seen)) return true;
    }
  }
  return false;
}

/**
 * Every resource that lives in an API is created after google_project_service.enabled — by
 * depends_on or through a resource it references that is — so a fresh project never sees
 * "API not enabled" halfway through the first apply.
 */
export const orderedAfterApis: FreshCheck = async (m) => {
  const graph = await dependencyGraph(m);
  const problems: string[] = [];
  const all = [
    ...blocks(m, 'resource').map((b) => ({ id: `${b.type}.${b.name}`, b })),
    ...blocks(m, 'data').map((b) => ({ id: `data.${b.type}.${b.name}`, b })),
  ];
  for (const { id, b } of all) {
    const apis = RESOURCE_APIS[b.type] ?? [];
    if (!apis.some((a) => !PRE_ENABLED.includes(a)) || id === ENABLED) continue;
    if (!reaches(graph, id, ENABLED))
      problems.push(
        `${b.file}: ${id} does not depend on ${ENABLED} (add depends_on, or reference a resource that does)`,
      );
  }
  return problems;
};

/** The roles the Cloud Functions guide lists for a custom build account, and where each is bound. */
export const BUILD_ROLES = {
  project: ['roles/artifactregistry.writer', 'roles/logging.logWriter'],
  sourceBucket: ['roles/storage.objectViewer'],
};

/** Every function builds as google_service_account.build, which holds exactly the documented roles. */
export const buildAccount: FreshCheck = (m) => {
  const problems: string[] = [];
  if (!blocks(m, 'resource').some((b) => b.type === 'google_service_account' && b.name === 'build'))
    problems.push('no google_service_account.build for the function builds');
  for (const f of blocks(m, 'resource').filter((b) => b.type === 'google_cloudfunctions2_function')) {
    if (sub(f.body, 'build_config')?.service_account !== '${google_service_account.build.id}')
      problems.push(
        `${f.file}: ${f.type}.${f.name} build_config.service_account must be google_service_account.build.id (the default build account lacks the roles in new projects)`,
      );
  }
  const member = '${google_service_account.build.email}';
  const projectRoles = locals(m).get('_build_project_roles')?.value;
  const granted: string[] = [];
  for (const b of blocks(m, 'resource').filter(
    (x) => /_iam_member$/.test(x.type) && String(x.body.member ?? '').includes(member),
  )) {
    if (b.type === 'google_project_iam_member')
      granted.push(
        ...(b.body.for_each === '${toset(local._build_project_roles)}' && Array.isArray(projectRoles)
          ? projectRoles.map((r) => `project ${String(r)}`)
          : [`project ${String(b.body.role)}`]),
      );
    else if (b.type === 'google_storage_bucket_iam_member' && b.body.bucket === '${google_storage_bucket.source.name}')
      granted.push(`sourceBucket ${String(b.body.role)}`);
    else granted.push(`${b.type} ${String(b.body.role)}`);
  }
  const want = [
    ...BUILD_ROLES.project.map((r) => `project ${r}`),
    ...BUILD_ROLES.sourceBucket.map((r) => `sourceBucket ${r}`),
  ];
  const missing = want.filter((w) => !granted.includes(w));
  const extra = granted.filter((g) => !want.includes(g));
  if (missing.length) problems.push(`the build account lacks ${missing.join(', ')}`);
  if (extra.length) problems.push(`the build account holds ${extra.join(', ')}, beyond the documented build roles`);
  return problems;
};

const WAIT = 'time_sleep.service_agents';

/** The agents exist, their roles are in force (the wait), and every trigger and the connection wait for them. */
export const serviceAgentsReady: FreshCheck = async (m) => {
  const problems: string[] = [];
  const agents = locals(m).get('_service_agents')?.value;
  const services = isObject(agents)
    ? Object.values(agents).map((a) => String((a as Record<string, Json>).service))
    : [];
  for (const s of ['eventarc.googleapis.com', 'pubsub.googleapis.com', 'servicenetworking.googleapis.com'])
    if (!services.includes(s)) problems.push(`project.tf: local._service_agents lacks ${s}`);
  const identity = blocks(m, 'resource').find((b) => b.type === 'google_project_service_identity');
  if (!identity || identity.body.provider !== '${google-beta}')
    problems.push('project.tf: google_project_service_identity (provider google-beta) must create the service agents');
  const graph = await dependencyGraph(m);
  if (!reaches(graph, WAIT, 'google_project_iam_member.service_agent'))
    problems.push(`project.tf: ${WAIT} must wait for google_project_iam_member.service_agent`);
  for (const b of blocks(m, 'resource').filter(
    (x) => x.type === 'google_eventarc_trigger' || x.type === 'google_service_networking_connection',
  )) {
    if (!reaches(graph, `${b.type}.${b.name}`, WAIT))
      problems.push(
        `${b.file}: ${b.type}.${b.name} must depend on ${WAIT} (its service agent may not be ready on a fresh project)`,
      );
  }
  return problems;
};

/** Destroy removes the functions, then runs the teardown, then the network: nothing blocks it. */
export const destroyWorks: FreshCheck = async (m) => {
  const problems: string[] = [];
  const td = blocks(m, 'resource').find((b) => b.type === 'terraform_data' && b.name === 'teardown');
  if (!td) return ['teardown.tf: no terraform_data.teardown running netreflex teardown on destroy'];
  const prov = sub(sub(td.body, 'provisioner'), 'local-exec');
  if (prov?.when !== '${destroy}' || !/bin\/netreflex\.js teardown --yes/.test(String(prov?.command)))
    problems.push(
      `${td.file}: terraform_data.teardown needs a destroy-time local-exec running "node bin/netreflex.js teardown --yes"`,
    );
  const graph = await dependencyGraph(m);
  for (const must of [
    'google_compute_network.vpc_a',
    'google_compute_region_instance_group_manager.nat',
    'google_service_networking_connection.psa',
  ]) {
    if (!reaches(graph, 'terraform_data.teardown', must))
      problems.push(`${td.file}: terraform_data.teardown must depend on ${must}, so it runs before that is destroyed`);
  }
  for (const f of blocks(m, 'resource').filter((b) => b.type === 'google_cloudfunctions2_function')) {
    if (!reaches(graph, `${f.type}.${f.name}`, 'terraform_data.teardown'))
      problems.push(
        `${f.file}: ${f.type}.${f.name} must depend on terraform_data.teardown, so the functions are gone before it runs`,
      );
  }
  const conn = blocks(m, 'resource').find((b) => b.type === 'google_service_networking_connection');
  if (conn && conn.body.deletion_policy !== 'ABANDON')
    problems.push(
      `${conn.file}: google_service_networking_connection.${conn.name} needs deletion_policy = "ABANDON" (a producer still holding it would fail every destroy)`,
    );
  return problems;
};

export const FRESH_CHECKS: Record<string, FreshCheck> = {
  apisEnabled,
  orderedAfterApis,
  buildAccount,
  serviceAgentsReady,
  destroyWorks,
};
