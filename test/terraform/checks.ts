/**
 * The offline checks of terraform-bootstrap/: plain functions from the parsed module (and a context
 * naming the single sources of truth) to a list of problems, each saying what to fix. The tests run
 * each check on the real tree (no problems) and on a copy with one planted mistake (the problem is
 * reported), so a check that silently stops checking fails too.
 */
import { posix } from 'node:path';
import {
  type Json,
  type TfModule,
  blocks,
  instances,
  isObject,
  locals,
  named,
  references,
  resolve,
  strings,
  sub,
} from '../../local/terraform/reader.js';
import { renderOutputsTable, renderVariablesTable, tableIn } from './readme-tables.js';
import { knownPermissions } from '../../emulator/iam/policy.js';

/** A function as the TypeScript code describes it (shared/config/functions.ts). */
export interface RegistryFunction {
  entryPoint: string;
  folder: string;
  envNames: readonly string[];
}

export interface Context {
  registry: readonly RegistryFunction[];
  /** Entry points Terraform deploys before they are in FUNCTIONS (see policy.ts). */
  pendingFunctions: readonly string[];
  /** Repo paths (files read by file(), function folders) still being written by someone else. */
  pendingFiles: readonly string[];
  /** Variables a loader reads that must never be deployed (they point a local run at the emulator). */
  localOnlyEnv: readonly string[];
  /** Principals allowed to invoke functions (keys of local._invoker_members). */
  allowedInvokers: readonly string[];
  exists(repoPath: string): boolean;
  read(repoPath: string): string | undefined;
  /** terraform-bootstrap/README.md */
  readme: string;
}

export type Check = (m: TfModule, ctx: Context) => string[] | Promise<string[]>;

const BUILTIN_SCOPES = new Set(['path', 'count', 'each', 'self', 'terraform']);
const DEPLOY = 'google_cloudfunctions2_function';

/** Every var.*, local.*, data.*, module.* and resource reference names something declared. */
export const referencesResolve: Check = async (m) => {
  const vars = new Set(named(m, 'variable').map((v) => v.name));
  const mods = new Set(named(m, 'module').map((v) => v.name));
  const locs = locals(m);
  const resources = new Map(blocks(m, 'resource').map((b) => [`${b.type}.${b.name}`, b]));
  const data = new Set(blocks(m, 'data').map((b) => `data.${b.type}.${b.name}`));
  const problems: string[] = [];
  for (const f of m.files) {
    const iterators = new Set([...f.text.matchAll(/dynamic\s+"([\w-]+)"/g)].map((x) => x[1]));
    for (const [section, value] of Object.entries(f.json)) {
      if (section === 'terraform') continue;
      for (const { path, value: s } of strings(value)) {
        if (!s.includes('${') || /\.lifecycle\[0\]\.ignore_changes/.test(path)) continue;
        // Meta-arguments that name things, not values: `provider = google-beta`, a provisioner's `when = destroy`.
        if (/\.provider$/.test(path) || /\.provisioner\.[\w-]+\[\d+\]\.when$/.test(path)) continue;
        if (section === 'variable' && /^[\w-]+\[0\]\.type$/.test(path)) continue; // type constraints, not references
        for (const ref of await references(s)) {
          const parts = ref.split('.');
          const [head = '', second = '', third = ''] = parts;
          const where = `${f.name}: ${section}.${path}: "${ref}"`;
          if (BUILTIN_SCOPES.has(head) || iterators.has(head)) continue;
          if (head === 'var') {
            if (!vars.has(second)) problems.push(`${where}: no variable "${second}" is declared in variables.tf`);
            continue;
          }
          if (head === 'local') {
            const decl = locs.get(second);
            if (!decl) problems.push(`${where}: no local "${second}" is declared`);
            else if (second.startsWith('_') && decl.file !== f.name)
              problems.push(
                `${where}: local "${second}" is private to ${decl.file} (prefix _); drop the prefix or move the use`,
              );
            continue;
          }
          if (head === 'module') {
            if (!mods.has(second)) problems.push(`${where}: no module "${second}"`);
            continue;
          }
          if (head === 'data') {
            if (!data.has(`data.${second}.${third}`)) problems.push(`${where}: no data source "${second}.${third}"`);
            continue;
          }
          const target = resources.get(`${head}.${second}`);
          if (!target) {
            problems.push(`${where}: no resource "${head}.${second}" is declared`);
            continue;
          }
          const key = /^"(.*)"$/.exec(third)?.[1];
          if (key !== undefined) problems.push(...indexProblems(m, target.body.for_each, key, where));
        }
      }
    }
  }
  return problems;
};

