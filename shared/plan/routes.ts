/**
 * The NAT route planner: which custom static routes VPC A must hold so that Vertex AI Pipelines
 * traffic to each IP-restricted destination leaves through a usable NAT VM, and the steps to get
 * there from what exists. Pure: no I/O, no clock (`now` comes in with the observation).
 *
 * Desired: one untagged route per destination × admitted NAT instance (equal priority → ECMP;
 * admission is the damping of route-holds.ts), or one per destination to the internal load
 * balancer in `ilb` mode. Untagged, because tagged routes never cross a VPC peering.
 *
 * **Ownership cannot be forged.** A route is netreflex's only if everything agrees: its
 * description carries the owner marker (`netreflex:nat-routes owner=<MIG>`), it is in VPC A, at the
 * configured priority, untagged, its one next hop is an instance of this MIG (or one that has
 * left it: gone from Google, or still there but no longer a member) or the configured load
 * balancer, and its name is one netreflex derives for exactly that route (prefix + hash of
 * network, destination, priority and next hop). A route claiming the marker that fails any check
 * is a **conflict**: reported with every failed check, never changed.
 *
 * **A VM that left the MIG** (abandonInstances, or any VM Google still has that the MIG does not
 * list) takes its routes along, like a stopped one. The evidence that netreflex wrote such a route
 * is the name: the hash in it binds the route to that very instance (and destination, network,
 * priority), so a marker copied onto a route to someone else's VM — under any other name — stays
 * a conflict. netreflex only ever names a route so for a VM that was in its MIG. The name is
 * derivable, not a secret: a route built by hand to pass every check is handed to netreflex.
 *
 * **Names are planned around, never fought over.** Names hash the route's identity; if a route
 * netreflex does not own holds the name, the next of `ALTERNATE_NAMES` deterministic alternates is
 * used, and any owned route with the same content counts whatever candidate name it has. Hold
 * markers (route-holds.ts) too: a route under a marker's name that is not a hold netreflex wrote
 * is never read as the hold; the hold's marker goes in under an alternate, and when every name is
 * taken the hold cannot be timed and counts as zero — never as a hold that starts again each pass.
 *
 * Decision table (owned = passes every ownership check; everything else is never touched):
 *
 * | owned route for destination D      | desired                    | action                                        |
 * |------------------------------------|----------------------------|-----------------------------------------------|
 * | —                                  | D → hop H                  | insert, under the first candidate name free   |
 * | every candidate name held by others| D → hop H                  | blocked, permanent: degraded with the fix     |
 * | D → H (any candidate name)         | D → H                      | keep                                          |
 * | D → H, H held (unhealthy hold)     | —                          | keep, no new routes to H                      |
 * | D → H, H gone                      | not desired                | delete (it carries nothing)                   |
 * | D → H, H left the MIG (abandoned)  | not desired                | as stopped: delete once D is covered, else keep, degraded naming it |
 * | D → H                              | not desired, D still has a route to an eligible hop (kept or inserted) | delete |
 * | D → H                              | not desired, D would have none | keep, blocked until a replacement exists  |
 * | D → H                              | zero eligible instances    | keep (except gone hops), degraded             |
 * | D → H                              | policy upsert-only         | keep                                          |
 */
import { createHash } from 'node:crypto';
import { parseCidr } from '../net/ip-range.js';
import type { Route } from '../gcp/routes.js';
import type { ManagedInstance } from '../gcp/instance-groups.js';
import {
  admit,
  isEligible,
  resourcePath,
  type Admission,
  type Hold,
  type HoldKind,
  type HoldTimes,
  type InstanceState,
} from './route-holds.js';

export { isEligible, resourcePath } from './route-holds.js';

