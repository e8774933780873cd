/**
 * Regional backend services of internal passthrough Network Load Balancers
 * (`loadBalancingScheme: INTERNAL`), with a managed instance group as backend and its health
 * check — the load balancer a custom route may name as its next hop (`nextHopIlb`).
 *
 * Which VMs get new connections is `activeBackends`, Google's documented rule
 * (https://cloud.google.com/load-balancing/docs/internal/int-netlb-traffic-distribution): without
 * failover, "distributes new connections to its healthy backend VMs if at least one backend VM is
 * healthy. When all backend VMs are unhealthy, the load balancer distributes new connections among
 * all backends as a last resort"; with failover backends (`Backend.failover`) the primaries serve
 * until the share of healthy primaries falls below `failoverPolicy.failoverRatio` (0: until none
 * is healthy), then the healthy failover backends; `dropTrafficIfUnhealthy` drops instead of the
 * last resort (compute.proto `message BackendServiceFailoverPolicy`). A VM is healthy for the load
 * balancer when its health check's probes say so (lb-health.ts: a probe passes when the VM is
 * RUNNING and the MIG's health verdict for it is HEALTHY, the local cloud's single health truth,
 * migs.ts); a VM the MIG is deleting, abandoning or recreating (until its new VM exists) has
 * left the group: "The load balancer doesn't send new connections to the removed VM", and a MIG
 * removes one by "resize(), deleteInstances(), recreateInstances(), or abandonInstances()"
 * (https://cloud.google.com/load-balancing/docs/enabling-connection-draining).
 *
 * Request rules (compute.proto `message BackendService` / `message Backend`): "at most one health
 * check can be specified for each backend service"; "backend services with instance group ...
 * backends must have a health check"; a backend `group` is "the fully-qualified URL of an instance
 * group ... Partial URLs are not supported"; `network` "can only be specified when the load
 * balancing scheme is set to INTERNAL". Passthrough load balancers balance connections
 * (`balancingMode: CONNECTION`, https://cloud.google.com/load-balancing/docs/backend-service#balancing-mode).
 * A backend service a forwarding rule still uses cannot be deleted: 400
 * `resourceInUseByAnotherResource` (Compute's wording, quoted in
 * github.com/terraform-google-modules/terraform-google-vm/issues/45). The local cloud serves
 * only the INTERNAL scheme and refuses the others plainly rather than pretending to balance them.
 */
import { badRequest, HttpError } from '../errors.js';
import type { Router } from '../http.js';
import { COMPUTE_BASE, computePath, computeUrl, nextId, type Resource } from '../store.js';
import { regionCol, zoneCol, type ComputeContext } from './context.js';
import { listResponse } from './list.js';
import { getNetwork, networkRef } from './networks.js';
import { getResource, startInsert } from './resources.js';
import type { BackendService } from './types.js';
import { resolveHealthCheck } from './health-checks.js';
import type { Migs } from './migs.js';
import { lbHealthOf, type ProbeTarget } from './lb-health.js';
import { lastSegment, requireObject } from './validate.js';

const PROTOCOLS = ['TCP', 'UDP', 'UNSPECIFIED'] as const;
const SESSION_AFFINITIES = [
  'NONE',
  'CLIENT_IP',
  'CLIENT_IP_PROTO',
  'CLIENT_IP_PORT_PROTO',
  'CLIENT_IP_NO_DESTINATION',
] as const;

/** One VM of a backend's instance group as the load balancer's health check sees it. */
export interface BackendMember {
  /** Instance URL. */
  instance: string;
  healthy: boolean;
  /** nic0's address (what getHealth reports as `ipAddress`). */
  ipAddress?: string;
}

export interface BackendGroupView {
  group: string;
  failover: boolean;
  members: BackendMember[];
}