/** `x.y["k"]` on a for_each over a literal local map must name one of its keys. */
function indexProblems(m: TfModule, forEach: Json | undefined, key: string, where: string): string[] {
  const keys = resolve(m, forEach);
  if (!isObject(keys)) return [];
  return key in keys ? [] : [`${where}: "${key}" is not a key of ${String(forEach)} (${Object.keys(keys).join(', ')})`];
}

/** Files read with file()/templatefile() and archive source dirs exist (or are known pending). */
export const filesExist: Check = (m, ctx) => {
  const problems: string[] = [];
  for (const f of m.files) {
    for (const x of f.text.matchAll(/(?:file|templatefile|source_dir\s*=\s*)\(?\s*"\$\{path\.module\}\/([^"]*)"/g)) {
      const repoPath = posix.normalize(posix.join(posix.basename(m.dir), x[1] ?? ''));
      if (ctx.exists(repoPath) || ctx.pendingFiles.includes(repoPath)) continue;
      problems.push(`${f.name}: "${repoPath}" does not exist in the repo (referenced as \${path.module}/${x[1]})`);
    }
  }
  return problems;
};

export interface Deployed {
  entryPoint: string;
  folder?: string;
  env?: Json;
  /** `service_config.timeout_seconds`, resolved through `each.value` where the reader can. */
  timeout?: Json;
}

/** The functions Terraform deploys, keyed by entry point. */
export function deployedFunctions(m: TfModule): Deployed[] {
  return instances(m, DEPLOY).map(({ block, key, value }) => {
    const ep = resolve(m, sub(block.body, 'build_config')?.entry_point, key, value);
    const folder = isObject(value) && typeof value.folder === 'string' ? value.folder : undefined;
    const env = resolve(m, sub(block.body, 'service_config')?.environment_variables, key, value);
    const timeout = resolve(m, sub(block.body, 'service_config')?.timeout_seconds, key, value);
    return { entryPoint: typeof ep === 'string' ? ep : `${block.type}.${block.name}`, folder, env, timeout };
  });
}

/** FUNCTIONS and Terraform agree on which functions exist, their folders and entry points. */
export const functionsMatchRegistry: Check = (m, ctx) => {
  const problems: string[] = [];
  const deployed = deployedFunctions(m);
  const index = ctx.read('functions/index.ts');
  for (const d of deployed) {
    const spec = ctx.registry.find((r) => r.entryPoint === d.entryPoint);
    const pending = ctx.pendingFunctions.includes(d.entryPoint);
    if (!spec && !pending) {
      problems.push(
        `function ${d.entryPoint} is deployed by Terraform but not in FUNCTIONS (shared/config/functions.ts); add it there or remove it from functions.tf`,
      );
      continue;
    }
    if (spec && pending)
      problems.push(
        `function ${d.entryPoint} is in FUNCTIONS now: remove it from PENDING_FUNCTIONS in test/terraform/policy.ts so every check applies`,
      );
    if (!spec) continue;
    if (d.folder !== spec.folder)
      problems.push(
        `function ${d.entryPoint}: Terraform says folder "${d.folder ?? '(none)'}", FUNCTIONS says "${spec.folder}"`,
      );
    if (!ctx.exists(spec.folder) && !ctx.pendingFiles.includes(spec.folder))
      problems.push(`function ${d.entryPoint}: source folder ${spec.folder} does not exist`);
    if (index !== undefined && !exports(index, d.entryPoint))
      problems.push(
        `function ${d.entryPoint}: functions/index.ts does not export "${d.entryPoint}" (the Cloud Functions entry point)`,
      );
  }
  for (const spec of ctx.registry) {
    if (!deployed.some((d) => d.entryPoint === spec.entryPoint))
      problems.push(
        `FUNCTIONS lists ${spec.entryPoint} but terraform-bootstrap does not deploy it; add it to local.functions in functions.tf`,
      );
  }
  return problems;
};