export const ROUTE_MARKER = 'netreflex:nat-routes';
export const HOLD_MARKER = 'netreflex:nat-routes-hold';
/** The network tag of hold markers: no VM may carry it (the marker would steer its traffic to 192.0.2.0/32). */
export const HOLD_TAG = 'netreflex-hold';
/** TEST-NET-1 (RFC 5737): a destination no traffic goes to. */
export const HOLD_DEST_RANGE = '192.0.2.0/32';
export const HOLD_PRIORITY = 65535;
/** Candidate names per route beyond the first, for names taken by routes netreflex does not own. */
export const ALTERNATE_NAMES = 3;

export interface RouteSpec {
  name: string;
  network: string;
  destRange: string;
  priority: number;
  description: string;
  nextHopInstance?: string;
  nextHopIlb?: string;
  tags?: string[];
}

/** A route as observed: the fields of Compute's route the planner reads. */
export type ObservedRoute = Pick<
  Route,
  | 'name'
  | 'network'
  | 'destRange'
  | 'priority'
  | 'description'
  | 'tags'
  | 'nextHopInstance'
  | 'nextHopIlb'
  | 'nextHopIp'
  | 'nextHopGateway'
  | 'nextHopVpnTunnel'
  | 'nextHopNetwork'
  | 'nextHopPeering'
  | 'creationTimestamp'
>;

export interface NatInstance {
  name: string;
  /** Instance URL (`…/projects/p/zones/z/instances/name`). */
  url: string;
  instanceStatus?: string;
  currentAction?: string;
  /** `detailedHealthState` when the MIG has a health check; undefined when it has none. */
  health?: string;
}

/** A MIG's managed instance as the planner judges it (name, URL, status, action, health). */
export function natInstanceOf(m: ManagedInstance): NatInstance {
  return {
    name: m.name ?? m.instance.split('/').pop()!,
    url: m.instance,
    instanceStatus: m.instanceStatus,
    currentAction: m.currentAction,
    health: m.instanceHealth?.[0]?.detailedHealthState,
  };
}

export type RoutePolicy = 'sync' | 'upsert-only' | 'dry-run';

export interface PlanInput {
  /** Network URL of VPC A. */
  network: string;
  destinations: readonly string[];
  priority: number;
  prefix: string;
  /** Who owns the routes: the MIG's path, so two netreflex setups never fight over routes. */
  owner: string;
  mode: 'instance' | 'ilb';
  /** Forwarding rule URL of the internal load balancer (the next hop in ilb mode). */
  ilb?: string;
  /** The MIG's instances now. */
  instances: readonly NatInstance[];
  /** Paths of next-hop instances Google says no longer exist (instances.get → 404). */
  gone: readonly string[];
  /**
   * Paths of next-hop instances of marked routes that Google still has but the MIG does not list
   * (abandoned, or never a member): only routes that pass every other check are owned.
   */
  departed?: readonly string[];
  /** Every route of the project. */
  routes: readonly ObservedRoute[];
  /** When the observation was made (epoch ms). */
  now: number;
  holds: HoldTimes;
  requireHealthy: boolean;
  policy: RoutePolicy;
}

export interface Conflict {
  route: string;
  /** Every ownership check it fails. */
  reasons: string[];
}

export interface Blocked {
  /** What cannot happen: `insert <name>` / `delete <name>`. */
  what: string;
  by: string;
  fix: string;
  /** True when no retry can help until a person acts. */
  permanent: boolean;
}

export interface PlannedDelete extends ObservedRoute {
  /** Why deleting it loses no usable path: its hop is gone, or its destination keeps a usable route. */
  safe: 'gone' | 'covered' | 'after-inserts';
}

export interface RoutePlan {
  /** Every route netreflex wants (kept and inserted). */
  desired: RouteSpec[];
  inserts: RouteSpec[];
  deletes: PlannedDelete[];
  keeps: string[];
  holds: { inserts: RouteSpec[]; deletes: ObservedRoute[] };
  conflicts: Conflict[];
  /** Wanted names (of routes and hold markers) held by routes netreflex does not own, and the name used instead. */
  plannedAround: { wanted: string; heldBy: string; using: string }[];
  /** Holds that could not start, every name of their marker held by routes netreflex does not own: decided as holds of zero. */
  untimedHolds: { instance: string; kind: HoldKind; heldBy: string; names: string[] }[];
  blocked: Blocked[];
  /** Per NAT instance: routed, joining (hold), leaving (hold) or out. */
  states: { instance: string; state: InstanceState }[];
  /** Holds that end later (epoch ms): look again then. */
  pending: { instance: string; kind: HoldKind; at: number }[];
  /** Why the plan keeps routes it would otherwise delete, or cannot reach the desired state. */
  degraded: string[];
}