/** The VMs new connections go to, by Google's rule (module comment); `why` says which case applied. */
export function activeBackends(
  groups: readonly BackendGroupView[],
  failoverPolicy: { failoverRatio?: number; dropTrafficIfUnhealthy?: boolean } = {},
): { instances: string[]; why: string } {
  const primaries = groups.filter((g) => !g.failover).flatMap((g) => g.members);
  const backups = groups.filter((g) => g.failover).flatMap((g) => g.members);
  const healthy = (ms: BackendMember[]) => ms.filter((m) => m.healthy).map((m) => m.instance);
  const [hp, hb] = [healthy(primaries), healthy(backups)];
  if (!backups.length) {
    if (hp.length) return { instances: hp, why: `${hp.length} healthy backend VM(s)` };
    if (failoverPolicy.dropTrafficIfUnhealthy)
      return { instances: [], why: 'no healthy backend VM; dropTrafficIfUnhealthy drops new connections' };
    return {
      instances: primaries.map((m) => m.instance),
      why: 'no healthy backend VM: new connections go to all backends as a last resort',
    };
  }
  const ratio = failoverPolicy.failoverRatio ?? 0;
  const failedOver = ratio === 0 ? hp.length === 0 : primaries.length === 0 || hp.length / primaries.length < ratio;
  if (!failedOver) return { instances: hp, why: `${hp.length} healthy primary VM(s)` };
  if (hb.length) return { instances: hb, why: `failed over: ${hb.length} healthy failover VM(s)` };
  if (hp.length)
    return { instances: hp, why: `failed over with no healthy failover VM: ${hp.length} healthy primary VM(s)` };
  if (failoverPolicy.dropTrafficIfUnhealthy)
    return { instances: [], why: 'no healthy VM; dropTrafficIfUnhealthy drops new connections' };
  return {
    instances: primaries.map((m) => m.instance),
    why: 'no healthy VM: new connections go to the primary VMs as a last resort',
  };
}

/** The MIG behind a regional instance group URL (the MIG's `instanceGroup`), as `{project, region, name}`. */
function migOfGroup(
  ctx: ComputeContext,
  groupUrl: string,
): { project: string; region: string; name: string } | undefined {
  const m = /^projects\/([^/]+)\/regions\/([^/]+)\/instanceGroups\/([^/]+)$/.exec(computePath(groupUrl));
  if (!m) return undefined;
  const [, project = '', region = ''] = m;
  const mig = ctx.store
    .list(regionCol(project, region, 'instanceGroupManagers'))
    .find((g) => typeof g.instanceGroup === 'string' && computePath(g.instanceGroup) === computePath(groupUrl));
  return mig ? { project, region, name: mig.name } : undefined;
}

/**
 * The group's VMs, each with whether it would answer a probe now (RUNNING and HEALTHY for its MIG).
 * A member the MIG is taking down (DELETING, ABANDONING, or DRAINING: the delete half of a
 * recreate, migs.ts) is no longer in the group (module comment).
 */
function groupTargets(ctx: ComputeContext, migs: Migs, groupUrl: string): (ProbeTarget & { ipAddress?: string })[] {
  const ref = migOfGroup(ctx, groupUrl);
  if (!ref) return [];
  return migs
    .list(ref)
    .filter((m) => m.currentAction !== 'DELETING' && m.currentAction !== 'ABANDONING' && m.health !== 'DRAINING')
    .flatMap((m) => {
      const inst = ctx.store.get(zoneCol(ref.project, m.zone, 'instances'), m.name);
      if (!inst) return [];
      const nic0 = inst.networkInterfaces?.[0];
      return [
        {
          instance: String(inst.selfLink),
          id: String(inst.id),
          answers: inst.status === 'RUNNING' && m.health === 'HEALTHY',
          ...(nic0?.networkIP ? { ipAddress: nic0.networkIP } : {}),
        },
      ];
    });
}

/** The load balancer's prober for this local cloud (lb-health.ts): probes every backend group of every service. */
export function lbHealth(ctx: ComputeContext, migs: Migs) {
  return lbHealthOf(ctx, (service) => (service.backends ?? []).flatMap((b) => groupTargets(ctx, migs, b.group)));
}

/** A backend group's VMs with the load balancer's health verdict (probed, lb-health.ts). */
export function groupMembers(
  ctx: ComputeContext,
  migs: Migs,
  service: BackendService,
  groupUrl: string,
): BackendMember[] {
  const prober = lbHealth(ctx, migs);
  return groupTargets(ctx, migs, groupUrl).map(({ answers, id, ...m }) => ({
    ...m,
    healthy: prober.healthy(service, { instance: m.instance, id, answers }),
  }));
}

/** The groups of a backend service with their members, as `activeBackends` takes them. */
export function backendGroups(ctx: ComputeContext, migs: Migs, service: BackendService): BackendGroupView[] {
  return (service.backends ?? []).map((b) => ({
    group: b.group,
    failover: b.failover === true,
    members: groupMembers(ctx, migs, service, b.group),
  }));
}

