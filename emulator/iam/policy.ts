/**
 * IAM as Google evaluates it, for the local Google Cloud: roles are sets of permissions (predefined
 * ones from Google's definitions in data/roles.json, custom ones as Terraform creates them), a
 * binding grants a role to a member on a resource and everything under it
 * (https://cloud.google.com/iam/docs/overview#policy-hierarchy), and a caller is allowed a
 * permission on a resource when some binding on the resource or an ancestor names it through a role
 * that includes the permission — and, for a conditional binding, whose condition holds for the
 * resource asked about (https://cloud.google.com/iam/docs/conditions-overview). Principals come
 * from OAuth access tokens the emulator minted for a service account; a caller with no token is the project owner (roles/owner, and on every bucket the
 * legacy owner roles Cloud Storage's convenience values give project owners:
 * https://cloud.google.com/storage/docs/access-control/iam#convenience-values).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { holds, parseCondition, type Condition } from './condition.js';
import { collection, Store } from '../store.js';

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data');

/** `serviceAccount:a@p.iam.gserviceaccount.com`, `user:x@example.com`, … as in IAM policies. */
export type Member = string;

/** An IAM condition as a policy's binding carries it (Google's `Expr`: title and CEL expression). */
export interface Expr {
  title: string;
  expression: string;
}

/** One member granted one role on one resource: what `grant` takes and what `check` credits. */
export interface Binding {
  member: Member;
  /** `roles/x` (predefined) or `projects/p/roles/x` (custom). */
  role: string;
  /** Where the binding is set: `projects/p`, `projects/_/buckets/b`, `projects/p/topics/t`, … */
  resource: string;
  /** An IAM condition: the binding applies only to requests on resources it holds for (condition.ts). */
  condition?: Expr;
}

/**
 * A custom role as the store keeps it: IAM's Role resource
 * (https://cloud.google.com/iam/docs/reference/rest/v1/projects.roles), `projects/{p}/roles/{id}`.
 */
export interface Role {
  name: string;
  title?: string;
  description?: string;
  includedPermissions: string[];
  /** "GA", "BETA", … (RoleLaunchStage); "GA" unless given, Terraform's default for google_project_iam_custom_role. */
  stage: string;
  etag: string;
  /** A deleted role grants nothing (Role: "The current deleted state of the role"). */
  deleted?: boolean;
}

/**
 * An allow policy as Google returns it from getIamPolicy (https://cloud.google.com/iam/docs/reference/rest/v1/Policy):
 * each binding one role, its members and an optional condition. Version 3 when a binding is
 * conditional ("Any operation that affects conditional role bindings must specify version 3"), else 1.
 */
export interface Policy {
  version: 1 | 3;
  etag: string;
  bindings: { role: string; members: Member[]; condition?: Expr }[];
}

/** A resource's policy as the store keeps it: the Policy, named by the resource it is set on (`projects/p`, `projects/_/buckets/b`). */
export interface PolicyRecord extends Policy {
  name: string;
}

/** Custom roles, by role name. */
export const ROLES = collection<Role>('iam/roles');
/** Allow policies, by the name of the resource each is set on. */
export const POLICIES = collection<PolicyRecord>('iam/policies');

/** Who is calling: the owner (no token) or a member a token stands for. */
export type Principal = { kind: 'owner' } | { kind: 'member'; member: Member };

export interface Decision {
  allowed: boolean;
  /** The binding that allowed it, for the permission record. */
  binding?: Binding;
}

/** An etag as IAM's look (8 bytes, base64), from what it tags: it changes whenever that does. */
function etagOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest().subarray(0, 8).toString('base64');
}

const sameCondition = (a: Expr | undefined, b: Expr | undefined) =>
  a === undefined || b === undefined ? a === b : a.title === b.title && a.expression === b.expression;

let predefined: Map<string, ReadonlySet<string>> | undefined;
let known: ReadonlySet<string> | undefined;

