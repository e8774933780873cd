/**
 * Cloud Armor security policies on Compute's REST paths. Rules change only through `addRule`,
 * `patchRule?priority=`, `removeRule?priority=`; the policy-level `patch` cannot touch them and
 * is guarded by the policy `fingerprint` (stale → 412). Every rule mutation is a global
 * operation whose effect lands when it is DONE and changes the fingerprint, so a sync is never
 * atomic — exactly the window a client's make-before-break ordering of rule changes is for. Requests are
 * validated at once; the rule set is checked again when the operation applies, so two
 * concurrent `addRule`s at one priority end with one failed operation, as in production.
 */
import { randomBytes } from 'node:crypto';
import { badRequest, HttpError } from '../errors.js';
import type { Request, Router } from '../http.js';
import { computeUrl, nextId, type Resource, type Store } from '../store.js';
import { globalCol, type ComputeContext } from './context.js';
import { listResponse } from './list.js';
import { getResource, startInsert } from './resources.js';
import { checkRuleSet, DEFAULT_PRIORITY, defaultRule, validateRule, type Rule } from './security-policy-rules.js';
import { armorUsageDelta, checkArmorQuota, policyUsage } from './security-policies-quota.js';
import { requireInt, requireName, requireObject } from './validate.js';
import type { SecurityPolicy } from './types.js';

const POLICY_TYPES = ['CLOUD_ARMOR', 'CLOUD_ARMOR_EDGE', 'CLOUD_ARMOR_NETWORK'];
/** Policy fields `patch` may change (rules, name and output-only fields excluded). */
const PATCHABLE = [
  'description',
  'advancedOptionsConfig',
  'adaptiveProtectionConfig',
  'ddosProtectionConfig',
  'recaptchaOptionsConfig',
  'userDefinedFields',
];

const col = (project: string) => globalCol(project, 'securityPolicies');
export const newFingerprint = () => randomBytes(8).toString('base64');

const getPolicy = (ctx: ComputeContext, project: string, name: string) => getResource(ctx, col(project), name);

const rulesOf = (policy: SecurityPolicy): Rule[] => policy.rules ?? [];

/** A new policy resource; a policy created without a default rule gets `allow` at 2147483647. */
export function buildPolicy(store: Store, project: string, body: unknown): SecurityPolicy {
  const p = requireObject(body, 'resource');
  const name = requireName(p.name);
  const type = p.type ?? 'CLOUD_ARMOR';
  if (typeof type !== 'string' || !POLICY_TYPES.includes(type))
    throw badRequest(
      `Invalid value for field 'resource.type': '${String(type)}'. Must be one of ${POLICY_TYPES.join(', ')}.`,
    );
  const given = Array.isArray(p.rules) ? p.rules.map((r, i) => validateRule(r, `resource.rules[${i}]`)) : [];
  const rules = checkRuleSet(given.some((r) => r.priority === DEFAULT_PRIORITY) ? given : [...given, defaultRule()]);
  return {
    kind: 'compute#securityPolicy',
    id: nextId(),
    creationTimestamp: store.nowIso(),
    name,
    description: typeof p.description === 'string' ? p.description : '',
    rules,
    fingerprint: newFingerprint(),
    type,
    ...Object.fromEntries(PATCHABLE.filter((k) => k !== 'description' && p[k] !== undefined).map((k) => [k, p[k]])),
    labelFingerprint: '42WmSpB8rSM=',
    selfLink: computeUrl(`${col(project)}/${name}`),
  };
}

/**
 * Starts a global operation whose `apply` rewrites the policy's rules and fingerprint. The rule
 * set is checked when asked (400 at once) and again when applied, where the project's quotas are
 * checked too (the operation ends with QUOTA_EXCEEDED). `validateOnly` exists on addRule and
 * patchRule only (compute.proto AddRuleSecurityPolicyRequest / PatchRuleSecurityPolicyRequest).
 */
function mutateRules(
  ctx: ComputeContext,
  project: string,
  name: string,
  verb: 'addRule' | 'patchRule' | 'removeRule',
  change: (rules: Rule[]) => Rule[],
  r: Request,
): Resource {
  const policy = getPolicy(ctx, project, name);
  change(structuredClone(rulesOf(policy)));
  const validateOnly = verb !== 'removeRule' && r.query.get('validateOnly') === 'true';
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: `compute.securityPolicies.${verb}`,
    operationType: verb,
    targetLink: String(policy.selfLink),
    apply: () => {
      if (validateOnly) return;
      const before = rulesOf(getPolicy(ctx, project, name));
      const after = change(structuredClone(before));
      checkArmorQuota(ctx.store, ctx.settings, project, armorUsageDelta(before, after));
      ctx.store.update(col(project), name, (p) => {
        p.rules = after;
        p.fingerprint = newFingerprint();
      });
    },
  });
}

/** The `priority` query parameter of the rule methods (0 when absent, as the proto default). */
const priorityParam = (r: Request) => requireInt(r.query.get('priority') ?? 0, 'priority', 0, DEFAULT_PRIORITY);

