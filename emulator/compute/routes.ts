/**
 * Custom static routes. Routes are immutable (insert + delete only), names are unique per project,
 * exactly one next hop is set, and `warnings` are derived at read time from the next hop's state —
 * so a route to a VM that autoheal is recreating shows NEXT_HOP_NOT_RUNNING until it is back.
 */
import { badRequest, HttpError, notFound } from '../errors.js';
import type { Router } from '../http.js';
import { computePath, computeUrl, nextId, type Resource } from '../store.js';
import { globalCol, type ComputeContext } from './context.js';
import { listResponse } from './list.js';
import { getNetwork, networkRef } from './networks.js';
import { getResource, startInsert } from './resources.js';
import { requireCidr, requireInt, requireName, requireObject } from './validate.js';
import { forwardingRuleByUrl } from './forwarding-rules.js';
import ipaddr from 'ipaddr.js';

const NEXT_HOPS = ['nextHopInstance', 'nextHopIp', 'nextHopGateway', 'nextHopIlb', 'nextHopVpnTunnel'] as const;

function validateRoute(ctx: ComputeContext, project: string, body: unknown): Resource {
  const r = requireObject(body, 'resource');
  const name = requireName(r.name);
  if (typeof r.network !== 'string') throw badRequest(`Required field 'resource.network' not specified`, 'required');
  const net = networkRef(r.network, project);
  getNetwork(ctx, net.project, net.name);
  const destRange = requireCidr(r.destRange, 'resource.destRange');
  const priority = requireInt(r.priority, 'resource.priority', 0, 65535, 1000);
  const hops = NEXT_HOPS.filter((k) => typeof r[k] === 'string' && r[k] !== '');
  if (hops.length !== 1)
    throw badRequest(
      `Invalid value for field 'resource': exactly one of ${NEXT_HOPS.join(', ')} must be specified (got ${hops.length}).`,
    );
  const hop = hops[0]!;
  const tags = Array.isArray(r.tags) ? r.tags.map(String) : [];
  if (typeof r.description === 'string' && r.description.length > 2048)
    throw badRequest(`Invalid value for field 'resource.description': longer than 2048 characters.`);
  const route: Resource = {
    kind: 'compute#route',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name,
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    network: computeUrl(`projects/${net.project}/global/networks/${net.name}`),
    destRange,
    priority,
    [hop]:
      hop === 'nextHopIp'
        ? r[hop]
        : hop === 'nextHopIlb'
          ? ilbHop(ctx, project, net, String(r[hop]))
          : normalizeHop(ctx, project, hop, String(r[hop])),
    ...(tags.length ? { tags } : {}),
    routeType: 'STATIC',
    selfLink: computeUrl(`${globalCol(project, 'routes')}/${name}`),
  };
  return route;
}

/** Full URL of the next hop; an instance next hop must exist when the route is created. */
function normalizeHop(ctx: ComputeContext, project: string, hop: string, value: string): string {
  if (hop !== 'nextHopInstance') return value.startsWith('http') ? value : computeUrl(computePath(value));
  const partial = computePath(value);
  const path = partial.startsWith('zones/') ? `projects/${project}/${partial}` : partial;
  const m = /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(path);
  if (!m) throw badRequest(`Invalid value for field 'resource.nextHopInstance': '${value}'. The URL is malformed.`);
  if (!ctx.store.get(`projects/${m[1]}/zones/${m[2]}/instances`, m[3]!)) {
    throw badRequest(
      `Invalid value for field 'resource.nextHopInstance': '${value}'. The referenced instance resource cannot be found.`,
      'invalid',
    );
  }
  return computeUrl(path);
}

/**
 * An internal passthrough load balancer next hop (compute.proto `Route.next_hop_ilb`): the URL of
 * a forwarding rule with `loadBalancingScheme=INTERNAL`, or its IP address, which Compute keeps as
 * given. The forwarding rule must exist and serve the route's own network
 * (https://cloud.google.com/load-balancing/docs/internal/ilb-next-hop-overview: each internal
 * passthrough Network Load Balancer "operates within a single VPC network").
 */