export const ownerMarker = (owner: string) => `${ROUTE_MARKER} owner=${owner}`;
const holdMarker = (owner: string) => `${HOLD_MARKER} owner=${owner}`;

function slug(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
}

const hash = (parts: readonly (string | number)[]) =>
  createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 6);
const hopOf = (r: { nextHopInstance?: string; nextHopIlb?: string }) =>
  resourcePath(r.nextHopInstance ?? r.nextHopIlb ?? '');

/**
 * Deterministic RFC 1035 name (≤ 63 chars): readable head plus a hash of the route's identity;
 * `alternate` k > 0 is the k-th fallback when the name is held by a route netreflex does not own.
 */
export function routeName(prefix: string, spec: Omit<RouteSpec, 'name' | 'description'>, alternate = 0): string {
  const hop = hopOf(spec);
  const h = hash([
    resourcePath(spec.network),
    spec.destRange,
    spec.priority,
    hop,
    ...(alternate ? [`alt${alternate}`] : []),
  ]);
  const head = `${prefix}-${slug(spec.destRange, 24)}-${slug(hop.split('/').pop() || 'hop', 24)}`;
  return `${head.slice(0, 55).replace(/-+$/, '')}-${h}`;
}

export const candidateNames = (prefix: string, spec: Omit<RouteSpec, 'name' | 'description'>) =>
  Array.from({ length: ALTERNATE_NAMES + 1 }, (_, k) => routeName(prefix, spec, k));

/**
 * The name of the hold marker timing `kind` for an instance; `alternate` k > 0 is the k-th
 * fallback when the name is held by a route netreflex does not own.
 */
export function holdName(prefix: string, kind: HoldKind, instanceUrl: string, alternate = 0): string {
  const path = resourcePath(instanceUrl);
  return `${`${prefix}-hold-${kind}-${slug(path.split('/').pop() ?? '', 24)}`.slice(0, 55).replace(/-+$/, '')}-${hash([path, kind, ...(alternate ? [`alt${alternate}`] : [])])}`;
}

const HOLD_KINDS: readonly HoldKind[] = ['join', 'unhealthy'];

/** Every name a hold marker may have, the first one first (as `candidateNames` for routes). */
export const holdNames = (prefix: string, kind: HoldKind, instanceUrl: string) =>
  Array.from({ length: ALTERNATE_NAMES + 1 }, (_, k) => holdName(prefix, kind, instanceUrl, k));

const NEXT_HOPS = [
  'nextHopInstance',
  'nextHopIlb',
  'nextHopIp',
  'nextHopGateway',
  'nextHopVpnTunnel',
  'nextHopNetwork',
  'nextHopPeering',
] as const;
const hopsOf = (r: ObservedRoute) => NEXT_HOPS.filter((k) => typeof r[k] === 'string' && r[k] !== '');

type Judged =
  | { kind: 'route'; r: ObservedRoute; key: string }
  | { kind: 'hold'; hold: Hold }
  | { kind: 'conflict'; conflict: Conflict }
  | { kind: 'foreign' };

interface Ownership {
  input: PlanInput;
  /** Paths of instances that may be a next hop: MIG members, and instances that left it (gone or departed). */
  hops: Set<string>;
}

const contentKey = (destRange: string, hop: string) => `${destRange}|${hop}`;