const oneOf = <T extends string>(value: unknown, allowed: readonly T[], field: string, fallback: T): T => {
  if (value === undefined || value === null) return fallback;
  const found = allowed.find((a) => a === value);
  if (found !== undefined) return found;
  throw badRequest(
    `Invalid value for field '${field}': '${String(value)}'. Must be one of ${allowed.join(', ')} for an internal passthrough backend service.`,
  );
};

function validateBackends(
  ctx: ComputeContext,
  project: string,
  region: string,
  value: unknown,
): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(`Invalid value for field 'resource.backends': must be a list.`);
  return value.map((b, i) => {
    const backend = requireObject(b, `resource.backends[${i}]`);
    const group = typeof backend.group === 'string' ? backend.group : '';
    if (!group.startsWith(COMPUTE_BASE.replace(/\/compute\/v1\/$/, '/')))
      throw badRequest(
        `Invalid value for field 'resource.backends[${i}].group': '${group}'. Must be the fully-qualified URL of an instance group (partial URLs are not supported).`,
      );
    const ref = migOfGroup(ctx, group);
    if (!ref || ref.project !== project)
      throw badRequest(
        `Invalid value for field 'resource.backends[${i}].group': '${group}'. The resource '${computePath(group)}' was not found`,
      );
    if (ref.region !== region)
      throw badRequest(
        `Invalid value for field 'resource.backends[${i}].group': '${group}'. The instance group must be in region '${region}', the backend service's region.`,
      );
    const balancingMode = oneOf(
      backend.balancingMode,
      ['CONNECTION'] as const,
      `resource.backends[${i}].balancingMode`,
      'CONNECTION',
    );
    return {
      group: computeUrl(computePath(group)),
      balancingMode,
      ...(backend.failover === true ? { failover: true } : {}),
      ...(typeof backend.description === 'string' ? { description: backend.description } : {}),
    };
  });
}

function validate(ctx: ComputeContext, project: string, region: string, body: unknown): Resource {
  const r = requireObject(body, 'resource');
  const name = typeof r.name === 'string' && /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/.test(r.name) ? r.name : undefined;
  if (!name)
    throw badRequest(
      `Invalid value for field 'resource.name': '${String(r.name ?? '')}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`,
    );
  if (r.loadBalancingScheme !== 'INTERNAL')
    throw badRequest(
      `Invalid value for field 'resource.loadBalancingScheme': '${String(r.loadBalancingScheme ?? 'EXTERNAL')}'. The local Google Cloud serves internal passthrough load balancers only: set INTERNAL.`,
    );
  const checks = r.healthChecks === undefined ? [] : Array.isArray(r.healthChecks) ? r.healthChecks : [r.healthChecks];
  if (checks.length > 1)
    throw badRequest(
      `Invalid value for field 'resource.healthChecks': at most one health check can be specified for each backend service (got ${checks.length}).`,
    );
  const backends = validateBackends(ctx, project, region, r.backends);
  if (backends.length && !checks.length)
    throw badRequest(
      `Invalid value for field 'resource.healthChecks': backend services with instance group backends must have a health check.`,
      'required',
    );
  const healthChecks = checks.map((c, i) =>
    String(resolveHealthCheck(ctx, project, String(c), `resource.healthChecks[${i}]`).selfLink),
  );
  const net = r.network === undefined ? undefined : networkRef(String(r.network), project);
  if (net) getNetwork(ctx, net.project, net.name);
  const failover =
    r.failoverPolicy === undefined ? undefined : requireObject(r.failoverPolicy, 'resource.failoverPolicy');
  const ratio = failover?.failoverRatio;
  if (ratio !== undefined && (typeof ratio !== 'number' || ratio < 0 || ratio > 1))
    throw badRequest(
      `Invalid value for field 'resource.failoverPolicy.failoverRatio': '${String(ratio)}'. Must be in the range [0, 1].`,
    );
  return {
    kind: 'compute#backendService',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name,
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    region: computeUrl(`projects/${project}/regions/${region}`),
    loadBalancingScheme: 'INTERNAL',
    protocol: oneOf(r.protocol, PROTOCOLS, 'resource.protocol', 'TCP'),
    sessionAffinity: oneOf(r.sessionAffinity, SESSION_AFFINITIES, 'resource.sessionAffinity', 'NONE'),
    backends,
    healthChecks,
    ...(net ? { network: computeUrl(`projects/${net.project}/global/networks/${net.name}`) } : {}),
    ...(failover ? { failoverPolicy: failover } : {}),
    connectionDraining: { drainingTimeoutSec: 0 },
    fingerprint: Buffer.from(nextId()).toString('base64').slice(0, 12),
    selfLink: computeUrl(`${regionCol(project, region, 'backendServices')}/${name}`),
  };
}