function exports(source: string, name: string): boolean {
  const direct = new RegExp(`export\\s+(?:async\\s+)?(?:const|let|var|function)\\s+${name}\\b`);
  const list = [...source.matchAll(/export\s*\{([^}]*)\}/g)].some((x) =>
    (x[1] ?? '').split(',').some(
      (item) =>
        item
          .trim()
          .split(/\s+as\s+/)
          .pop()
          ?.trim() === name,
    ),
  );
  return direct.test(source) || list;
}

/** Each function's deployed environment is exactly what its config loader reads. */
export const envMatchesLoader: Check = (m, ctx) => {
  const problems: string[] = [];
  for (const d of deployedFunctions(m)) {
    const spec = ctx.registry.find((r) => r.entryPoint === d.entryPoint);
    if (!spec) continue;
    if (!isObject(d.env)) {
      problems.push(
        `function ${d.entryPoint}: environment_variables is not a literal map, so its names cannot be checked`,
      );
      continue;
    }
    const want = spec.envNames.filter((n) => !ctx.localOnlyEnv.includes(n));
    const have = Object.keys(d.env);
    const missing = want.filter((n) => !have.includes(n));
    const extra = have.filter((n) => !want.includes(n));
    if (missing.length)
      problems.push(
        `function ${d.entryPoint}: Terraform does not set ${missing.join(', ')}, which its config loader reads`,
      );
    if (extra.length)
      problems.push(
        `function ${d.entryPoint}: Terraform sets ${extra.join(', ')}, which its config loader does not read${extra.some((n) => ctx.localOnlyEnv.includes(n)) ? ' (local-only: never deploy it)' : ''}`,
      );
  }
  return problems;
};

/**
 * Every permission a custom role lists exists in Google Cloud (emulator/iam/data/permissions.txt,
 * Google's predefined roles): IAM refuses a custom role naming one that does not, so a typo would
 * fail the first `terraform apply` instead of here.
 */
export const permissionsExist: Check = (m) => {
  const problems: string[] = [];
  for (const { block: b, key, value } of instances(m, 'google_project_iam_custom_role')) {
    const granted = resolve(m, b.body.permissions, key, value);
    const where = `${b.file}: ${b.type}.${b.name}${key ? `["${key}"]` : ''}`;
    if (!Array.isArray(granted)) {
      problems.push(`${where}: permissions are not a literal list, so they cannot be checked`);
      continue;
    }
    for (const p of granted) {
      if (typeof p !== 'string' || !knownPermissions().has(p))
        problems.push(
          `${where}: "${String(p)}" is not a Google Cloud permission (not in emulator/iam/data/permissions.txt); check its spelling in Google's role reference`,
        );
    }
  }
  return problems;
};

/** No binding anywhere names allUsers or allAuthenticatedUsers. */
export const noPublicPrincipals: Check = (m) =>
  m.files.flatMap((f) =>
    [...strings(f.json)]
      .filter(({ value }) => /allUsers|allAuthenticatedUsers/.test(value))
      .map(({ path, value }) => `${f.name}: ${path} = "${value}" grants access to the public`),
  );

const STARTUP = '${file("${path.module}/scripts/nat-startup.sh")}';

