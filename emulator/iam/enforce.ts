/**
 * The router hook that checks every Google API call against IAM before its handler runs (Google
 * authenticates and authorizes before it validates a body): the caller is the member its
 * `Authorization: Bearer` token stands for, or the project owner without one; each permission the
 * method needs (permissions.ts) must be granted on the resource or an ancestor. Every check is
 * recorded — who, which method, which permission on what, allowed or not — so tests can hold the
 * roles to what the functions actually call.
 */
import type { Request } from '../http.js';
import { permissionDenied, unauthenticated } from './errors.js';
import { ancestorsOf, requirements } from './permissions.js';
import type { Iam, Principal } from './policy.js';
import { targetOf } from './targets.js';
import type { Resource } from '../store.js';

export interface CheckRecord {
  member: string;
  methodId: string;
  permission: string;
  resource: string;
  allowed: boolean;
  /** The role of the binding that allowed it (so a role's unused permissions can be named). */
  role?: string;
  /**
   * What IAM evaluated: the resource as its policy names it (a bucket's project resolved, a
   * service account under its project) and its ancestors, nearest first — enough to judge the same
   * call again under other roles (test/iam/usage.ts replays the suite's calls against iam.tf).
   */
  evaluated: { resource: string; ancestors: string[] };
}

export interface EnforceContext {
  iam: Iam;
  /** The project a bucket belongs to (for `projects/_/buckets/b`). */
  projectOfBucket(bucket: string): string | undefined;
  /** A project id for an id or a number (Vertex AI and Service Networking name projects by number). */
  projectId(idOrNumber: string): string;
  /** The project of calls whose paths name none (Service Networking's `services/…`, `operations/…`). */
  defaultProject(): string | undefined;
  record(r: CheckRecord): void;
  /** A stored resource by its path (what a route or firewall rule is in, for the network's permissions). */
  lookup?(path: string): Resource | undefined;
  /** Whether an object (`projects/_/buckets/b/objects/o`) exists: replacing one needs storage.objects.delete too. */
  objectExists?(resource: string): boolean;
}

const CONTROL = 'emulator.';

function bearer(req: Request): string | undefined {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
  return m ? m[1] : undefined;
}

/**
 * A service account's project is the one its email names (`a@p.iam.gserviceaccount.com`, or the
 * number of `n-compute@developer.gserviceaccount.com`); IAM names the account `projects/-/…`.
 */
function accountScoped(resource: string, ctx: EnforceContext): string {
  const m = /^projects\/-\/serviceAccounts\/(.+)$/.exec(resource);
  if (!m) return resource;
  const email = m[1]!;
  const project =
    /@([a-z][-a-z0-9]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1] ??
    /^(\d+)-compute@developer\.gserviceaccount\.com$/.exec(email)?.[1];
  return project ? `projects/${ctx.projectId(project)}/serviceAccounts/${email}` : resource;
}

/** Service Networking checks the consumer network's project: `network` in the body or the query. */
function projectScoped(resource: string, req: Request, ctx: EnforceContext): string {
  if (resource.startsWith('projects/-/serviceAccounts/')) return accountScoped(resource, ctx);
  if (resource.startsWith('projects/')) return resource;
  const network = (req.body as { network?: unknown } | undefined)?.network ?? req.query.get('network');
  const m = typeof network === 'string' ? /projects\/([^/]+)\//.exec(network) : null;
  const project = m ? ctx.projectId(m[1]!) : ctx.defaultProject();
  return project ? `projects/${project}/${resource}` : resource;
}

/** Throws Google's 401/403 unless the caller may make this call. */
export function authorize(ctx: EnforceContext, methodId: string, req: Request): void {
  if (methodId.startsWith(CONTROL)) return;
  const token = bearer(req);
  const principal: Principal | undefined = ctx.iam.principalOf(token);
  if (!principal) throw unauthenticated();
  if (principal.kind === 'owner') return;
  const needed = requirements(methodId, req, ctx);
  if (!needed)
    throw permissionDenied(methodId, `${methodId} (no permission known for this method)`, req.path, principal.member);
  for (const { permission, resource: callResource } of needed) {
    const resource = ctx.lookup ? targetOf(permission, callResource, req, ctx.lookup) : callResource;
    const scoped = projectScoped(resource, req, ctx);
    const ancestors = ancestorsOf(scoped, ctx.projectOfBucket, ctx.projectId);
    const { allowed, binding } = ctx.iam.check(principal, permission, scoped, ancestors);
    ctx.record({
      member: principal.member,
      methodId,
      permission,
      resource,
      allowed,
      ...(binding ? { role: binding.role } : {}),
      evaluated: { resource: scoped, ancestors },
    });
    if (!allowed) throw permissionDenied(methodId, permission, resource, principal.member.replace(/^\w+:/, ''));
  }
}