export function getBackendService(
  ctx: Pick<ComputeContext, 'store'>,
  project: string,
  region: string,
  name: string,
): BackendService {
  return getResource(ctx, regionCol(project, region, 'backendServices'), name);
}

function deleteBackendService(ctx: ComputeContext, project: string, region: string, name: string): Resource {
  const bs = getBackendService(ctx, project, region, name);
  const user = ctx.store
    .list(regionCol(project, region, 'forwardingRules'))
    .find(
      (f) => typeof f.backendService === 'string' && computePath(f.backendService) === computePath(String(bs.selfLink)),
    );
  if (user)
    throw new HttpError(
      400,
      `The backend_service resource 'projects/${project}/regions/${region}/backendServices/${name}' is already being used by 'projects/${project}/regions/${region}/forwardingRules/${user.name}'`,
      'resourceInUseByAnotherResource',
    );
  return ctx.operations.start({
    project,
    scope: { kind: 'region', region },
    methodId: 'compute.regionBackendServices.delete',
    operationType: 'delete',
    targetLink: String(bs.selfLink),
    apply: () => void ctx.store.remove(regionCol(project, region, 'backendServices'), name),
  });
}

/** `regionBackendServices.getHealth`: one HealthStatus per VM of the named backend group. */
function getHealth(ctx: ComputeContext, migs: Migs, project: string, region: string, name: string, body: unknown) {
  const bs = getBackendService(ctx, project, region, name);
  const group = requireObject(body, 'resourceGroupReferenceResource').group;
  const backend = (bs.backends ?? []).find(
    (b) => typeof group === 'string' && computePath(b.group) === computePath(group),
  );
  if (!backend)
    throw badRequest(
      `Invalid value for field 'resourceGroupReference.group': '${String(group ?? '')}'. The group is not a backend of backend service '${name}'.`,
    );
  const members = groupMembers(ctx, migs, bs, backend.group);
  return {
    kind: 'compute#backendServiceGroupHealth',
    healthStatus: members.map((m) => ({
      instance: m.instance,
      ...(m.ipAddress ? { ipAddress: m.ipAddress } : {}),
      healthState: m.healthy ? 'HEALTHY' : 'UNHEALTHY',
    })),
  };
}

/** `projects/{project}/regions/{region}/backendServices`: list, get, insert, delete, getHealth. */
export function registerBackendServices(router: Router, ctx: ComputeContext, migs: Migs): void {
  lbHealth(ctx, migs).start();
  const base = '/compute/v1/projects/{project}/regions/{region}/backendServices';
  router.on('GET', base, 'compute.regionBackendServices.list', (r) => {
    const col = regionCol(r.params.project!, r.params.region!, 'backendServices');
    return listResponse('compute#backendServiceList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/{backendService}`, 'compute.regionBackendServices.get', (r) =>
    getBackendService(ctx, r.params.project!, r.params.region!, r.params.backendService!),
  );
  router.on('POST', base, 'compute.regionBackendServices.insert', (r) => {
    const [project, region] = [r.params.project!, r.params.region!];
    return startInsert(ctx, {
      project,
      scope: { kind: 'region', region },
      methodId: 'compute.regionBackendServices.insert',
      collection: regionCol(project, region, 'backendServices'),
      resource: validate(ctx, project, region, r.body),
    });
  });
  router.on('DELETE', `${base}/{backendService}`, 'compute.regionBackendServices.delete', (r) =>
    deleteBackendService(ctx, r.params.project!, r.params.region!, r.params.backendService!),
  );
  router.on('POST', `${base}/{backendService}/getHealth`, 'compute.regionBackendServices.getHealth', (r) =>
    getHealth(ctx, migs, r.params.project!, r.params.region!, r.params.backendService!, r.body),
  );
}

/** The backend service a URL names (regional), or undefined. */
export function backendServiceByUrl(ctx: Pick<ComputeContext, 'store'>, url: string): BackendService | undefined {
  const m = /^projects\/([^/]+)\/regions\/([^/]+)\/backendServices\/([^/]+)$/.exec(computePath(url));
  return m ? ctx.store.get(regionCol(m[1]!, m[2]!, 'backendServices'), lastSegment(m[3]!)) : undefined;
}