/** The NAT VMs boot with the repo's tested startup script, read with file(), never an inline copy. */
export const startupScriptFromFile: Check = (m) => {
  const templates = blocks(m, 'resource').filter(
    (b) => b.type === 'google_compute_instance_template' || b.type === 'google_compute_region_instance_template',
  );
  if (!templates.length) return ['nat.tf: no instance template for the NAT VMs'];
  return templates.flatMap((t) => {
    const meta = isObject(t.body.metadata) ? t.body.metadata : {};
    const problems: string[] = [];
    if (meta['startup-script'] !== STARTUP)
      problems.push(
        `${t.file}: ${t.type}.${t.name} metadata startup-script must be ${STARTUP.slice(2, -1)} (the script test/nat exercises), got ${JSON.stringify(meta['startup-script'] ?? null).slice(0, 80)}`,
      );
    if ('metadata_startup_script' in t.body)
      problems.push(
        `${t.file}: ${t.type}.${t.name} sets metadata_startup_script; use metadata startup-script = file(...)`,
      );
    if (!('netreflex-psa-ranges' in meta))
      problems.push(
        `${t.file}: ${t.type}.${t.name} lacks metadata netreflex-psa-ranges, which the startup script reads for the return routes`,
      );
    return problems;
  });
};

/** variables.tf: alphabetical, and every variable typed, described and validated. */
export const variablesWellFormed: Check = (m) => {
  const problems = order(m, 'variable');
  for (const v of named(m, 'variable')) {
    if (typeof v.body.type !== 'string') problems.push(`variable "${v.name}" has no type`);
    if (typeof v.body.description !== 'string' || !v.body.description.trim())
      problems.push(`variable "${v.name}" has no description`);
    if (!Array.isArray(v.body.validation) || !v.body.validation.length)
      problems.push(`variable "${v.name}" has no validation block`);
  }
  return problems;
};

/** outputs.tf: alphabetical, every output described. */
export const outputsWellFormed: Check = (m) => {
  const problems = order(m, 'output');
  for (const o of named(m, 'output')) {
    if (typeof o.body.description !== 'string' || !o.body.description.trim())
      problems.push(`output "${o.name}" has no description`);
  }
  return problems;
};

function order(m: TfModule, kind: 'variable' | 'output'): string[] {
  const problems: string[] = [];
  for (const f of m.files) {
    const names = [...f.text.matchAll(new RegExp(`^${kind}\\s+"([^"]+)"`, 'gm'))].map((x) => x[1] ?? '');
    const sorted = [...names].sort();
    const i = names.findIndex((n, k) => n !== sorted[k]);
    if (i >= 0)
      problems.push(`${f.name}: ${kind}s are not in alphabetical order: "${names[i]}" is where "${sorted[i]}" belongs`);
    if (names.length && f.name !== `${kind}s.tf`)
      problems.push(`${f.name}: declares ${kind}s; keep them in ${kind}s.tf`);
  }
  return problems;
}

/** The README's variables and outputs tables are the ones generated from the code. */
export const readmeTablesMatch: Check = (m, ctx) => {
  const problems: string[] = [];
  for (const [what, render] of [
    ['variables', renderVariablesTable],
    ['outputs', renderOutputsTable],
  ] as const) {
    const current = tableIn(ctx.readme, what);
    if (current === undefined)
      problems.push(
        `README.md has no ${what} table between <!-- BEGIN_TF_${what.toUpperCase()} --> and <!-- END_TF_${what.toUpperCase()} -->`,
      );
    else if (current.trim() !== render(m).trim())
      problems.push(`README.md ${what} table is out of date; regenerate it: npx tsx test/terraform/readme-tables.ts`);
  }
  return problems;
};

/** Terraform owns only the default deny(403) rule; allow rules belong to armorAllowlist. */
export const armorLeavesAllowRules: Check = (m) => {
  const policies = blocks(m, 'resource').filter((b) => b.type === 'google_compute_security_policy');
  if (!policies.length) return ['armor.tf: no google_compute_security_policy'];
  return policies.flatMap((p) => {
    const problems: string[] = [];
    const rules = Array.isArray(p.body.rule) ? p.body.rule.filter(isObject) : [];
    const ignored = sub(p.body, 'lifecycle')?.ignore_changes;
    if (!Array.isArray(ignored) || !ignored.some((x) => x === '${rule}' || x === 'rule'))
      problems.push(
        `${p.file}: ${p.name} lacks lifecycle { ignore_changes = [rule] }: every apply would delete armorAllowlist's allow rules`,
      );
    if (rules.length !== 1 || rules[0]?.priority !== 2147483647 || rules[0]?.action !== 'deny(403)')
      problems.push(
        `${p.file}: ${p.name} must declare exactly one rule, the default (priority 2147483647, action deny(403))`,
      );
    return problems;
  });
};

