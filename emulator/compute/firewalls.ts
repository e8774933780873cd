/**
 * VPC firewall rules. A client that widens a rule's `sourceRanges` (say, for each new Private
 * Service Access range) does it with `patch`: fields present in the body replace the rule's, the
 * rest stay, and the merged rule is validated as a whole — exactly one of `allowed`/`denied`, CIDRs with zero host bits, a direction-consistent
 * source or destination — and `name`/`network` cannot change.
 */
import { badRequest } from '../errors.js';
import type { Router } from '../http.js';
import { computeUrl, nextId, type Resource } from '../store.js';
import { globalCol, type ComputeContext } from './context.js';
import { listResponse } from './list.js';
import { getNetwork, networkRef } from './networks.js';
import { getResource, startInsert } from './resources.js';
import { isOneOf, requireCidr, requireInt, requireName, requireObject } from './validate.js';

const DIRECTIONS = ['INGRESS', 'EGRESS'] as const;
const LIST_FIELDS = [
  'sourceRanges',
  'destinationRanges',
  'sourceTags',
  'targetTags',
  'sourceServiceAccounts',
  'targetServiceAccounts',
] as const;
const MUTABLE = [...LIST_FIELDS, 'description', 'priority', 'allowed', 'denied', 'disabled', 'logConfig'] as const;
const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp'];

export function getFirewall(ctx: ComputeContext, project: string, name: string): Resource {
  return getResource(ctx, globalCol(project, 'firewalls'), name);
}

function requireStrings(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string'))
    throw badRequest(`Invalid value for field '${field}': must be a list of strings.`);
  return value;
}

function checkRules(value: unknown, field: string): { IPProtocol: string; ports?: string[] }[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw badRequest(`Invalid value for field '${field}': must be a list.`);
  return value.map((rule, i) => {
    const r = requireObject(rule, `${field}[${i}]`);
    const proto = String(r.IPProtocol ?? '');
    if (!proto) throw badRequest(`Required field '${field}[${i}].IPProtocol' not specified`, 'required');
    const ports = requireStrings(r.ports, `${field}[${i}].ports`);
    if (ports.length && !PORT_PROTOCOLS.includes(proto))
      throw badRequest(
        `Invalid value for field '${field}[${i}].ports': ports are only allowed for tcp, udp and sctp (got protocol '${proto}').`,
      );
    return { IPProtocol: proto, ...(ports.length ? { ports } : {}) };
  });
}

/** Validates a whole rule (new, or merged by a patch) and returns it normalized. */
function normalize(fw: Resource): Resource {
  const direction = String(fw.direction ?? 'INGRESS');
  if (!isOneOf(DIRECTIONS, direction))
    throw badRequest(`Invalid value for field 'resource.direction': '${direction}'. Must be INGRESS or EGRESS.`);
  const lists = Object.fromEntries(LIST_FIELDS.map((f) => [f, requireStrings(fw[f], `resource.${f}`)]));
  lists.sourceRanges = lists.sourceRanges!.map((c, i) => requireCidr(c, `resource.sourceRanges[${i}]`));
  lists.destinationRanges = lists.destinationRanges!.map((c, i) => requireCidr(c, `resource.destinationRanges[${i}]`));
  if (
    direction === 'INGRESS' &&
    !lists.sourceRanges.length &&
    !lists.sourceTags!.length &&
    !lists.sourceServiceAccounts!.length
  )
    lists.sourceRanges = ['0.0.0.0/0'];
  if (direction === 'EGRESS' && !lists.destinationRanges.length) lists.destinationRanges = ['0.0.0.0/0'];
  const allowed = checkRules(fw.allowed, 'resource.allowed');
  const denied = checkRules(fw.denied, 'resource.denied');
  if ((allowed?.length ? 1 : 0) + (denied?.length ? 1 : 0) !== 1)
    throw badRequest(`Invalid value for field 'resource': exactly one of 'allowed' or 'denied' must be specified.`);
  const out: Resource = {
    ...fw,
    direction,
    priority: requireInt(fw.priority, 'resource.priority', 0, 65535, 1000),
    disabled: fw.disabled === true,
    logConfig: fw.logConfig ?? { enable: false },
  };
  for (const f of LIST_FIELDS) {
    if (lists[f]!.length) out[f] = lists[f];
    else delete out[f];
  }
  if (allowed?.length) out.allowed = allowed;
  else delete out.allowed;
  if (denied?.length) out.denied = denied;
  else delete out.denied;
  return out;
}