function findRule(rules: Rule[], priority: number): Rule {
  const rule = rules.find((x) => x.priority === priority);
  if (!rule)
    throw badRequest(
      `Invalid value for field 'priority': '${priority}'. The security policy does not contain a rule at priority ${priority}.`,
    );
  return rule;
}

function addRule(rules: Rule[], rule: Rule): Rule[] {
  return checkRuleSet([...rules, rule]);
}

/**
 * patchRule merges the body into the rule; `updateMask` names fields to clear even though the
 * body omits them ("Indicates fields to be cleared as part of this request", compute.proto
 * PatchRuleSecurityPolicyRequest.update_mask), comma-separated, dotted for nested fields.
 */
function patchRule(
  rules: Rule[],
  priority: number,
  body: Record<string, unknown>,
  updateMask: readonly string[] = [],
): Rule[] {
  const current = findRule(rules, priority);
  const cleared: Record<string, unknown> = structuredClone(current);
  for (const path of updateMask) if (!hasPath(body, path)) deletePath(cleared, path);
  const merged = validateRule({ ...cleared, ...body, priority: body.priority ?? priority }, 'resource');
  if (priority === DEFAULT_PRIORITY && merged.priority !== DEFAULT_PRIORITY)
    throw badRequest(
      `Invalid value for field 'resource.priority': '${merged.priority}'. The default rule's priority cannot be changed.`,
    );
  return checkRuleSet([...rules.filter((x) => x !== current), merged]);
}

const FIELD_PATH = /^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)*$/;

/** The `updateMask` query parameter: field paths of SecurityPolicyRule, comma-separated. */
function updateMaskParam(r: Request): string[] {
  const text = r.query.get('updateMask');
  if (text === null || text === '') return [];
  const paths = text.split(',').map((p) => p.trim());
  const bad = paths.find((p) => !FIELD_PATH.test(p));
  if (bad !== undefined)
    throw badRequest(`Invalid value for field 'updateMask': '${text}'. Must be a comma-separated list of field paths.`);
  return paths;
}

/** An object or an array: what a field path can step into. */
const isObject = (node: unknown): node is Record<string, unknown> => typeof node === 'object' && node !== null;

function hasPath(value: Record<string, unknown>, path: string): boolean {
  let node: unknown = value;
  for (const key of path.split('.')) {
    if (!isObject(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

function deletePath(value: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  let node: unknown = value;
  for (const key of keys.slice(0, -1)) {
    node = isObject(node) ? node[key] : undefined;
  }
  if (isObject(node)) delete node[keys.at(-1)!];
}

function removeRule(rules: Rule[], priority: number): Rule[] {
  if (priority === DEFAULT_PRIORITY)
    throw badRequest(
      `Invalid value for field 'priority': '${priority}'. The default rule cannot be removed; patch its action instead.`,
    );
  findRule(rules, priority);
  return rules.filter((x) => x.priority !== priority);
}

/** A request's `rules`, which must be a list. */
function rulesField(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw badRequest(`Invalid value for field 'resource.rules': must be a list of rules.`);
  return value;
}

/** Policy-level patch: fingerprint-checked, and never a way to change the rules. */
function patchPolicy(ctx: ComputeContext, project: string, name: string, body: unknown): Resource {
  const policy = getPolicy(ctx, project, name);
  const p = requireObject(body, 'resource');
  checkFingerprint(policy, p.fingerprint);
  if (p.name !== undefined && p.name !== name)
    throw badRequest(
      `Invalid value for field 'resource.name': '${String(p.name)}'. A security policy cannot be renamed.`,
    );
  if (
    p.rules !== undefined &&
    JSON.stringify(checkRuleSet(rulesField(p.rules).map((r, i) => validateRule(r, `resource.rules[${i}]`)))) !==
      JSON.stringify(rulesOf(policy))
  ) {
    throw badRequest(
      `Invalid value for field 'resource.rules': patch cannot change the rules of a security policy; use addRule, patchRule or removeRule.`,
    );
  }
  const fingerprint = policy.fingerprint;
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.securityPolicies.patch',
    operationType: 'patch',
    targetLink: String(policy.selfLink),
    apply: () =>
      ctx.store.update(col(project), name, (current) => {
        checkFingerprint(current, fingerprint);
        for (const key of PATCHABLE) if (p[key] !== undefined) current[key] = p[key];
        current.fingerprint = newFingerprint();
      }),
  });
}

function checkFingerprint(policy: Resource, given: unknown): void {
  if (given === undefined || given === null || given === '') return;
  if (given !== policy.fingerprint) {
    throw new HttpError(
      412,
      `Invalid value for field 'resource.fingerprint': '${String(given)}'. Supplied fingerprint does not match current security policy fingerprint; get the policy again and retry.`,
      'conditionNotMet',
    );
  }
}

const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

/** `setLabels`: replaces the labels, guarded by `labelFingerprint` (stale or missing → 412), as for every labelled Compute resource. */
function setLabels(ctx: ComputeContext, project: string, name: string, body: unknown): Resource {
  const policy = getPolicy(ctx, project, name);
  const p = requireObject(body, 'resource');
  const labels = requireObject(p.labels ?? {}, 'resource.labels');
  if (Object.keys(labels).length > 64)
    throw badRequest(`Invalid value for field 'resource.labels': at most 64 labels.`);
  for (const [key, value] of Object.entries(labels)) {
    if (!LABEL_KEY.test(key) || typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      throw badRequest(
        `Invalid value for field 'resource.labels': '${key}=${String(value)}'. Label keys start with a lowercase letter; keys and values have at most 63 lowercase letters, digits, '_' or '-'.`,
      );
    }
  }
  const given = p.labelFingerprint;
  checkLabelFingerprint(policy, given);
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.securityPolicies.setLabels',
    operationType: 'setLabels',
    targetLink: String(policy.selfLink),
    apply: () =>
      ctx.store.update(col(project), name, (current) => {
        checkLabelFingerprint(current, given);
        current.labels = { ...labels };
        current.labelFingerprint = newFingerprint();
        current.fingerprint = newFingerprint();
      }),
  });
}