/** Buckets are private by construction; the config bucket keeps versions for rollbacks. */
export const bucketsPrivate: Check = (m) =>
  blocks(m, 'resource')
    .filter((b) => b.type === 'google_storage_bucket')
    .flatMap((b) => {
      const problems: string[] = [];
      if (b.body.uniform_bucket_level_access !== true)
        problems.push(`${b.file}: bucket ${b.name} must set uniform_bucket_level_access = true`);
      if (b.body.public_access_prevention !== 'enforced')
        problems.push(`${b.file}: bucket ${b.name} must set public_access_prevention = "enforced"`);
      if (b.name === 'config' && sub(b.body, 'versioning')?.enabled !== true)
        problems.push(`${b.file}: bucket config must keep versions (versioning { enabled = true })`);
      return problems;
    });

/** Noncurrent versions the config bucket may delete: only those noncurrent this long (days). */
export const CONFIG_VERSION_DAYS = 365;

/**
 * The config bucket keeps the allowlist's last applied generation through any stall: its lifecycle
 * deletes only noncurrent versions (`with_state = "ARCHIVED"`), and only once they have been
 * noncurrent for CONFIG_VERSION_DAYS. A lifecycle rule's conditions all have to hold (they are
 * ANDed: https://cloud.google.com/storage/docs/lifecycle#conditions), so a count
 * (`num_newer_versions`) beside the age narrows it further and is fine; a count alone deletes the
 * file expiry reads back after that many refused uploads.
 */
export const configKeepsAppliedFile: Check = (m) =>
  blocks(m, 'resource')
    .filter((b) => b.type === 'google_storage_bucket' && b.name === 'config')
    .flatMap((b) => {
      const rules = Array.isArray(b.body.lifecycle_rule) ? b.body.lifecycle_rule : [];
      return rules.flatMap((rule, i) => {
        const r = isObject(rule) ? rule : {};
        if (sub(r, 'action')?.type !== 'Delete') return [];
        const c = sub(r, 'condition') ?? {};
        const days = c.days_since_noncurrent_time;
        if (c.with_state === 'ARCHIVED' && typeof days === 'number' && days >= CONFIG_VERSION_DAYS) return [];
        return [
          `${b.file}: bucket config lifecycle_rule ${i + 1} deletes versions by ${Object.keys(c).join(', ') || 'nothing'}: it can delete the last applied allowlist generation, which expiry reads back while the live file is refused; delete only noncurrent versions by age (with_state = "ARCHIVED", days_since_noncurrent_time >= ${CONFIG_VERSION_DAYS})`,
        ];
      });
    });

/** Only the trigger and workflow accounts may invoke functions. */
export const invokersLimited: Check = (m, ctx) => {
  const problems: string[] = [];
  const fns = locals(m).get('functions')?.value;
  for (const [ep, spec] of Object.entries(isObject(fns) ? fns : {})) {
    const who = isObject(spec) && Array.isArray(spec.invokers) ? spec.invokers : [];
    for (const w of who)
      if (typeof w !== 'string' || !ctx.allowedInvokers.includes(w))
        problems.push(
          `functions.tf: ${ep} may be invoked by "${String(w)}"; only ${ctx.allowedInvokers.join(', ')} may invoke functions`,
        );
  }
  const members = locals(m).get('_invoker_members')?.value;
  for (const k of Object.keys(isObject(members) ? members : {}))
    if (!ctx.allowedInvokers.includes(k))
      problems.push(
        `iam.tf: _invoker_members names "${k}"; only ${ctx.allowedInvokers.join(', ')} may invoke functions`,
      );
  for (const b of blocks(m, 'resource').filter(
    (x) => /_iam_(member|binding|policy)$/.test(x.type) && /invoker/.test(String(x.body.role)),
  )) {
    if (b.body.member !== '${each.value.member}')
      problems.push(`${b.file}: ${b.type}.${b.name} grants ${String(b.body.role)} outside local._invoker_bindings`);
  }
  return problems;
};