function validateNew(ctx: ComputeContext, project: string, body: unknown): Resource {
  const r = requireObject(body, 'resource');
  const name = requireName(r.name);
  const net = networkRef(typeof r.network === 'string' ? r.network : 'global/networks/default', project);
  getNetwork(ctx, net.project, net.name);
  const picked = Object.fromEntries(MUTABLE.filter((k) => k in r).map((k) => [k, r[k]]));
  return normalize({
    kind: 'compute#firewall',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name,
    network: computeUrl(`projects/${net.project}/global/networks/${net.name}`),
    direction: r.direction ?? 'INGRESS',
    ...picked,
    selfLink: computeUrl(`${globalCol(project, 'firewalls')}/${name}`),
  });
}

function mutate(
  ctx: ComputeContext,
  project: string,
  fw: Resource,
  verb: 'patch' | 'delete',
  apply: () => void,
): Resource {
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: `compute.firewalls.${verb}`,
    operationType: verb,
    targetLink: String(fw.selfLink),
    apply,
  });
}

function insertFirewall(ctx: ComputeContext, project: string, body: unknown): Resource {
  const fw = validateNew(ctx, project, body);
  return startInsert(ctx, {
    project,
    scope: { kind: 'global' },
    methodId: 'compute.firewalls.insert',
    collection: globalCol(project, 'firewalls'),
    resource: fw,
  });
}

/** PATCH: the body's fields replace the rule's; validated merged, applied when the operation ends. */
function patchFirewall(ctx: ComputeContext, project: string, name: string, body: unknown): Resource {
  const current = getFirewall(ctx, project, name);
  const r = requireObject(body, 'resource');
  if (r.name !== undefined && r.name !== name)
    throw badRequest(
      `Invalid value for field 'resource.name': '${String(r.name)}'. The name of a firewall cannot be changed.`,
    );
  if (
    r.network !== undefined &&
    networkRef(String(r.network), project).name !== networkRef(String(current.network), project).name
  ) {
    throw badRequest(
      `Invalid value for field 'resource.network': '${String(r.network)}'. The network of a firewall cannot be changed.`,
    );
  }
  if (r.direction !== undefined && r.direction !== current.direction)
    throw badRequest(
      `Invalid value for field 'resource.direction': '${String(r.direction)}'. The direction of a firewall cannot be changed.`,
    );
  const changes = Object.fromEntries(MUTABLE.filter((k) => k in r).map((k) => [k, r[k]]));
  merge(current, changes);
  return mutate(ctx, project, current, 'patch', () =>
    ctx.store.update(globalCol(project, 'firewalls'), name, (fw) => merge(fw, changes)),
  );
}

/** The rule with `changes` applied; `allowed` and `denied` replace each other. */
function merge(current: Resource, changes: Record<string, unknown>): Resource {
  const merged: Resource = { ...current, ...changes };
  if ('allowed' in changes && !('denied' in changes)) delete merged.denied;
  if ('denied' in changes && !('allowed' in changes)) delete merged.allowed;
  return normalize(merged);
}

function deleteFirewall(ctx: ComputeContext, project: string, name: string): Resource {
  const fw = getFirewall(ctx, project, name);
  return mutate(ctx, project, fw, 'delete', () => void ctx.store.remove(globalCol(project, 'firewalls'), name));
}

/** `projects/{project}/global/firewalls`: get, list, insert, patch, delete. */
export function registerFirewalls(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/global/firewalls';
  router.on('GET', base, 'compute.firewalls.list', (r) => {
    const col = globalCol(r.params.project!, 'firewalls');
    return listResponse('compute#firewallList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/{firewall}`, 'compute.firewalls.get', (r) =>
    getFirewall(ctx, r.params.project!, r.params.firewall!),
  );
  router.on('POST', base, 'compute.firewalls.insert', (r) => insertFirewall(ctx, r.params.project!, r.body));
  router.on('PATCH', `${base}/{firewall}`, 'compute.firewalls.patch', (r) =>
    patchFirewall(ctx, r.params.project!, r.params.firewall!, r.body),
  );
  router.on('DELETE', `${base}/{firewall}`, 'compute.firewalls.delete', (r) =>
    deleteFirewall(ctx, r.params.project!, r.params.firewall!),
  );
}