function checkLabelFingerprint(policy: Resource, given: unknown): void {
  if (given !== policy.labelFingerprint) {
    throw new HttpError(412, `Labels fingerprint either invalid or resource labels have changed`, 'conditionNotMet');
  }
}

function insertPolicy(ctx: ComputeContext, project: string, body: unknown): Resource {
  const policy = buildPolicy(ctx.store, project, body);
  return startInsert(ctx, {
    project,
    scope: { kind: 'global' },
    methodId: 'compute.securityPolicies.insert',
    collection: col(project),
    resource: policy,
    checkWhenApplied: () => checkArmorQuota(ctx.store, ctx.settings, project, policyUsage(policy)),
  });
}

function deletePolicy(ctx: ComputeContext, project: string, name: string): Resource {
  const policy = getPolicy(ctx, project, name);
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.securityPolicies.delete',
    operationType: 'delete',
    targetLink: String(policy.selfLink),
    apply: () => void ctx.store.remove(col(project), name),
  });
}

export function registerSecurityPolicies(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/global/securityPolicies';
  const policyArgs = (r: Request) => [r.params.project!, r.params.policy!] as const;
  router.on('GET', base, 'compute.securityPolicies.list', (r) =>
    listResponse(
      'compute#securityPolicyList',
      col(r.params.project!),
      ctx.store.list(col(r.params.project!)),
      r.query,
      { selfLink: false },
    ),
  );
  router.on('POST', base, 'compute.securityPolicies.insert', (r) => insertPolicy(ctx, r.params.project!, r.body));
  router.on('GET', `${base}/{policy}`, 'compute.securityPolicies.get', (r) => getPolicy(ctx, ...policyArgs(r)));
  router.on('PATCH', `${base}/{policy}`, 'compute.securityPolicies.patch', (r) =>
    patchPolicy(ctx, ...policyArgs(r), r.body),
  );
  router.on('DELETE', `${base}/{policy}`, 'compute.securityPolicies.delete', (r) =>
    deletePolicy(ctx, ...policyArgs(r)),
  );
  router.on('POST', `${base}/{policy}/setLabels`, 'compute.securityPolicies.setLabels', (r) =>
    setLabels(ctx, ...policyArgs(r), r.body),
  );
  router.on('GET', `${base}/{policy}/getRule`, 'compute.securityPolicies.getRule', (r) =>
    findRule(rulesOf(getPolicy(ctx, ...policyArgs(r))), priorityParam(r)),
  );
  router.on('POST', `${base}/{policy}/addRule`, 'compute.securityPolicies.addRule', (r) => {
    const rule = validateRule(r.body, 'resource');
    return mutateRules(ctx, ...policyArgs(r), 'addRule', (rules) => addRule(rules, rule), r);
  });
  router.on('POST', `${base}/{policy}/patchRule`, 'compute.securityPolicies.patchRule', (r) => {
    const priority = priorityParam(r);
    const body = requireObject(r.body, 'resource');
    const mask = updateMaskParam(r);
    return mutateRules(ctx, ...policyArgs(r), 'patchRule', (rules) => patchRule(rules, priority, body, mask), r);
  });
  router.on('POST', `${base}/{policy}/removeRule`, 'compute.securityPolicies.removeRule', (r) => {
    const priority = priorityParam(r);
    return mutateRules(ctx, ...policyArgs(r), 'removeRule', (rules) => removeRule(rules, priority), r);
  });
}

/** Writes a security policy holding only the default rule (`defaultAction`, e.g. `deny(403)`) into the store, without an operation. */
export function seedSecurityPolicy(
  store: Store,
  project: string,
  policy: { name: string; description: string; defaultAction: string },
): void {
  store.insert(
    col(project),
    buildPolicy(store, project, {
      name: policy.name,
      description: policy.description,
      rules: [defaultRule(policy.defaultAction)],
    }),
  );
}