function predefinedRoles(): Map<string, ReadonlySet<string>> {
  predefined ??= new Map(
    Object.entries(
      JSON.parse(readFileSync(join(DATA, 'roles.json'), 'utf8')) as Record<string, { includedPermissions: string[] }>,
    ).map(([name, r]) => [name, new Set(r.includedPermissions)]),
  );
  return predefined;
}

/** Every permission that exists (for the services the emulator serves; see data/README.md). */
export function knownPermissions(): ReadonlySet<string> {
  known ??= new Set(readFileSync(join(DATA, 'permissions.txt'), 'utf8').split('\n').filter(Boolean));
  return known;
}

const OWNER_ROLES = ['roles/owner', 'roles/storage.legacyBucketOwner', 'roles/storage.legacyObjectOwner'];

/** Access tokens live an hour, as the metadata server's and generateAccessToken's do. */
export const TOKEN_LIFETIME_S = 3600;

/**
 * The custom roles and each resource's allow policy live in the emulator's store (`iam/roles` by
 * role name, `iam/policies` by resource name, in Google's Role and Policy shapes), so its mutation
 * listeners see every role defined and every grant. What is not a resource stays beside the store:
 * access tokens (Google exposes no resource for an OAuth token, only its use) in a plain map, and
 * each condition expression parsed once, by its text.
 */
export class Iam {
  /** Access tokens are not resources (IAM has none to list or get), so they sit beside the store: token → member and expiry. */
  private readonly tokens = new Map<string, { member: Member; expires: number }>();
  /** Parsed condition expressions, by their text (a cache: the policies hold the text). */
  private readonly conditions = new Map<string, Condition>();
  /** A stored role's permissions as a set, by the stored record (an update stores a new record). */
  private readonly permissionSets = new WeakMap<Role, ReadonlySet<string>>();
  private readonly owner: ReadonlySet<string>;

  /** `store`: the emulator's (server.ts); alone (a replay of recorded checks) it keeps its own. */
  constructor(
    private readonly now: () => number = Date.now,
    readonly store: Store = new Store(now),
  ) {
    this.owner = new Set(OWNER_ROLES.flatMap((r) => [...(predefinedRoles().get(r) ?? [])]));
  }

  /** A custom role (`projects/p/roles/id`); every permission must exist, as IAM refuses unknown ones. Defining it again replaces it. */
  defineRole(
    name: string,
    permissions: readonly string[],
    about: { title?: string; description?: string; stage?: string } = {},
  ): Role {
    const unknown = permissions.filter((p) => !knownPermissions().has(p));
    if (unknown.length)
      throw new RangeError(
        `role ${name}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a permission' : 'are not permissions'} of Google Cloud (emulator/iam/data/permissions.txt)`,
      );
    const fields = {
      name,
      ...(about.title !== undefined ? { title: about.title } : {}),
      ...(about.description !== undefined ? { description: about.description } : {}),
      includedPermissions: [...new Set(permissions)].sort(),
      stage: about.stage ?? 'GA',
    };
    const role: Role = { ...fields, etag: etagOf(fields) };
    if (this.store.has(ROLES, name)) this.store.update(ROLES, name, () => role);
    else this.store.insert(ROLES, role);
    return structuredClone(role);
  }

