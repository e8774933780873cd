/**
 * Which permissions a call needs, on which resource. The lists are Google's own (data/methods.json,
 * the permissions Google's REST reference names for each method); where Google names alternatives
 * ("authorization requires one or more of the following IAM permissions", the Compute reference's
 * wording), the one that applies to the request is chosen below, with the page that says so.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request } from '../http.js';

const METHODS = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'data', 'methods.json'), 'utf8'),
) as Record<string, string[]>;

export interface Requirement {
  permission: string;
  /** The resource the permission is checked on, as Google names it in its error (`projects/p/global/routes/r`). */
  resource: string;
}

/**
 * The emulator registers Vertex AI under short ids (`aiplatform.pipelineJobs.create`); Google's
 * discovery id has the full resource path (`aiplatform.projects.locations.pipelineJobs.create`).
 */
export function discoveryId(methodId: string): string {
  return methodId.startsWith('aiplatform.') && !methodId.startsWith('aiplatform.projects.')
    ? methodId.replace('aiplatform.', 'aiplatform.projects.locations.')
    : methodId;
}

/** What a rule may ask of the emulator's state: whether the call replaces something that exists. */
export interface World {
  /** Whether `projects/_/buckets/b/objects/o` has a live version. */
  objectExists?(resource: string): boolean;
}

type Rule = (req: Request, resource: string, world: World) => Requirement[];

const on = (resource: string, ...permissions: string[]): Requirement[] =>
  permissions.map((permission) => ({ permission, resource }));

/** iam.serviceAccounts.actAs on the account a job is to run as, when the request names one. */
const actAs = (account: unknown): Requirement[] =>
  typeof account === 'string' && account
    ? on(`projects/-/serviceAccounts/${account}`, 'iam.serviceAccounts.actAs')
    : [];

/**
 * Methods whose Google list is empty, or lists alternatives of which one applies.
 * - globalAddresses: an INTERNAL address (the PSA ranges are `addressType: INTERNAL`, purpose
 *   VPC_PEERING) needs createInternal/deleteInternal, an external one create/delete
 *   (https://cloud.google.com/compute/docs/access/iam: "compute.globalAddresses.createInternal —
 *   reserve an internal global address").
 * - A request that references another resource needs that resource's `use` permission on it
 *   (targets.ts names where): a route to a VM compute.instances.use, to an internal passthrough load
 *   balancer compute.forwardingRules.use, a global address in a network compute.networks.use.
 *   Google's per-method lists name only the permissions on the method's own resource for these
 *   (routes.insert: routes.create, networks.updatePolicy), but `use` is how Compute Engine guards
 *   a reference to a resource from another one (https://cloud.google.com/compute/docs/access/iam;
 *   forwardingRules.insert lists networks.use and subnetworks.use, and roles/compute.networkAdmin,
 *   the predefined role for routes and addresses, holds instances.use, forwardingRules.use and
 *   networks.use for exactly these references). Where the lists are silent the local Google Cloud
 *   takes the stricter reading, so a role without them fails here before it can fail in production.
 *   A route's delete needs compute.routes.delete only (Google lists networks.updatePolicy for
 *   firewalls.delete, not for routes.delete).
 * - Service Networking connections: the REST reference names no permission; creating or changing a
 *   private connection is servicenetworking.services.addPeering, the peering permission of
 *   roles/servicenetworking.networksAdmin and roles/compute.networkAdmin, the roles
 *   https://cloud.google.com/vpc/docs/configure-private-services-access#permissions says manage
 *   private connections.
 * - regionInstanceGroupManagers.patch: Google's REST reference names compute.instanceGroupManagers.get
 *   and .update on the group
 *   (https://cloud.google.com/compute/docs/reference/rest/v1/regionInstanceGroupManagers/patch); the
 *   group then changes its VMs itself, as the Google APIs service agent
 *   (https://cloud.google.com/compute/docs/access/service-accounts#google_apis_service_agent), so a
 *   patch of the all-instances configuration (metadata, labels), the update policy or the size
 *   needs no VM permission of the caller. A patch that points the group at another template
 *   (`instanceTemplate`, `versions`) makes it build VMs the caller has not built before, and keeps
 *   the rest of Google's list (instances.create, instances.setMetadata, disks.create,
 *   images.useReadOnly, subnetworks.use; data/methods.json), as setInstanceTemplate and update do.
 * - Vertex AI pipelineJobs.create / customJobs.create naming a `serviceAccount` (the job runs as it)
 *   also need iam.serviceAccounts.actAs on that account: "the principal that creates the pipeline
 *   run needs the iam.serviceAccounts.actAs permission on the service account" (Service Account
 *   User role; https://cloud.google.com/vertex-ai/docs/pipelines/configure-project#service-account,
 *   https://cloud.google.com/vertex-ai/docs/general/custom-service-account). The account's project is
 *   the one its email names (`projects/-/…`, resolved in enforce.ts).
 * - Cloud Storage: storage.objects.getIamPolicy / buckets.getIamPolicy only for `projection=full`
 *   (the ACLs are part of the answer), storage.objects.setIamPolicy only when the patch sets `acl`,
 *   storage.objects.delete on insert only to overwrite an existing object
 *   (https://cloud.google.com/storage/docs/access-control/iam-json).
 */
