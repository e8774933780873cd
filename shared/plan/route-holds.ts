/**
 * Damping: which NAT instances carry routes, decided from what Google shows now plus hold timers
 * that live in Google too. Pure: the caller passes the observation and `now`.
 *
 * - An instance **joins** once it has been eligible (RUNNING, no MIG action, HEALTHY) for
 *   `joinMs`; **leaves at once** when it is gone, stopped or not RUNNING, or the MIG acts on it
 *   (recreate, delete…); **leaves after `unhealthyMs`** when only its health flips. While it waits
 *   to leave it keeps its routes but gets no new ones.
 * - The join hold is waived while no routed instance is eligible now: a hold never costs a
 *   destination its only usable path (anti-phase flapping must not open a gap).
 *
 * Where the timers live: a hold is a **marker route** in VPC A — tagged `netreflex-hold`, which
 * no VM carries, so it steers no traffic and is never exchanged over peering (tagged routes never
 * are), to a documentation address (192.0.2.0/32, RFC 5737), next hop the instance it times.
 * Its `creationTimestamp`, stamped by Google, is when the hold began. So the state survives
 * function restarts, every function instance reads the same timers in the same `routes.list` that
 * reconciles (no extra read, no extra permission), two instances starting the same hold agree
 * (the second insert is a 409 on the same name), and an operator sees the holds beside the routes.
 * Process memory never decides. A hold marker is written only when a hold starts or ends.
 *
 * Only a marker netreflex can prove it wrote is a hold (routes.ts judges it); a route of anyone
 * else's under a marker's name is planned around like any taken name. A hold that cannot be
 * written at all — every name it may use is taken — cannot be timed, so it is a hold of zero: the
 * instance leaves (or joins) at once, and the caller reports why. A hold never lasts longer than
 * its time because its marker could not be written.
 */
import type { NatInstance, ObservedRoute, RouteSpec } from './routes.js';
import { resourcePath } from '../gcp/paths.js';

export type HoldKind = 'join' | 'unhealthy';

/** A hold marker as observed: which instance, which hold, since when (Google's clock). */
export interface Hold {
  kind: HoldKind;
  /** Resource path of the instance. */
  instance: string;
  since: number;
  route: ObservedRoute;
}

export interface HoldTimes {
  joinMs: number;
  unhealthyMs: number;
}

export interface AdmissionInput {
  instances: readonly NatInstance[];
  /** Resource paths of instances with at least one owned route now. */
  routed: ReadonlySet<string>;
  holds: readonly Hold[];
  now: number;
  times: HoldTimes;
  requireHealthy: boolean;
  /**
   * Builds the marker for a hold that starts now (names and marks it; see routes.ts), or
   * undefined when no name is free for it: that hold cannot be timed and counts as zero.
   */
  marker: (kind: HoldKind, instanceUrl: string) => RouteSpec | undefined;
}

export type InstanceState = 'routed' | 'joining' | 'leaving' | 'out';

export interface Admission {
  /** Instances that get every route they lack. */
  admitted: Set<string>;
  /** Instances that keep the routes they have and get no new ones (waiting out an unhealthy hold). */
  held: Set<string>;
  state: Map<string, InstanceState>;
  holdInserts: RouteSpec[];
  holdDeletes: ObservedRoute[];
  /** When a hold ends and the decision may change (epoch ms), per instance. */
  pending: { instance: string; kind: HoldKind; at: number }[];
  /** Holds that could not start because no marker could be written: decided as holds of zero. */
  untimed: { instance: string; kind: HoldKind }[];
}

export { resourcePath };

/**
 * MIG actions that leave the VM running and forwarding: REFRESHING applies configuration "without
 * stopping it" (compute.proto ManagedInstance.CurrentAction), e.g. the all-instances metadata
 * peeringRanges writes, so its routes must stay.
 */
const SERVING_ACTIONS: readonly string[] = ['NONE', 'REFRESHING'];

/** RUNNING with no MIG action under way but a refresh: the VM forwards, health aside. */
export function isRunningIdle(i: NatInstance): boolean {
  return i.instanceStatus === 'RUNNING' && SERVING_ACTIONS.includes(i.currentAction ?? 'NONE');
}

