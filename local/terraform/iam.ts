/**
 * The IAM that terraform-bootstrap/iam.tf deploys, as roles and bindings the local stack installs
 * in the local Google Cloud through its IAM API (`installTerraformIam`): every
 * google_project_iam_custom_role (with its for_each instances), and every google_project_iam_member (with its condition), google_service_account_iam_member,
 * google_pubsub_topic_iam_member and google_storage_bucket_iam_member whose role and member
 * resolve to a custom role of the module, a predefined role, a service account of the module or a
 * literal — each on the resource it is set on (the project, the account, the topic, the bucket).
 * Interpolations of variables (their defaults), locals, `each.key`/`each.value.x` and of the
 * referenced resources' `email`/`name`/`id` are followed; anything else is an error naming the
 * expression, so a Terraform change the reader cannot follow fails loudly instead of granting less.
 */
import { type Json, type TfModule, instances, isObject, locals, loadModule, variableDefault } from './reader.js';
import type { Binding, Iam } from '../../emulator/iam/policy.js';

/**
 * `instances`, plus `for_each = toset(...)` of literal strings, of a literal local or of a
 * variable (its default, or the override): each.key = each.value = the string.
 */
function instancesOf(
  m: TfModule,
  type: string,
  vars: (name: string) => Json | undefined = (n) => variableDefault(m.files, n),
): ReturnType<typeof instances> {
  return instances(m, type).flatMap((i) => {
    const fe = typeof i.block.body.for_each === 'string' ? i.block.body.for_each : '';
    const literal = /^\$\{toset\((\[[^\]]*\])\)\}$/.exec(fe);
    const local = /^\$\{toset\(local\.([\w-]+)\)\}$/.exec(fe);
    const variable = /^\$\{toset\(var\.([\w-]+)\)\}$/.exec(fe);
    const list = literal
      ? (JSON.parse(literal[1]!) as Json)
      : local
        ? locals(m).get(local[1]!)?.value
        : variable
          ? vars(variable[1]!)
          : undefined;
    if (!Array.isArray(list) || i.key !== undefined) return [i];
    return list.filter((k): k is string => typeof k === 'string').map((k) => ({ block: i.block, key: k, value: k }));
  });
}

export interface TerraformIam {
  project: string;
  /** Every google_service_account of the module: Terraform address (`google_service_account.function["natRoutes"]`) → email. */
  serviceAccounts: Record<string, string>;
  roles: { name: string; permissions: string[] }[];
  bindings: Binding[];
}

interface Scope {
  key?: string;
  value?: Json;
}

function walk(v: Json | undefined, path: string[]): Json | undefined {
  let cur = v;
  for (const k of path) cur = isObject(cur) ? cur[k] : undefined;
  return cur;
}

class Evaluator {
  private readonly vars: (name: string) => Json | undefined;
  constructor(
    private readonly m: TfModule,
    private readonly overrides: Record<string, Json>,
  ) {
    this.vars = (name) => (name in overrides ? overrides[name] : variableDefault(m.files, name));
  }