/** The ownership checks both kinds of marked route share: network and next hop. */
function commonProblems(r: ObservedRoute, o: Ownership): string[] {
  const problems: string[] = [];
  if (resourcePath(r.network) !== resourcePath(o.input.network))
    problems.push(`in network ${r.network.split('/').pop()}, not ${o.input.network.split('/').pop()}`);
  const hops = hopsOf(r);
  const hop = hopOf(r);
  const ilbOk = r.nextHopIlb !== undefined && o.input.ilb !== undefined && hop === resourcePath(o.input.ilb);
  const instanceOk = r.nextHopInstance !== undefined && o.hops.has(hop);
  if (hops.length !== 1 || !(ilbOk || instanceOk))
    problems.push(
      `next hop ${hops.map((k) => `${k} ${String(r[k]).split('/').pop()}`).join(', ') || '(none)'} is ` +
        `neither an instance of the NAT MIG nor the configured load balancer`,
    );
  return problems;
}

function judgeRoute(r: ObservedRoute, o: Ownership): Judged {
  const { prefix, priority } = o.input;
  const problems = commonProblems(r, o);
  if (r.priority !== priority) problems.push(`priority ${r.priority}, not ${priority}`);
  if (r.tags?.length) problems.push(`tagged (${r.tags.join(', ')}): tagged routes are never exported over peering`);
  if (!candidateNames(prefix, r).includes(r.name))
    problems.push(
      `name ${r.name} is not one netreflex derives for this route (prefix ${prefix}- and a hash of its network, destination, priority and next hop)`,
    );
  return problems.length
    ? { kind: 'conflict', conflict: { route: r.name, reasons: problems } }
    : { kind: 'route', r, key: contentKey(r.destRange, hopOf(r)) };
}

function judgeHold(r: ObservedRoute, o: Ownership): Judged {
  const kind = /\bkind=(join|unhealthy)\b/.exec(r.description ?? '')?.[1] as HoldKind | undefined;
  const problems = commonProblems(r, o);
  if (!kind) problems.push('its description names no hold kind (kind=join or kind=unhealthy)');
  if (r.destRange !== HOLD_DEST_RANGE || r.priority !== HOLD_PRIORITY || r.tags?.length !== 1 || r.tags[0] !== HOLD_TAG)
    problems.push(`a hold marker is ${HOLD_DEST_RANGE}, priority ${HOLD_PRIORITY}, tag ${HOLD_TAG}`);
  if (kind && r.nextHopInstance && !holdNames(o.input.prefix, kind, r.nextHopInstance).includes(r.name))
    problems.push(`name ${r.name} is not netreflex's name for this hold`);
  const since = Date.parse(r.creationTimestamp ?? '');
  if (Number.isNaN(since)) problems.push('it has no creationTimestamp');
  if (problems.length || !kind) return { kind: 'conflict', conflict: { route: r.name, reasons: problems } };
  return { kind: 'hold', hold: { kind, instance: hopOf(r), since, route: r } };
}

/** Sorts every route: owned route, owned hold marker, conflict (claims our marker, fails a check), or foreign. */
export function judge(r: ObservedRoute, o: Ownership): Judged {
  const d = r.description ?? '';
  if (d.startsWith(`${ownerMarker(o.input.owner)} `)) return judgeRoute(r, o);
  if (d.startsWith(`${holdMarker(o.input.owner)} `)) return judgeHold(r, o);
  return { kind: 'foreign' };
}

/**
 * True when the route carries the owner's marker — a traffic route or a hold marker netreflex
 * wrote for this MIG, or a copy of one. Not ownership (`isOwned` checks everything); for callers
 * that remove a whole setup and must take the hold markers along.
 */
export function claimsOwner(route: ObservedRoute, owner: string): boolean {
  const d = route.description ?? '';
  return d.startsWith(`${ownerMarker(owner)} `) || d.startsWith(`${holdMarker(owner)} `);
}

const ownership = (input: PlanInput): Ownership => ({
  input,
  hops: new Set(
    [...input.instances.map((i) => i.url), ...input.gone, ...(input.departed ?? [])].map((u) => resourcePath(u)),
  ),
});

