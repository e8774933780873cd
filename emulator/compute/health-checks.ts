/**
 * Global health checks (`projects/{project}/global/healthChecks`): what a MIG's autohealing policy
 * and an internal passthrough load balancer's backend service probe their VMs with. The local
 * cloud does not send probes: a VM's health is the MIG's verdict for it (see migs.ts `setHealth`),
 * and the check's timing fields are kept so callers can reason about detection time
 * (`checkIntervalSec × unhealthyThreshold`).
 *
 * Rules from compute.proto `message HealthCheck`: `type` is one of TCP, SSL, HTTP, HTTPS, HTTP2,
 * GRPC, GRPC_WITH_TLS and "exactly one of the protocol-specific health check fields must be
 * specified, which must match type"; `checkIntervalSec` defaults to 5, `timeoutSec` to 5 and "it is
 * invalid for timeoutSec to have greater value than checkIntervalSec"; `healthyThreshold` and
 * `unhealthyThreshold` default to 2. A health check that a backend service or a MIG still names
 * cannot be deleted: 400 `resourceInUseByAnotherResource`, worded like Compute's answer quoted in
 * github.com/terraform-google-modules/terraform-google-vm/issues/45.
 */
import { badRequest, HttpError } from '../errors.js';
import type { Router } from '../http.js';
import { computePath, computeUrl, nextId, type Resource } from '../store.js';
import { globalCol, regionCol, type ComputeContext } from './context.js';
import { listResponse } from './list.js';
import { getResource, startInsert } from './resources.js';
import { requireInt, requireName, requireObject } from './validate.js';

/** compute.proto HealthCheck.Type, with the field each type's settings live in. */
const TYPES = {
  TCP: 'tcpHealthCheck',
  SSL: 'sslHealthCheck',
  HTTP: 'httpHealthCheck',
  HTTPS: 'httpsHealthCheck',
  HTTP2: 'http2HealthCheck',
  GRPC: 'grpcHealthCheck',
  GRPC_WITH_TLS: 'grpcTlsHealthCheck',
} as const;
type HealthCheckType = keyof typeof TYPES;

const isType = (t: unknown): t is HealthCheckType => typeof t === 'string' && t in TYPES;

export function getHealthCheck(ctx: Pick<ComputeContext, 'store'>, project: string, name: string): Resource {
  return getResource(ctx, globalCol(project, 'healthChecks'), name);
}

/** The health check a URL or partial path names, or a 400 naming the field. */
export function resolveHealthCheck(
  ctx: Pick<ComputeContext, 'store'>,
  project: string,
  urlOrPath: string,
  field: string,
): Resource {
  const path = computePath(urlOrPath);
  const m = /^(?:projects\/([^/]+)\/)?global\/healthChecks\/([^/]+)$/.exec(path) ?? /^()([a-z][-a-z0-9]*)$/.exec(path);
  const hc = m ? ctx.store.get(globalCol(m[1] || project, 'healthChecks'), m[2]!) : undefined;
  if (!hc)
    throw badRequest(
      `Invalid value for field '${field}': '${urlOrPath}'. The resource '${path}' was not found`,
      'invalid',
    );
  return hc;
}