function ilbHop(ctx: ComputeContext, project: string, net: { project: string; name: string }, value: string): string {
  const networkUrl = computeUrl(`projects/${net.project}/global/networks/${net.name}`);
  const invalid = (why: string) => badRequest(`Invalid value for field 'resource.nextHopIlb': '${value}'. ${why}`);
  if (ipaddr.isValid(value)) {
    const rule = ctx.store
      .collectionsMatching(new RegExp(`^projects/${project}/regions/[^/]+/forwardingRules$`))
      .flatMap((c) => ctx.store.list(c))
      .find((f) => f.IPAddress === value && f.loadBalancingScheme === 'INTERNAL' && f.network === networkUrl);
    if (!rule) throw invalid(`No internal passthrough forwarding rule in network '${net.name}' has this IP address.`);
    return value;
  }
  const rule = forwardingRuleByUrl(ctx, project, value);
  if (!rule) throw invalid(`The resource '${computePath(value)}' was not found`);
  if (rule.loadBalancingScheme !== 'INTERNAL')
    throw invalid(
      `The forwarding rule must have loadBalancingScheme INTERNAL (it has ${String(rule.loadBalancingScheme)}).`,
    );
  if (rule.network !== networkUrl)
    throw invalid(
      `The forwarding rule is in network '${String(rule.network).split('/').pop()}', not the route's network '${net.name}'.`,
    );
  return String(rule.selfLink);
}

/**
 * Output-only warnings of a route, computed from the next-hop instance as it is now. The warning
 * codes of compute.proto `message Warnings` name instance next hops (NEXT_HOP_INSTANCE_NOT_FOUND,
 * NEXT_HOP_NOT_RUNNING, NEXT_HOP_CANNOT_IP_FORWARD, NEXT_HOP_INSTANCE_NOT_ON_NETWORK) and
 * unassigned addresses; none names a load balancer, so an ILB next hop carries no warnings: its
 * health is the load balancer's business (backend services' `getHealth`).
 */
export function routeWarnings(ctx: ComputeContext, route: Resource): { code: string; message: string }[] {
  if (typeof route.nextHopInstance !== 'string') return [];
  const path = computePath(route.nextHopInstance);
  const slash = path.lastIndexOf('/');
  const instance = ctx.store.get(path.slice(0, slash), path.slice(slash + 1));
  if (!instance)
    return [
      { code: 'NEXT_HOP_INSTANCE_NOT_FOUND', message: `Next hop instance '${route.nextHopInstance}' does not exist.` },
    ];
  if (instance.status !== 'RUNNING')
    return [{ code: 'NEXT_HOP_NOT_RUNNING', message: `Next hop instance '${route.nextHopInstance}' is not running.` }];
  if (!instance.canIpForward)
    return [
      {
        code: 'NEXT_HOP_CANNOT_IP_FORWARD',
        message: `Next hop instance '${route.nextHopInstance}' cannot ip forward.`,
      },
    ];
  return [];
}

function withWarnings(ctx: ComputeContext, route: Resource): Resource {
  const warnings = routeWarnings(ctx, route);
  return warnings.length
    ? {
        ...route,
        warnings: warnings.map((w) => ({ ...w, data: [{ key: 'next_hop', value: String(route.nextHopInstance) }] })),
      }
    : route;
}

function insertRoute(ctx: ComputeContext, project: string, body: unknown) {
  const route = validateRoute(ctx, project, body);
  return startInsert(ctx, {
    project,
    scope: { kind: 'global' },
    methodId: 'compute.routes.insert',
    collection: globalCol(project, 'routes'),
    resource: route,
    reserveName: true,
  });
}

function deleteRoute(ctx: ComputeContext, project: string, name: string) {
  const col = globalCol(project, 'routes');
  if (!ctx.store.has(col, name)) throw notFound(`projects/${project}/global/routes/${name}`);
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.routes.delete',
    operationType: 'delete',
    targetLink: computeUrl(`${col}/${name}`),
    apply: () => {
      if (!ctx.store.remove(col, name))
        throw new HttpError(404, `The resource 'projects/${project}/global/routes/${name}' was not found`);
    },
  });
}

export function registerRoutes(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/global/routes';
  router.on('GET', base, 'compute.routes.list', (r) => {
    const col = globalCol(r.params.project!, 'routes');
    return listResponse(
      'compute#routeList',
      col,
      ctx.store.list(col).map((route) => withWarnings(ctx, route)),
      r.query,
    );
  });
  router.on('GET', `${base}/{route}`, 'compute.routes.get', (r) =>
    withWarnings(ctx, getResource(ctx, globalCol(r.params.project!, 'routes'), r.params.route!)),
  );
  router.on('POST', base, 'compute.routes.insert', (r) => insertRoute(ctx, r.params.project!, r.body));
  router.on('DELETE', `${base}/{route}`, 'compute.routes.delete', (r) =>
    deleteRoute(ctx, r.params.project!, r.params.route!),
  );
}