const RULES: Record<string, Rule> = {
  'compute.globalAddresses.insert': (r, res) => {
    const body = (r.body ?? {}) as { addressType?: string; network?: unknown };
    return on(
      res,
      body.addressType === 'INTERNAL' ? 'compute.globalAddresses.createInternal' : 'compute.globalAddresses.create',
      ...(typeof body.network === 'string' && body.network ? ['compute.networks.use'] : []),
    );
  },
  'compute.routes.insert': (r, res) => {
    const body = (r.body ?? {}) as { nextHopInstance?: unknown; nextHopIlb?: unknown };
    const uses = [
      ...(typeof body.nextHopInstance === 'string' && body.nextHopInstance ? ['compute.instances.use'] : []),
      ...(typeof body.nextHopIlb === 'string' && /\/forwardingRules\//.test(body.nextHopIlb)
        ? ['compute.forwardingRules.use']
        : []),
    ];
    return on(res, ...METHODS['compute.routes.insert']!, ...uses);
  },
  'servicenetworking.services.connections.create': (_r, res) => on(res, 'servicenetworking.services.addPeering'),
  'servicenetworking.services.connections.patch': (_r, res) => on(res, 'servicenetworking.services.addPeering'),
  'compute.regionInstanceGroupManagers.patch': (r, res) => {
    const body = (r.body ?? {}) as { instanceTemplate?: unknown; versions?: unknown };
    return body.instanceTemplate !== undefined || body.versions !== undefined
      ? on(res, ...METHODS['compute.regionInstanceGroupManagers.patch']!)
      : on(res, 'compute.instanceGroupManagers.get', 'compute.instanceGroupManagers.update');
  },
  'aiplatform.pipelineJobs.create': (r, res) => [
    ...on(res, 'aiplatform.pipelineJobs.create'),
    ...actAs((r.body as { serviceAccount?: unknown } | undefined)?.serviceAccount),
  ],
  'aiplatform.customJobs.create': (r, res) => [
    ...on(res, 'aiplatform.customJobs.create'),
    ...actAs((r.body as { jobSpec?: { serviceAccount?: unknown } } | undefined)?.jobSpec?.serviceAccount),
  ],
  'storage.objects.get': (r, res) =>
    on(res, 'storage.objects.get', ...(r.query.get('projection') === 'full' ? ['storage.objects.getIamPolicy'] : [])),
  'storage.objects.list': (r, res) =>
    on(res, 'storage.objects.list', ...(r.query.get('projection') === 'full' ? ['storage.objects.getIamPolicy'] : [])),
  'storage.buckets.get': (r, res) =>
    on(res, 'storage.buckets.get', ...(r.query.get('projection') === 'full' ? ['storage.buckets.getIamPolicy'] : [])),
  'storage.buckets.list': (r, res) =>
    on(res, 'storage.buckets.list', ...(r.query.get('projection') === 'full' ? ['storage.buckets.getIamPolicy'] : [])),
  // "To replace existing objects, both storage.objects.create and storage.objects.delete
  // permissions are required" (https://cloud.google.com/storage/docs/access-control/iam-permissions).
  'storage.objects.insert': (_r, res, world) =>
    on(res, 'storage.objects.create', ...(world.objectExists?.(res) ? ['storage.objects.delete'] : [])),
  'storage.objects.patch': (r, res) =>
    on(
      res,
      'storage.objects.update',
      ...(r.query.get('projection') === 'full' ? ['storage.objects.getIamPolicy'] : []),
      ...((r.body as { acl?: unknown } | undefined)?.acl !== undefined ? ['storage.objects.setIamPolicy'] : []),
    ),
};