function validate(ctx: ComputeContext, project: string, body: unknown): Resource {
  const r = requireObject(body, 'resource');
  const name = requireName(r.name);
  if (!isType(r.type))
    throw badRequest(
      `Invalid value for field 'resource.type': '${String(r.type ?? '')}'. Must be one of ${Object.keys(TYPES).join(', ')}.`,
    );
  const given = Object.values(TYPES).filter((f) => r[f] !== undefined && r[f] !== null);
  const wanted = TYPES[r.type];
  if (given.length !== 1 || given[0] !== wanted)
    throw badRequest(
      `Invalid value for field 'resource': exactly one protocol-specific health check must be specified and it must be '${wanted}' for type ${r.type} (got ${given.join(', ') || 'none'}).`,
    );
  const settings = requireObject(r[wanted], `resource.${wanted}`);
  const checkIntervalSec = requireInt(r.checkIntervalSec, 'resource.checkIntervalSec', 1, 300, 5);
  const timeoutSec = requireInt(r.timeoutSec, 'resource.timeoutSec', 1, 300, 5);
  if (timeoutSec > checkIntervalSec)
    throw badRequest(
      `Invalid value for field 'resource.timeoutSec': '${timeoutSec}'. Timeout sec must be less than or equal to check interval sec (${checkIntervalSec}).`,
    );
  return {
    kind: 'compute#healthCheck',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name,
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    type: r.type,
    [wanted]: {
      ...settings,
      ...(settings.port !== undefined ? { port: requireInt(settings.port, `resource.${wanted}.port`, 1, 65535) } : {}),
    },
    checkIntervalSec,
    timeoutSec,
    healthyThreshold: requireInt(r.healthyThreshold, 'resource.healthyThreshold', 1, 10, 2),
    unhealthyThreshold: requireInt(r.unhealthyThreshold, 'resource.unhealthyThreshold', 1, 10, 2),
    selfLink: computeUrl(`${globalCol(project, 'healthChecks')}/${name}`),
  };
}

/** Who still names the health check `selfLink` (backend services' `healthChecks`, MIGs' autohealing). */
function usersOf(ctx: ComputeContext, project: string, selfLink: string): string[] {
  const same = (u: unknown) => typeof u === 'string' && computePath(u) === computePath(selfLink);
  const users = new RegExp(`^projects/${project}/regions/([^/]+)/(backendServices|instanceGroupManagers)$`);
  // In the order the collections came to be, as Compute names the first user it finds.
  return ctx.store.collectionsMatching(users).flatMap((col) => {
    const [, region = '', kind] = users.exec(col) ?? [];
    const names =
      kind === 'backendServices'
        ? ctx.store.list(regionCol(project, region, 'backendServices')).filter((s) => (s.healthChecks ?? []).some(same))
        : ctx.store
            .list(regionCol(project, region, 'instanceGroupManagers'))
            .filter((m) => (m.autoHealingPolicies ?? []).some((p) => same(p.healthCheck)));
    return names.map((r) => `${col}/${r.name}`);
  });
}

function deleteHealthCheck(ctx: ComputeContext, project: string, name: string): Resource {
  const hc = getHealthCheck(ctx, project, name);
  const users = usersOf(ctx, project, String(hc.selfLink));
  if (users.length)
    throw new HttpError(
      400,
      `The health_check resource 'projects/${project}/global/healthChecks/${name}' is already being used by '${users[0]}'`,
      'resourceInUseByAnotherResource',
    );
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.healthChecks.delete',
    operationType: 'delete',
    targetLink: String(hc.selfLink),
    apply: () => void ctx.store.remove(globalCol(project, 'healthChecks'), name),
  });
}

/** `projects/{project}/global/healthChecks`: list, get, insert, delete. */
export function registerHealthChecks(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/global/healthChecks';
  router.on('GET', base, 'compute.healthChecks.list', (r) => {
    const col = globalCol(r.params.project!, 'healthChecks');
    return listResponse('compute#healthCheckList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/{healthCheck}`, 'compute.healthChecks.get', (r) =>
    getHealthCheck(ctx, r.params.project!, r.params.healthCheck!),
  );
  router.on('POST', base, 'compute.healthChecks.insert', (r) =>
    startInsert(ctx, {
      project: r.params.project!,
      scope: { kind: 'global' },
      methodId: 'compute.healthChecks.insert',
      collection: globalCol(r.params.project!, 'healthChecks'),
      resource: validate(ctx, r.params.project!, r.body),
    }),
  );
  router.on('DELETE', `${base}/{healthCheck}`, 'compute.healthChecks.delete', (r) =>
    deleteHealthCheck(ctx, r.params.project!, r.params.healthCheck!),
  );
}