  /**
   * Adds `binding.member` to the binding of the resource's policy with the same role and condition,
   * or appends a new binding (and creates the policy if the resource has none), as
   * setIamPolicy does with the policy Terraform's `*_iam_member` reads, changes and writes back.
   * A member already there changes nothing.
   */
  grant(binding: Binding): void {
    if (!this.role(binding.role))
      throw new RangeError(
        `unknown role ${binding.role}: define the custom role first, or copy the predefined role into emulator/iam/data/roles.json`,
      );
    if (binding.condition) this.condition(binding.condition.expression);
    const condition = binding.condition && { title: binding.condition.title, expression: binding.condition.expression };
    const current = this.store.get(POLICIES, binding.resource);
    const bindings = structuredClone(current?.bindings ?? []);
    const same = bindings.find((b) => b.role === binding.role && sameCondition(b.condition, condition));
    if (same?.members.includes(binding.member)) return;
    if (same) same.members.push(binding.member);
    else bindings.push({ role: binding.role, members: [binding.member], ...(condition ? { condition } : {}) });
    const version: Policy['version'] = bindings.some((b) => b.condition) ? 3 : 1;
    const policy: PolicyRecord = { name: binding.resource, version, etag: etagOf([version, bindings]), bindings };
    if (current) this.store.update(POLICIES, binding.resource, () => policy);
    else this.store.insert(POLICIES, policy);
  }

  /** The allow policy set on `resource` (getIamPolicy's answer), or undefined when it has none. */
  policyOf(resource: string): Policy | undefined {
    const stored = this.store.get(POLICIES, resource);
    if (!stored) return undefined;
    const { name: _name, ...policy } = structuredClone(stored);
    return policy;
  }

  /** What is in force: the custom roles and every resource's policy, by resource name (the control API's answer). */
  policy(): { roles: Role[]; policies: Record<string, Policy> } {
    return {
      roles: this.store.list(ROLES).map((r) => structuredClone(r)),
      policies: Object.fromEntries(this.store.list(POLICIES).map((p) => [p.name, this.policyOf(p.name)!])),
    };
  }

  /** An access token standing for `member` for an hour. */
  mintToken(member: Member): { accessToken: string; expiresIn: number; member: Member } {
    const accessToken = `ya29.emulator.${randomBytes(18).toString('base64url')}`;
    this.tokens.set(accessToken, { member, expires: this.now() + TOKEN_LIFETIME_S * 1000 });
    return { accessToken, expiresIn: TOKEN_LIFETIME_S, member };
  }

  /** The principal of a request's token; undefined when the token is unknown or expired. */
  principalOf(token: string | undefined): Principal | undefined {
    if (token === undefined) return { kind: 'owner' };
    const t = this.tokens.get(token);
    if (!t || t.expires <= this.now()) return undefined;
    return { kind: 'member', member: t.member };
  }

  /**
   * Whether `principal` holds `permission` on `resource`, whose ancestors are `ancestors` (nearest
   * first). The binding credited with allowing it (the permission record's role) is the first that
   * grants it in this order: the policy of the resource itself, then those of its ancestors nearest
   * first, as given; within one policy its bindings in their order. Google allows when any does
   * and names none, so the order only decides which role a record credits.
   */
  check(principal: Principal, permission: string, resource: string, ancestors: readonly string[]): Decision {
    if (principal.kind === 'owner') return { allowed: this.owner.has(permission) };
    for (const on of [resource, ...ancestors]) {
      const policy = this.store.get(POLICIES, on);
      const found = policy?.bindings.find(
        (b) =>
          b.members.includes(principal.member) &&
          this.role(b.role)?.has(permission) &&
          (!b.condition || holds(this.condition(b.condition.expression), resource)),
      );
      if (found)
        return {
          allowed: true,
          binding: {
            member: principal.member,
            role: found.role,
            resource: on,
            ...(found.condition ? { condition: { ...found.condition } } : {}),
          },
        };
    }
    return { allowed: false };
  }

  /** The parsed condition of an expression; a SyntaxError for one the emulator cannot judge. */
  private condition(expression: string): Condition {
    let c = this.conditions.get(expression);
    if (!c) this.conditions.set(expression, (c = parseCondition(expression)));
    return c;
  }

  private role(name: string): ReadonlySet<string> | undefined {
    const stored = this.store.get(ROLES, name);
    if (!stored) return predefinedRoles().get(name);
    if (stored.deleted) return undefined;
    let set = this.permissionSets.get(stored);
    if (!set) this.permissionSets.set(stored, (set = new Set(stored.includedPermissions)));
    return set;
  }
}