/** The permissions `methodId` needs for this request; undefined when Google's data has no entry. */
export function requirements(methodId: string, req: Request, world: World = {}): Requirement[] | undefined {
  const resource = resourceOf(methodId, req);
  const rule = RULES[methodId];
  if (rule) return rule(req, resource, world);
  const listed = METHODS[discoveryId(methodId)];
  if (!listed || listed.length === 0) return undefined;
  return on(resource, ...listed);
}

/** The permissions Google's reference lists for `methodId` (data/methods.json), before the rules above choose. */
export function googleListed(methodId: string): readonly string[] {
  return METHODS[discoveryId(methodId)] ?? [];
}

/** Every method id the data or the rules above cover, for the test that each served method has one. */
export function coveredMethods(): Set<string> {
  return new Set([
    ...Object.keys(RULES),
    ...Object.entries(METHODS)
      .filter(([, v]) => v.length)
      .map(([k]) => k),
  ]);
}

/**
 * The resource a call acts on, named as Google's errors name it: the item for get/patch/delete and
 * custom verbs, the new item for insert (`…/routes/<body.name>`), the parent for list.
 */
export function resourceOf(methodId: string, req: Request): string {
  const compute = /^\/compute\/(?:v1|beta)\/(.*)$/.exec(req.path);
  if (compute) return computeResource(methodId, compute[1]!, req);
  const storage = /^\/(?:upload\/|download\/)?storage\/v1\/b(?:\/([^/]+))?(?:\/o(?:\/(.+))?)?/.exec(req.path);
  if (storage) {
    const [, bucket, object] = storage;
    if (!bucket) return `projects/${req.query.get('project') ?? '_'}`;
    const name = object ?? req.query.get('name') ?? (req.body as { name?: string } | undefined)?.name;
    return name ? `projects/_/buckets/${bucket}/objects/${name}` : `projects/_/buckets/${bucket}`;
  }
  const path = req.path.replace(/^\/v1(?:beta1)?\//, '').replace(/:[A-Za-z]+$/, '');
  if (/\.(create|list)$/.test(methodId)) return path.split('/').slice(0, -1).join('/') || path;
  return path;
}

function computeResource(methodId: string, rest: string, req: Request): string {
  const segs = rest.split('/');
  // An aggregated list (`projects/p/aggregated/instances`) is checked on the project, as a list is on its parent.
  if (segs[2] === 'aggregated') return segs.slice(0, 2).join('/');
  const scope = segs[2] === 'global' ? 3 : segs[2] === 'regions' || segs[2] === 'zones' ? 4 : 2;
  const base = segs.slice(0, scope).join('/');
  const tail = segs.slice(scope);
  if (tail.length === 1) {
    if (methodId.endsWith('.insert')) {
      const name = (req.body as { name?: string } | undefined)?.name;
      return name ? `${base}/${tail[0]}/${name}` : `${base}/${tail[0]}`;
    }
    return segs.slice(0, 2).join('/');
  }
  return [base, ...tail.slice(0, 2)].join('/');
}

/** The resource's ancestors up to its project, nearest first (`projectOfBucket` resolves `projects/_`). */
export function ancestorsOf(
  resource: string,
  projectOfBucket: (bucket: string) => string | undefined,
  projectId: (idOrNumber: string) => string,
): string[] {
  const segs = resource.split('/');
  if (segs[0] !== 'projects' || segs.length < 2) return [];
  if (segs[1] === '_' && segs[2] === 'buckets' && segs[3]) {
    const project = projectOfBucket(segs[3]);
    const bucket = `projects/_/buckets/${segs[3]}`;
    return [...(resource === bucket ? [] : [bucket]), ...(project ? [`projects/${project}`] : [])];
  }
  const project = `projects/${projectId(segs[1]!)}`;
  const out: string[] = [];
  for (let i = segs.length - 2; i >= 2; i -= 2) out.push(segs.slice(0, i).join('/'));
  if (!out.includes(project)) out.push(project);
  return out.filter((a) => a !== resource);
}