  /** A string with `${...}` parts, each a traversal this reader follows. */
  string(v: Json | undefined, scope: Scope, where: string): string {
    if (typeof v !== 'string') throw new Error(`iam.tf reader: ${where} is not a string (${JSON.stringify(v)})`);
    return v.replace(/\$\{([^}]+)\}/g, (_, expr: string) => {
      const out = this.traversal(expr.trim(), scope, where);
      if (typeof out !== 'string' && typeof out !== 'number')
        throw new Error(
          `iam.tf reader: cannot evaluate \${${expr}} in ${where}: follows var.x, local.x, each.key, each.value.x and a resource's email/name/id only`,
        );
      // A local or each.value that is itself a template (a condition naming var.project_id).
      return typeof out === 'string' && out.includes('${') ? this.string(out, scope, where) : String(out);
    });
  }

  traversal(expr: string, scope: Scope, where: string): Json | undefined {
    const parts = expr.split('.');
    if (parts[0] === 'var') return walk(this.vars(parts[1] ?? ''), parts.slice(2));
    if (parts[0] === 'local') {
      const local = locals(this.m).get(parts[1] ?? '')?.value;
      if (
        typeof local === 'string' &&
        /^replace\(var\.([\w-]+), "(.)", "(.)"\)$/.test(local.replace(/^\$\{|\}$/g, ''))
      ) {
        const [, name, from, to] = /^replace\(var\.([\w-]+), "(.)", "(.)"\)$/.exec(local.replace(/^\$\{|\}$/g, ''))!;
        return String(this.vars(name!)).split(from!).join(to!);
      }
      const co = typeof local === 'string' ? /^\$\{coalesce\(\s*var\.([\w-]+),\s*"(.*)"\s*\)\}$/s.exec(local) : null;
      if (co) return this.vars(co[1]!) ?? this.string(co[2]!, scope, `local.${parts[1]}`);
      const coRef =
        typeof local === 'string'
          ? /^\$\{coalesce\(\s*var\.([\w-]+),\s*([a-z0-9_]+\.[\w-]+\.[a-z_]+)\s*\)\}$/.exec(local)
          : null;
      if (coRef) return this.vars(coRef[1]!) ?? this.traversal(coRef[2]!, scope, `local.${parts[1]}`);
      if (typeof local === 'string' && local.includes('${')) return this.string(local, scope, `local.${parts[1]}`);
      return walk(local, parts.slice(2));
    }
    if (expr === 'data.google_project.this.number' && this.overrides.project_number !== undefined)
      return this.overrides.project_number;
    if (expr === 'each.key') return scope.key;
    if (parts[0] === 'each' && parts[1] === 'value') return walk(scope.value, parts.slice(2));
    const ref = /^([a-z0-9_]+)\.([\w-]+)(?:\[([^\]]+)\])?\.(email|name|id)$/.exec(expr);
    if (ref)
      return this.attribute(
        ref[1]!,
        ref[2]!,
        ref[3] === undefined ? undefined : this.index(ref[3], scope, where),
        ref[4]!,
        where,
      );
    throw new Error(`iam.tf reader: cannot evaluate \${${expr}} in ${where}`);
  }

  /** A for_each index: `[each.key]`, `[each.value.x]` or a literal `["natRoutes"]`. */
  private index(index: string, scope: Scope, where: string): string {
    const literal = /^"([^"]*)"$/.exec(index);
    if (literal) return literal[1]!;
    const value = this.traversal(index, scope, where);
    if (typeof value !== 'string') throw new Error(`iam.tf reader: cannot evaluate the index [${index}] in ${where}`);
    return value;
  }

  /** The provider's computed attributes (email = account_id@project.iam.gserviceaccount.com, role name = projects/p/roles/id). */
  attribute(type: string, name: string, key: string | undefined, attr: string, where: string): string {
    const inst = instancesOf(this.m, type).find((i) => i.block.name === name && i.key === key);
    if (!inst)
      throw new Error(
        `iam.tf reader: ${where} refers to ${type}.${name}${key ? `["${key}"]` : ''}, which the module does not declare`,
      );
    const scope = { key: inst.key, value: inst.value };
    const project = String(this.vars('project_id'));
    if (type === 'google_service_account') {
      const email = `${this.string(inst.block.body.account_id, scope, `${type}.${name}.account_id`)}@${project}.iam.gserviceaccount.com`;
      return attr === 'email' ? email : `projects/${project}/serviceAccounts/${email}`;
    }
    if (type === 'google_project_iam_custom_role')
      return `projects/${project}/roles/${this.string(inst.block.body.role_id, scope, `${type}.${name}.role_id`)}`;
    // A topic's and a bucket's name attribute is the name they are created with.
    if ((type === 'google_pubsub_topic' || type === 'google_storage_bucket') && attr === 'name')
      return this.string(inst.block.body.name, scope, `${type}.${name}.name`);
    throw new Error(`iam.tf reader: ${where}: attributes of ${type} are not followed`);
  }
}

