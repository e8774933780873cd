/**
 * The NAT route planner: which custom static routes VPC A must hold so that Vertex AI Pipelines
 * traffic to each IP-restricted destination leaves through a healthy NAT VM, and the steps to
 * get there from what exists. Pure: no I/O, no clock.
 *
 * Desired: one untagged route per destination × eligible NAT instance (equal priority → ECMP),
 * or one per destination to the internal load balancer in `ilb` mode. Untagged, because routes
 * with network tags never cross a VPC peering. The route name hashes everything that defines the
 * route (network, destination, next hop, priority): routes are immutable, so a changed route is a
 * new name, which lets the new one be inserted before the old one is deleted.
 *
 * Decision table (current = routes carrying this owner's marker; others are never touched):
 *
 * | current owned route            | desired          | action                                  |
 * |--------------------------------|------------------|-----------------------------------------|
 * | —                              | route R          | insert R                                |
 * | R, same content                | route R          | keep                                    |
 * | R, different content (foreign) | route R          | replace: delete R, then insert R (after inserts) |
 * | R                              | not desired      | delete R (after every insert succeeded) |
 * | R                              | zero eligible    | keep, report degraded (never delete the last path) |
 * | R                              | policy upsert-only | keep                                  |
 */
import { createHash } from 'node:crypto';

export const ROUTE_MARKER = 'netreflex:nat-routes';

export interface RouteSpec {
  name: string;
  network: string;
  destRange: string;
  priority: number;
  description: string;
  nextHopInstance?: string;
  nextHopIlb?: string;
}

/** A route as observed (any extra fields are ignored by the planner). */
export interface ObservedRoute {
  name: string;
  network: string;
  destRange: string;
  priority: number;
  description?: string;
  tags?: string[];
  nextHopInstance?: string;
  nextHopIlb?: string;
  nextHopIp?: string;
  nextHopGateway?: string;
}

export interface NatInstance {
  name: string;
  /** Instance URL (`…/projects/p/zones/z/instances/name`). */
  url: string;
  instanceStatus?: string;
  currentAction?: string;
  /** `detailedHealthState` when the MIG has a health check; undefined when it has none. */
  health?: string;
}

export interface DesiredInput {
  /** Network URL of VPC A. */
  network: string;
  destinations: readonly string[];
  priority: number;
  prefix: string;
  /** Who owns the routes: the MIG's path, so two netreflex setups never fight over routes. */
  owner: string;
  mode: 'instance' | 'ilb';
  /** Forwarding rule URL of the internal load balancer (ilb mode). */
  ilb?: string;
  instances: readonly NatInstance[];
  requireHealthy: boolean;
}

export type RoutePolicy = 'sync' | 'upsert-only' | 'dry-run';

export interface RoutePlan {
  inserts: RouteSpec[];
  /** Same name, other content (only if something else wrote our name): delete, then insert. */
  replaces: RouteSpec[];
  deletes: ObservedRoute[];
  keeps: string[];
  /** Why the plan keeps routes it would otherwise delete (no eligible NAT instance). */
  degraded?: string;
}

/**
 * MIG actions that leave the VM running and forwarding: REFRESHING applies configuration "without
 * stopping it" (compute.proto ManagedInstance.CurrentAction), e.g. the all-instances metadata
 * peeringRanges writes, so its routes must stay.
 */
const SERVING_ACTIONS: readonly string[] = ['NONE', 'REFRESHING'];

/** A NAT instance can carry traffic when RUNNING, idle or only refreshing, and HEALTHY where a check exists. */
export function isEligible(i: NatInstance, requireHealthy: boolean): boolean {
  if (i.instanceStatus !== 'RUNNING' || !SERVING_ACTIONS.includes(i.currentAction ?? 'NONE')) return false;
  return !requireHealthy || i.health === undefined || i.health === 'HEALTHY';
}