/** True when `route` is netreflex's traffic route for `input`'s owner (every ownership check passes). */
export function isOwned(route: ObservedRoute, input: PlanInput): boolean {
  return judge(route, ownership(input)).kind === 'route';
}

function spec(
  input: PlanInput,
  destRange: string,
  hop: { nextHopInstance?: string; nextHopIlb?: string },
  name: string,
): RouteSpec {
  return {
    name,
    description: `${ownerMarker(input.owner)} dest=${destRange}`,
    network: input.network,
    destRange,
    priority: input.priority,
    ...hop,
  };
}

function holdSpec(input: PlanInput, kind: HoldKind, instanceUrl: string, name: string): RouteSpec {
  const description =
    `${holdMarker(input.owner)} kind=${kind} instance=${resourcePath(instanceUrl)}: steers no traffic ` +
    `(tag ${HOLD_TAG}, which no VM carries); its creationTimestamp is when the ${kind} hold began`;
  return {
    name,
    description,
    network: input.network,
    destRange: HOLD_DEST_RANGE,
    priority: HOLD_PRIORITY,
    nextHopInstance: instanceUrl,
    tags: [HOLD_TAG],
  };
}

/** `name (its description)`: how a route netreflex does not own is named in a report. */
const holderOf = (taken: ReadonlyMap<string, { description?: string }>, n: string) =>
  `${n} (${taken.get(n)?.description ? `"${taken.get(n)!.description!.slice(0, 60)}"` : 'no description'})`;

/**
 * The marker of a hold that starts now, under the first of its names no route holds — a route
 * there that is not a hold netreflex wrote (judgeHold) is someone else's, planned around — or
 * undefined when every name is taken: that hold cannot be timed (route-holds.ts).
 */
function holdMarkerFor(
  input: PlanInput,
  taken: ReadonlyMap<string, ObservedRoute>,
  kind: HoldKind,
  instanceUrl: string,
): RouteSpec | undefined {
  const name = holdNames(input.prefix, kind, instanceUrl).find((n) => !taken.has(n));
  return name === undefined ? undefined : holdSpec(input, kind, instanceUrl, name);
}

/** What the plan says of holds whose first name was taken: the name used instead, or why none could be. */
function holdNotes(
  input: PlanInput,
  sorted: Sorted,
  a: Admission,
  plan: Pick<RoutePlan, 'plannedAround' | 'untimedHolds'>,
): void {
  for (const m of a.holdInserts) {
    const [wanted] = HOLD_KINDS.map((k) => holdNames(input.prefix, k, m.nextHopInstance!)).find((names) =>
      names.includes(m.name),
    )!;
    if (m.name !== wanted)
      plan.plannedAround.push({ wanted: wanted!, heldBy: holderOf(sorted.names, wanted!), using: m.name });
  }
  const urls = new Map(input.instances.map((i) => [resourcePath(i.url), i.url]));
  for (const u of a.untimed) {
    const names = holdNames(input.prefix, u.kind, urls.get(u.instance)!);
    plan.untimedHolds.push({
      instance: u.instance,
      kind: u.kind,
      heldBy: names.map((n) => holderOf(sorted.names, n)).join(', '),
      names,
    });
  }
}

interface Sorted {
  owned: Map<string, ObservedRoute>;
  holds: Hold[];
  conflicts: Conflict[];
  names: Map<string, ObservedRoute>;
}

function sortRoutes(input: PlanInput): Sorted {
  const o = ownership(input);
  const out: Sorted = {
    owned: new Map(),
    holds: [],
    conflicts: [],
    names: new Map(input.routes.map((r) => [r.name, r])),
  };
  for (const r of input.routes) {
    const j = judge(r, o);
    if (j.kind === 'route' && !out.owned.has(j.key)) out.owned.set(j.key, j.r);
    else if (j.kind === 'route')
      out.conflicts.push({
        route: r.name,
        reasons: [`duplicate of ${out.owned.get(j.key)!.name} (same destination and next hop)`],
      });
    else if (j.kind === 'hold') out.holds.push(j.hold);
    else if (j.kind === 'conflict') out.conflicts.push(j.conflict);
  }
  return out;
}