const WORKFLOW_BUILTINS = [
  'GOOGLE_CLOUD_PROJECT_ID',
  'GOOGLE_CLOUD_PROJECT_NUMBER',
  'GOOGLE_CLOUD_LOCATION',
  'GOOGLE_CLOUD_WORKFLOW_ID',
  'GOOGLE_CLOUD_WORKFLOW_REVISION_ID',
  'GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID',
];

/** Every sys.get_env name the deployed workflow YAML reads is set in user_env_vars (or built in). */
export const workflowEnvSet: Check = (m, ctx) => {
  const problems: string[] = [];
  for (const w of blocks(m, 'resource').filter((b) => b.type === 'google_workflows_workflow')) {
    const src = /^\$\{file\("\$\{path\.module\}\/([^"]+)"\)\}$/.exec(String(w.body.source_contents));
    if (!src) {
      problems.push(`${w.file}: ${w.name} source_contents must be file("\${path.module}/../workflows/<name>.yaml")`);
      continue;
    }
    const repoPath = posix.normalize(posix.join(posix.basename(m.dir), src[1] ?? ''));
    const yaml = ctx.read(repoPath);
    if (yaml === undefined) continue; // filesExist reports it unless pending
    const set = Object.keys(isObject(w.body.user_env_vars) ? w.body.user_env_vars : {});
    for (const x of yaml.matchAll(/sys\.get_env\(\s*["']([A-Z0-9_]+)["']/g)) {
      const name = x[1] ?? '';
      if (!set.includes(name) && !WORKFLOW_BUILTINS.includes(name))
        problems.push(
          `${w.file}: ${repoPath} reads sys.get_env("${name}") but ${w.name}.user_env_vars does not set it`,
        );
    }
  }
  return problems;
};

/**
 * route_mode = "ilb" is wired end to end (nat.tf, functions.tf): the backend service and the
 * forwarding rule exist exactly in ilb mode; the backend service is an internal passthrough one
 * (INTERNAL, protocol UNSPECIFIED: every protocol the NAT VMs forward) over the NAT MIG's instance
 * group, health-checked by the MIG's own autohealing check (one health truth); the forwarding rule
 * is INTERNAL, L3_DEFAULT on all ports, on VPC A, in front of that service; natRoutes and
 * natRoutesSync get NETREFLEX_ROUTE_MODE = var.route_mode and that rule's name as
 * NETREFLEX_ILB_FORWARDING_RULE in ilb mode. Google: a route's next hop ILB must be an internal
 * passthrough forwarding rule (https://cloud.google.com/load-balancing/docs/internal/ilb-next-hop-overview).
 */
export const ilbModeWired: Check = (m) => {
  const problems: string[] = [];
  const body = (type: string) => blocks(m, 'resource').find((b) => b.type === type && b.name === 'nat')?.body;
  const bs = body('google_compute_region_backend_service');
  const fr = body('google_compute_forwarding_rule');
  const mig = blocks(m, 'resource').find(
    (b) => b.type === 'google_compute_region_instance_group_manager' && b.name === 'nat',
  )?.body;
  const ilbOnly = (v: Json | undefined) =>
    typeof v === 'string' && /var\.route_mode\s*==\s*"ilb"\s*\?\s*1\s*:\s*0/.test(v);
  const first = (v: Json | undefined) => (Array.isArray(v) ? v[0] : v);
  if (!bs)
    problems.push(
      'nat.tf: no google_compute_region_backend_service.nat: route_mode = "ilb" needs the load balancer\'s backend service',
    );
  if (!fr)
    problems.push(
      'nat.tf: no google_compute_forwarding_rule.nat: route_mode = "ilb" needs the forwarding rule natRoutes routes to',
    );
  if (bs) {
    if (!ilbOnly(bs.count))
      problems.push(
        'google_compute_region_backend_service.nat: count must be var.route_mode == "ilb" ? 1 : 0 (created in ilb mode only)',
      );
    if (bs.load_balancing_scheme !== 'INTERNAL')
      problems.push(
        `google_compute_region_backend_service.nat: load_balancing_scheme must be INTERNAL (an internal passthrough load balancer), not ${JSON.stringify(bs.load_balancing_scheme)}`,
      );
    if (bs.protocol !== 'UNSPECIFIED')
      problems.push(
        `google_compute_region_backend_service.nat: protocol must be UNSPECIFIED (the NAT VMs forward every protocol), not ${JSON.stringify(bs.protocol)}`,
      );
    const healed = sub(mig, 'auto_healing_policies')?.health_check;
    const hcs = Array.isArray(bs.health_checks) ? bs.health_checks : [];
    if (
      hcs.length !== 1 ||
      typeof healed !== 'string' ||
      String(hcs[0]).replace(/\.(id|self_link)\}$/, '') !== healed.replace(/\.(id|self_link)\}$/, '')
    )
      problems.push(
        `google_compute_region_backend_service.nat: health_checks must be the NAT MIG's autohealing health check (${String(healed)}), one truth about a VM's health`,
      );
    const group = (first(bs.backend) as Record<string, Json> | undefined)?.group;
    if (group !== '${google_compute_region_instance_group_manager.nat.instance_group}')
      problems.push(
        `google_compute_region_backend_service.nat: the backend group must be the NAT MIG's instance group, not ${JSON.stringify(group)}`,
      );
  }
  if (fr) {
    if (!ilbOnly(fr.count))
      problems.push(
        'google_compute_forwarding_rule.nat: count must be var.route_mode == "ilb" ? 1 : 0 (created in ilb mode only)',
      );
    if (fr.load_balancing_scheme !== 'INTERNAL')
      problems.push(
        `google_compute_forwarding_rule.nat: load_balancing_scheme must be INTERNAL (only an internal passthrough load balancer can be a route's next hop), not ${JSON.stringify(fr.load_balancing_scheme)}`,
      );
    if (fr.ip_protocol !== 'L3_DEFAULT' || fr.all_ports !== true)
      problems.push(
        'google_compute_forwarding_rule.nat: ip_protocol L3_DEFAULT with all_ports = true (the NAT VMs forward every protocol and port)',
      );
    if (fr.backend_service !== '${google_compute_region_backend_service.nat[0].id}')
      problems.push(
        `google_compute_forwarding_rule.nat: backend_service must be google_compute_region_backend_service.nat[0].id, not ${JSON.stringify(fr.backend_service)}`,
      );
    if (fr.network !== '${google_compute_network.vpc_a.id}')
      problems.push(
        "google_compute_forwarding_rule.nat: network must be VPC A (a route's next hop load balancer is in the route's network)",
      );
  }
  const fns = locals(m).get('functions')?.value;
  for (const name of ['natRoutes', 'natRoutesSync']) {
    const env = isObject(fns) && isObject(fns[name]) && isObject(fns[name].env) ? fns[name].env : undefined;
    if (!env) continue; // functionsMatchRegistry reports a missing function
    if (env.NETREFLEX_ROUTE_MODE !== '${var.route_mode}')
      problems.push(`functions.tf ${name}: NETREFLEX_ROUTE_MODE must be var.route_mode`);
    if (
      typeof env.NETREFLEX_ILB_FORWARDING_RULE !== 'string' ||
      !/var\.route_mode\s*==\s*"ilb"\s*\?\s*google_compute_forwarding_rule\.nat\[0\]\.name\s*:\s*""/.test(
        env.NETREFLEX_ILB_FORWARDING_RULE,
      )
    )
      problems.push(
        `functions.tf ${name}: NETREFLEX_ILB_FORWARDING_RULE must be google_compute_forwarding_rule.nat[0].name in ilb mode ("" otherwise)`,
      );
  }
  return problems;
};

export const CHECKS = {
  referencesResolve,
  filesExist,
  functionsMatchRegistry,
  envMatchesLoader,
  permissionsExist,
  noPublicPrincipals,
  startupScriptFromFile,
  variablesWellFormed,
  outputsWellFormed,
  readmeTablesMatch,
  armorLeavesAllowRules,
  bucketsPrivate,
  configKeepsAppliedFile,
  invokersLimited,
  workflowEnvSet,
  ilbModeWired,
} satisfies Record<string, Check>;
