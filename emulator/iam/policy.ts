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
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { holds, parseCondition, type Condition } from './condition.js';

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data');

/** `serviceAccount:a@p.iam.gserviceaccount.com`, `user:x@example.com`, … as in IAM policies. */
export type Member = string;

export interface Binding {
  member: Member;
  /** `roles/x` (predefined) or `projects/p/roles/x` (custom). */
  role: string;
  /** Where the binding is set: `projects/p`, `projects/_/buckets/b`, `projects/p/topics/t`, … */
  resource: string;
  /** An IAM condition: the binding applies only to requests on resources it holds for (condition.ts). */
  condition?: { title: string; expression: string };
}

/** Who is calling: the owner (no token) or a member a token stands for. */
export type Principal = { kind: 'owner' } | { kind: 'member'; member: Member };

export interface Decision {
  allowed: boolean;
  /** The binding that allowed it, for the permission record. */
  binding?: Binding;
}

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

export class Iam {
  private readonly custom = new Map<string, ReadonlySet<string>>();
  private readonly bindings: Binding[] = [];
  private readonly conditions = new Map<string, Condition>();
  private readonly tokens = new Map<string, { member: Member; expires: number }>();
  private readonly owner: ReadonlySet<string>;

  constructor(private readonly now: () => number = Date.now) {
    this.owner = new Set(OWNER_ROLES.flatMap((r) => [...(predefinedRoles().get(r) ?? [])]));
  }

  /** A custom role (`projects/p/roles/id`); every permission must exist, as IAM refuses unknown ones. */
  defineRole(name: string, permissions: readonly string[]): void {
    const unknown = permissions.filter((p) => !knownPermissions().has(p));
    if (unknown.length)
      throw new RangeError(
        `role ${name}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a permission' : 'are not permissions'} of Google Cloud (emulator/iam/data/permissions.txt)`,
      );
    this.custom.set(name, new Set(permissions));
  }

  grant(binding: Binding): void {
    if (!this.role(binding.role))
      throw new RangeError(
        `unknown role ${binding.role}: define the custom role first, or copy the predefined role into emulator/iam/data/roles.json`,
      );
    if (binding.condition)
      this.conditions.set(binding.condition.expression, parseCondition(binding.condition.expression));
    this.bindings.push({ ...binding });
  }

  policy(): { roles: Record<string, string[]>; bindings: Binding[] } {
    return {
      roles: Object.fromEntries([...this.custom].map(([k, v]) => [k, [...v].sort()])),
      bindings: this.bindings.map((b) => ({ ...b })),
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

  /** Whether `principal` holds `permission` on `resource`, whose ancestors are `ancestors` (nearest first). */
  check(principal: Principal, permission: string, resource: string, ancestors: readonly string[]): Decision {
    if (principal.kind === 'owner') return { allowed: this.owner.has(permission) };
    const scope = new Set([resource, ...ancestors]);
    const binding = this.bindings.find(
      (b) =>
        b.member === principal.member &&
        scope.has(b.resource) &&
        this.role(b.role)?.has(permission) &&
        (!b.condition || holds(this.conditions.get(b.condition.expression)!, resource)),
    );
    return binding ? { allowed: true, binding } : { allowed: false };
  }

  private role(name: string): ReadonlySet<string> | undefined {
    return this.custom.get(name) ?? predefinedRoles().get(name);
  }
}