/** Which hops each destination wants: every admitted instance (or the ILB); held instances only keep. */
function wantedHops(input: PlanInput, sorted: Sorted, plan: Pick<RoutePlan, 'plannedAround' | 'untimedHolds'>) {
  if (input.mode === 'ilb') {
    const holdDeletes = sorted.holds.map((h) => h.route);
    return {
      add: input.ilb ? [{ nextHopIlb: input.ilb }] : [],
      keepOnly: new Set<string>(),
      usable: new Set(input.ilb ? [resourcePath(input.ilb)] : []),
      states: [],
      pending: [],
      holdInserts: [],
      holdDeletes,
    };
  }
  const routed = new Set([...sorted.owned.values()].map((r) => hopOf(r)));
  const a = admit({
    instances: input.instances,
    routed,
    holds: sorted.holds,
    now: input.now,
    times: input.holds,
    requireHealthy: input.requireHealthy,
    marker: (kind, url) => holdMarkerFor(input, sorted.names, kind, url),
  });
  holdNotes(input, sorted, a, plan);
  const byPath = new Map(input.instances.map((i) => [resourcePath(i.url), i]));
  const usable = new Set(
    input.instances.filter((i) => isEligible(i, input.requireHealthy)).map((i) => resourcePath(i.url)),
  );
  return {
    add: [...a.admitted].map((p) => ({ nextHopInstance: byPath.get(p)!.url })),
    keepOnly: a.held,
    usable,
    states: [...a.state].map(([instance, state]) => ({ instance, state })),
    pending: a.pending,
    holdInserts: a.holdInserts,
    holdDeletes: a.holdDeletes,
  };
}

/** A free candidate name for `content`, or the blocked entry saying who holds them all. */
function nameFor(
  input: PlanInput,
  content: Omit<RouteSpec, 'name' | 'description'>,
  taken: Map<string, ObservedRoute | RouteSpec>,
  plan: RoutePlan,
): string | undefined {
  const names = candidateNames(input.prefix, content);
  const free = names.find((n) => !taken.has(n));
  const holder = (n: string) => holderOf(taken, n);
  if (free && free !== names[0]) plan.plannedAround.push({ wanted: names[0]!, heldBy: holder(names[0]!), using: free });
  if (!free) {
    const hop = hopOf(content).split('/').pop();
    plan.blocked.push({
      what: `insert ${content.destRange} → ${hop}`,
      by: `every name netreflex derives for it is held by a route it does not own: ${names.map(holder).join(', ')}`,
      fix: `delete or rename one of ${names.join(', ')}`,
      permanent: true,
    });
    plan.degraded.push(
      `no route ${content.destRange} → ${hop}: all ${names.length} candidate names are held by routes netreflex does not own (delete or rename one of them)`,
    );
  }
  return free;
}

function emptyPlan(conflicts: Conflict[]): RoutePlan {
  return {
    desired: [],
    inserts: [],
    deletes: [],
    keeps: [],
    holds: { inserts: [], deletes: [] },
    conflicts,
    plannedAround: [],
    untimedHolds: [],
    blocked: [],
    states: [],
    pending: [],
    degraded: [],
  };
}

/**
 * Plans the changes from the observed routes to the desired ones (see the decision table).
 * Destinations are compared in the canonical form of shared/net's parser, the form Compute lists
 * them in, so `2001:DB8::/32` asked for is the `2001:db8::/32` that exists.
 */
