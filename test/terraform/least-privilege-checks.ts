/**
 * Offline checks that terraform-bootstrap grants each netreflex identity its writes on the one
 * resource it owns (iam.tf's header says how): every binding is read as the local Google Cloud
 * reads it (local/terraform/iam.ts), so what these checks accept is exactly what the emulator
 * enforces.
 */
import { type TfModule, named } from '../../local/terraform/reader.js';
import { terraformIam, type TerraformIam } from '../../local/terraform/iam.js';
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

export const LEAST_CHECKS: Record<string, LeastCheck> = {
  publishOnOneTopic,
  objectsOnOneBucket,
  computeWritesConditioned,
  onlyPipelineRequestsStartsRuns,
  dedicatedPipelineAccount,
};
