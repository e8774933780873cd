/**
 * Applies route changes: inserts (bounded parallelism, each waited on) and deletes, each a result
 * instead of a throw. The order — inserts, a fresh look, then only the deletes that look still
 * finds safe — is reconcile.ts's. A 409 on an insert is success when the route already there is
 * the same route (a duplicate or concurrent event got there first); a 404 on a delete is success
 * for the same reason. A 409 from a route with other content means someone else took the name
 * after the observation: the result says so (`nameTaken`), and the next pass plans around it.
 */
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { deleteRoute, getRoute, insertRoute, type Route } from '../gcp/routes.js';
import { mapLimit, sleep } from '../util/concurrency.js';
import { timed, type Timed } from '../util/timed.js';
import { resourcePath, type ObservedRoute, type RouteSpec } from '../plan/routes.js';

export interface ChangeResult extends Timed {
  change: 'insert' | 'delete' | 'hold-insert' | 'hold-delete';
  name: string;
  destRange?: string;
  /** The insert met a route of other content under its name (taken after the observation). */
  nameTaken?: boolean;
}

/**
 * Route calls in flight at once. A route insert is an operation that takes seconds; a MIG change
 * costs destinations × changed instances of them (2 → 4 NAT VMs with 20 destinations: 40), and
 * the Vertex nodes wait for the slowest wave. 40 lands such a change in one operation latency
 * while staying far below Compute's per-project write-rate quota; a 429 is retried with back-off.
 */
export const CONCURRENCY = 40;

/** How long a 409 waits for the same-named route to become readable (an insert still running). */
export const PENDING_INSERT_WAITS_MS = [50, 100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000, 5_000];

/** Stops at the event's deadline: operation waits get what is left of it, never more. */
export interface ApplyBudget {
  deadline?: number;
}

const waitMs = (b: ApplyBudget) => (b.deadline === undefined ? undefined : Math.max(1, b.deadline - Date.now()));

class NameTaken extends ApiError {
  constructor(name: string) {
    super(409, 'ALREADY_EXISTS', `route ${name} was created meanwhile by someone else, with other content; the next pass uses another name`);
  }
}

async function result(change: ChangeResult['change'], r: { name: string; destRange?: string }, work: () => Promise<boolean | void>): Promise<ChangeResult> {
  let nameTaken = false;
  const outcome = await timed(async () => {
    try {
      return await work();
    } catch (err) {
      nameTaken = err instanceof NameTaken;
      throw err;
    }
  });
  return { change, name: r.name, ...(r.destRange ? { destRange: r.destRange } : {}), ...outcome, ...(nameTaken ? { nameTaken } : {}) };
}

/**
 * The route behind a 409. Compute answers 409 while another insert of the name is still running
 * — a concurrent run's, or our own first attempt whose answer was lost before the transport
 * retried — and the route is not readable until that operation is DONE, so a 404 here means
 * "wait", not "fail". If it never appears, the other insert failed: transient, retry the sync.
 */
async function existingRoute(t: Transport, project: string, name: string, budget: ApplyBudget): Promise<Route> {
  for (const wait of [0, ...PENDING_INSERT_WAITS_MS]) {
    if (budget.deadline !== undefined && Date.now() + wait > budget.deadline) break;
    if (wait) await sleep(wait);
    try {
      return await getRoute(t, project, name);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
  throw new ApiError(503, 'UNAVAILABLE', `route ${name} is being inserted by another call (409) but did not appear in time`);
}

/** Same route: everything that defines it (routes are immutable, so this is the whole identity). */
function sameContent(a: ObservedRoute, b: RouteSpec): boolean {
  const tags = (r: { tags?: string[] }) => [...(r.tags ?? [])].sort().join(',');
  return resourcePath(a.network) === resourcePath(b.network) && a.destRange === b.destRange && a.priority === b.priority && tags(a) === tags(b) && resourcePath(a.nextHopInstance ?? a.nextHopIlb ?? '') === resourcePath(b.nextHopInstance ?? b.nextHopIlb ?? '') && (a.description ?? '') === b.description;
}

/** Inserts a route; an identical route already there counts as done (returns true = no-op). */
async function insertIdempotent(t: Transport, project: string, route: RouteSpec, budget: ApplyBudget): Promise<boolean> {
  try {
    await insertRoute(t, project, route, waitMs(budget));
    return false;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
    if (!sameContent(await existingRoute(t, project, route.name, budget), route)) throw new NameTaken(route.name);
    return true;
  }
}

async function deleteIdempotent(t: Transport, project: string, name: string, budget: ApplyBudget): Promise<boolean> {
  try {
    await deleteRoute(t, project, name, waitMs(budget));
    return false;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return true;
    throw err;
  }
}

export function applyInserts(t: Transport, project: string, inserts: readonly RouteSpec[], budget: ApplyBudget = {}, change: 'insert' | 'hold-insert' = 'insert'): Promise<ChangeResult[]> {
  return mapLimit(inserts, CONCURRENCY, (r) => result(change, r, () => insertIdempotent(t, project, r, budget)));
}

export function applyDeletes(t: Transport, project: string, deletes: readonly ObservedRoute[], budget: ApplyBudget = {}, change: 'delete' | 'hold-delete' = 'delete'): Promise<ChangeResult[]> {
  return mapLimit(deletes, CONCURRENCY, (r) => result(change, r, () => deleteIdempotent(t, project, r.name, budget)));
}