/** A NAT instance can carry traffic when RUNNING, idle or only refreshing, and HEALTHY where a check exists. */
export function isEligible(i: NatInstance, requireHealthy: boolean): boolean {
  if (!isRunningIdle(i)) return false;
  return !requireHealthy || i.health === undefined || i.health === 'HEALTHY';
}

interface Step {
  state: InstanceState;
  keepHold?: HoldKind;
  pendingAt?: number;
}

/** The decision for an instance that has routes. */
function routedStep(i: NatInstance, sick: Hold | undefined, a: AdmissionInput, times: HoldTimes): Step {
  if (isEligible(i, a.requireHealthy)) return { state: 'routed' };
  if (!isRunningIdle(i) || times.unhealthyMs <= 0) return { state: 'out' };
  const since = sick?.since ?? a.now;
  if (a.now - since >= times.unhealthyMs) return { state: 'out' };
  return { state: 'leaving', keepHold: 'unhealthy', pendingAt: since + times.unhealthyMs };
}

/** The decision for an instance without routes. */
function unroutedStep(i: NatInstance, join: Hold | undefined, a: AdmissionInput, times: HoldTimes): Step {
  if (!isEligible(i, a.requireHealthy)) return { state: 'out' };
  if (times.joinMs <= 0) return { state: 'routed' };
  const since = join?.since ?? a.now;
  // The marker stays until the routes exist: a failed insert must not restart the hold.
  if (a.now - since >= times.joinMs) return { state: 'routed', keepHold: 'join' };
  return { state: 'joining', keepHold: 'join', pendingAt: since + times.joinMs };
}

/** The hold of `kind` for an instance: the earliest, if several were written (the one that ends first). */
function holdOf(holds: readonly Hold[], instance: string, kind: HoldKind): Hold | undefined {
  return holds.filter((h) => h.instance === instance && h.kind === kind).sort((x, y) => x.since - y.since)[0];
}

const ZERO: Record<HoldKind, Partial<HoldTimes>> = { join: { joinMs: 0 }, unhealthy: { unhealthyMs: 0 } };

export function admit(a: AdmissionInput): Admission {
  const out: Admission = {
    admitted: new Set(),
    held: new Set(),
    state: new Map(),
    holdInserts: [],
    holdDeletes: [],
    pending: [],
    untimed: [],
  };
  const kept = new Set<Hold>();
  const starts: { kind: HoldKind; instance: string; spec: RouteSpec }[] = [];
  for (const i of a.instances) {
    const path = resourcePath(i.url);
    const hold = (kind: HoldKind) => holdOf(a.holds, path, kind);
    const decide = (times: HoldTimes) =>
      a.routed.has(path) ? routedStep(i, hold('unhealthy'), a, times) : unroutedStep(i, hold('join'), a, times);
    let step = decide(a.times);
    const existing = step.keepHold && hold(step.keepHold);
    if (existing) kept.add(existing);
    else if (step.keepHold) {
      const kind = step.keepHold;
      const spec = a.marker(kind, i.url);
      if (spec) starts.push({ kind, instance: path, spec });
      else {
        out.untimed.push({ instance: path, kind });
        step = decide({ ...a.times, ...ZERO[kind] });
      }
    }
    out.state.set(path, step.state);
    if (step.state === 'routed') out.admitted.add(path);
    if (step.state === 'leaving') out.held.add(path);
    if (step.pendingAt !== undefined && step.keepHold)
      out.pending.push({ instance: path, kind: step.keepHold, at: step.pendingAt });
  }
  const waived = waiveJoinHolds(a, out);
  out.holdInserts = starts.filter((s) => !(s.kind === 'join' && waived.has(s.instance))).map((s) => s.spec);
  out.holdDeletes = a.holds.filter((h) => !kept.has(h)).map((h) => h.route);
  return out;
}

/** No routed instance is eligible now: every eligible instance waiting to join joins at once. */
function waiveJoinHolds(a: AdmissionInput, out: Admission): Set<string> {
  const eligible = a.instances.filter((i) => isEligible(i, a.requireHealthy)).map((i) => resourcePath(i.url));
  if (eligible.some((p) => out.admitted.has(p))) return new Set();
  for (const p of eligible) {
    out.admitted.add(p);
    out.state.set(p, 'routed');
  }
  out.pending = out.pending.filter((x) => !eligible.includes(x.instance));
  return new Set(eligible);
}