/** The IAM of `m` (variables at their defaults unless overridden). */
export function terraformIam(m: TfModule, overrides: Record<string, Json> = {}): TerraformIam {
  // project_number stands for data.google_project.this.number (the project's number, known only to Google).
  const ev = new Evaluator(m, overrides);
  const project = String(overrides.project_id ?? variableDefault(m.files, 'project_id'));
  const roles = instancesOf(m, 'google_project_iam_custom_role').map(({ block, key, value }) => {
    const where = `${block.type}.${block.name}${key ? `["${key}"]` : ''}`;
    const scope = { key, value };
    const perms =
      typeof block.body.permissions === 'string'
        ? ev.traversal(block.body.permissions.replace(/^\$\{|\}$/g, ''), scope, where)
        : block.body.permissions;
    if (!Array.isArray(perms) || perms.some((p) => typeof p !== 'string'))
      throw new Error(`iam.tf reader: ${where}.permissions is not a list of strings`);
    return {
      name: `projects/${project}/roles/${ev.string(block.body.role_id, scope, `${where}.role_id`)}`,
      permissions: perms as string[],
    };
  });
  const serviceAccounts = Object.fromEntries(
    instancesOf(m, 'google_service_account').map(({ block, key }) => [
      `google_service_account.${block.name}${key !== undefined ? `["${key}"]` : ''}`,
      ev.attribute('google_service_account', block.name, key, 'email', `google_service_account.${block.name}`),
    ]),
  );
  const bindings: Binding[] = [];
  for (const type of [
    'google_project_iam_member',
    'google_service_account_iam_member',
    'google_pubsub_topic_iam_member',
    'google_storage_bucket_iam_member',
  ]) {
    for (const { block, key, value } of instancesOf(m, type, (n) =>
      n in overrides ? overrides[n] : variableDefault(m.files, n),
    )) {
      const where = `${block.type}.${block.name}${key ? `["${key}"]` : ''}`;
      const scope = { key, value };
      // A Google-managed service agent (a data source, or google_project_service_identity) acts for Google, not netreflex.
      if (/\$\{(?:data\.|google_project_service_identity\.)/.test(String(block.body.member))) continue;
      const member = ev.string(block.body.member, scope, `${where}.member`);
      const resource = resourceOf(type, block.body, (v, field) => ev.string(v, scope, `${where}.${field}`), project);
      const cond = Array.isArray(block.body.condition) ? block.body.condition[0] : undefined;
      const condition = isObject(cond)
        ? {
            title: ev.string(cond.title, scope, `${where}.condition.title`),
            expression: ev.string(cond.expression, scope, `${where}.condition.expression`),
          }
        : undefined;
      bindings.push({
        member,
        role: ev.string(block.body.role, scope, `${where}.role`),
        resource,
        ...(condition ? { condition } : {}),
      });
    }
  }
  return { project, serviceAccounts, roles, bindings };
}

/** Where a binding of `type` is set, named as IAM names the resource. */
function resourceOf(
  type: string,
  body: Record<string, Json>,
  str: (v: Json | undefined, field: string) => string,
  project: string,
): string {
  switch (type) {
    case 'google_project_iam_member':
      return `projects/${project}`;
    case 'google_service_account_iam_member':
      return str(body.service_account_id, 'service_account_id');
    case 'google_pubsub_topic_iam_member':
      return `projects/${project}/topics/${str(body.topic, 'topic')}`;
    default:
      return `projects/_/buckets/${str(body.bucket, 'bucket')}`;
  }
}

/** The value of one expression of `m` (`local.pipeline_service_account`), as the reader follows it. */
export function terraformValue(m: TfModule, expr: string, overrides: Record<string, Json> = {}): Json | undefined {
  return new Evaluator(m, overrides).traversal(expr, {}, expr);
}

/** A template of `m` (`serviceAccount:${local.pipeline_service_account}`), its interpolations followed as the reader does. */
export function terraformString(m: TfModule, template: string, overrides: Record<string, Json> = {}): string {
  return new Evaluator(m, overrides).string(template, {}, template);
}

export async function loadTerraformIam(overrides: Record<string, Json> = {}, dir?: string): Promise<TerraformIam> {
  return terraformIam(await loadModule(dir), overrides);
}

/** Creates the module's custom roles and bindings in `iam` (what `terraform apply` does). */
export function installTerraformIam(iam: Iam, tf: TerraformIam): void {
  for (const r of tf.roles) iam.defineRole(r.name, r.permissions);
  for (const b of tf.bindings) iam.grant(b);
}