export function planRoutes(given: PlanInput): RoutePlan {
  const input = { ...given, destinations: [...new Set(given.destinations.map((d) => parseCidr(d).cidr))] };
  const sorted = sortRoutes(input);
  const notes: Pick<RoutePlan, 'plannedAround' | 'untimedHolds'> = { plannedAround: [], untimedHolds: [] };
  const want = wantedHops(input, sorted, notes);
  const plan = {
    ...emptyPlan(sorted.conflicts),
    ...notes,
    states: want.states,
    pending: want.pending,
    holds: { inserts: want.holdInserts, deletes: want.holdDeletes },
  };
  const taken = new Map<string, ObservedRoute | RouteSpec>(sorted.names);
  const kept = new Set<string>();
  for (const destRange of input.destinations) {
    for (const hop of want.add) {
      const key = contentKey(destRange, hopOf(hop));
      const existing = sorted.owned.get(key);
      if (existing) {
        kept.add(key);
        plan.desired.push(spec(input, destRange, hop, existing.name));
        continue;
      }
      const name = nameFor(input, { network: input.network, destRange, priority: input.priority, ...hop }, taken, plan);
      if (!name) continue;
      const route = spec(input, destRange, hop, name);
      taken.set(name, route);
      plan.inserts.push(route);
      plan.desired.push(route);
    }
  }
  for (const [key, r] of sorted.owned)
    if (want.keepOnly.has(hopOf(r)) && input.destinations.includes(r.destRange)) kept.add(key);
  plan.keeps = [...kept].map((k) => sorted.owned.get(k)!.name);
  planStale(input, sorted, kept, want.usable, plan);
  return plan;
}

/** Owned routes no longer wanted: delete, or keep while deleting would cost a destination its only usable path. */
function planStale(input: PlanInput, sorted: Sorted, kept: Set<string>, usable: Set<string>, plan: RoutePlan): void {
  const gone = new Set(input.gone.map(resourcePath));
  const departed = new Set((input.departed ?? []).map(resourcePath));
  const keptDeparted: ObservedRoute[] = [];
  const zeroEligible = input.mode === 'instance' && usable.size === 0;
  if (zeroEligible)
    plan.degraded.push(
      'no eligible NAT instance (RUNNING, no current action, HEALTHY): keeping existing routes rather than deleting the last path',
    );
  const coveredByKeep = (dest: string) =>
    [...kept].some((k) => sorted.owned.get(k)!.destRange === dest && usable.has(hopOf(sorted.owned.get(k)!)));
  const inserting = (dest: string) => plan.inserts.some((r) => r.destRange === dest && usable.has(hopOf(r)));
  for (const [key, r] of sorted.owned) {
    if (kept.has(key)) continue;
    const hopGone = r.nextHopInstance !== undefined && gone.has(hopOf(r));
    const safe = hopGone
      ? 'gone'
      : coveredByKeep(r.destRange)
        ? 'covered'
        : inserting(r.destRange)
          ? 'after-inserts'
          : undefined;
    if (input.policy === 'upsert-only' || (zeroEligible && !hopGone)) {
      plan.keeps.push(r.name);
      if (departed.has(hopOf(r))) keptDeparted.push(r);
      continue;
    }
    if (safe) plan.deletes.push({ ...r, safe });
    else {
      plan.keeps.push(r.name);
      if (departed.has(hopOf(r))) keptDeparted.push(r);
      plan.blocked.push({
        what: `delete ${r.name}`,
        by: `${r.destRange} would be left without a route to an eligible NAT VM`,
        fix: 'it goes once a route to an eligible NAT VM exists for that destination',
        permanent: false,
      });
    }
  }
  if (keptDeparted.length && input.policy !== 'upsert-only') plan.degraded.push(departedReason(keptDeparted));
}

/** Why routes to VMs that left the MIG are still there, and what a person can do about it. */
function departedReason(kept: readonly ObservedRoute[]): string {
  const vms = [...new Set(kept.map((r) => hopOf(r).split('/').pop()))].join(', ');
  return `routes to ${vms}, no longer a member of the NAT MIG (abandoned?), are kept: their destinations have no route to an eligible NAT VM of the MIG yet; they go once one exists, or delete them by hand: ${kept.map((r) => r.name).join(', ')}`;
}

export const isEmptyPlan = (p: RoutePlan) =>
  p.inserts.length === 0 && p.deletes.length === 0 && p.holds.inserts.length === 0 && p.holds.deletes.length === 0;