/** Resource path of a Compute URL, so full and partial URLs compare equal. */
export const resourcePath = (url: string) => url.replace(/^https?:\/\/[^/]+\/compute\/(v1|beta)\//, '').replace(/^\//, '');

export const ownerMarker = (owner: string) => `${ROUTE_MARKER} owner=${owner}`;

export function isOwned(route: ObservedRoute, owner: string): boolean {
  return typeof route.description === 'string' && route.description.startsWith(`${ownerMarker(owner)} `);
}

function slug(text: string, max: number): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
}

/** Deterministic RFC 1035 name (≤ 63 chars): readable head plus a hash of the route's identity. */
export function routeName(prefix: string, spec: Omit<RouteSpec, 'name' | 'description'>): string {
  const hop = spec.nextHopInstance ?? spec.nextHopIlb ?? '';
  const hash = createHash('sha256').update([resourcePath(spec.network), spec.destRange, spec.priority, resourcePath(hop)].join('|')).digest('hex').slice(0, 6);
  const head = `${prefix}-${slug(spec.destRange, 24)}-${slug(resourcePath(hop).split('/').pop() ?? 'hop', 24)}`;
  return `${head.slice(0, 55).replace(/-+$/, '')}-${hash}`;
}

function spec(input: DesiredInput, destRange: string, hop: { nextHopInstance?: string; nextHopIlb?: string }): RouteSpec {
  const base = { network: input.network, destRange, priority: input.priority, ...hop };
  return { name: routeName(input.prefix, base), description: `${ownerMarker(input.owner)} dest=${destRange}`, ...base };
}

export function desiredRoutes(input: DesiredInput): RouteSpec[] {
  if (input.mode === 'ilb') return input.destinations.map((d) => spec(input, d, { nextHopIlb: input.ilb }));
  const eligible = input.instances.filter((i) => isEligible(i, input.requireHealthy));
  return input.destinations.flatMap((d) => eligible.map((i) => spec(input, d, { nextHopInstance: i.url })));
}

function sameRoute(a: ObservedRoute, b: RouteSpec): boolean {
  return (
    resourcePath(a.network) === resourcePath(b.network) &&
    a.destRange === b.destRange &&
    a.priority === b.priority &&
    !(a.tags && a.tags.length) &&
    resourcePath(a.nextHopInstance ?? '') === resourcePath(b.nextHopInstance ?? '') &&
    resourcePath(a.nextHopIlb ?? '') === resourcePath(b.nextHopIlb ?? '') &&
    !a.nextHopIp &&
    !a.nextHopGateway
  );
}

/** Plans the changes from `current` (all routes; filtered to `owner`'s here) to `desired`. */
export function planRoutes(desired: readonly RouteSpec[], current: readonly ObservedRoute[], options: { owner: string; policy: RoutePolicy; zeroEligible: boolean }): RoutePlan {
  const owned = new Map(current.filter((r) => isOwned(r, options.owner)).map((r) => [r.name, r]));
  const wanted = new Map(desired.map((r) => [r.name, r]));
  const inserts: RouteSpec[] = [];
  const replaces: RouteSpec[] = [];
  const deletes: ObservedRoute[] = [];
  const keeps: string[] = [];
  for (const route of desired) {
    const existing = owned.get(route.name);
    if (!existing) inserts.push(route);
    else if (sameRoute(existing, route)) keeps.push(route.name);
    else replaces.push(route);
  }
  const stale = [...owned.values()].filter((r) => !wanted.has(r.name));
  if (options.zeroEligible) {
    keeps.push(...stale.map((r) => r.name));
    return { inserts, replaces, deletes, keeps, degraded: 'no eligible NAT instance (RUNNING, no current action, HEALTHY): keeping existing routes rather than deleting the last path' };
  }
  if (options.policy === 'upsert-only') keeps.push(...stale.map((r) => r.name));
  else deletes.push(...stale);
  return { inserts, replaces, deletes, keeps };
}

export const isEmptyPlan = (p: RoutePlan) => p.inserts.length === 0 && p.replaces.length === 0 && p.deletes.length === 0;
