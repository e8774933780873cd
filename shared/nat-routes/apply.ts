/**
 * Applies a route plan make-before-break: every insert first (bounded parallelism, each waited
 * on), then replacements, and deletes only after all of them succeeded. A 409 on an insert is
 * success when the existing route is the same route (a duplicate or concurrent event got there
 * first); a 404 on a delete is success for the same reason.
 */
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { deleteRoute, getRoute, insertRoute, type Route } from '../gcp/routes.js';
import { mapLimit, sleep } from '../util/concurrency.js';
import { timed, type Timed } from '../util/timed.js';
import { resourcePath, type ObservedRoute, type RouteSpec } from '../plan/routes.js';

export interface ChangeResult extends Timed {
  change: 'insert' | 'replace' | 'delete';
  name: string;
}

/**
 * Route calls in flight at once. A route insert is an operation that takes seconds; a MIG change
 * costs destinations × changed instances of them (2 → 4 NAT VMs with 20 destinations: 40), and
 * the Vertex nodes wait for the slowest wave. 40 lands such a change in one operation latency
 * while staying far below Compute's per-project write-rate quota; a 429 is retried with back-off.
 */
export const CONCURRENCY = 40;

const result = async (change: ChangeResult['change'], name: string, work: () => Promise<boolean | void>): Promise<ChangeResult> => ({ change, name, ...(await timed(work)) });

/** How long a 409 waits for the same-named route to become readable (an insert still running). */
export const PENDING_INSERT_WAITS_MS = [50, 100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000, 5_000, 5_000];

/**
 * The route behind a 409. Compute answers 409 while another insert of the name is still running
 * — a concurrent run's, or our own first attempt whose answer was lost before the transport
 * retried — and the route is not readable until that operation is DONE, so a 404 here means
 * "wait", not "fail". If it never appears, the other insert failed: transient, retry the sync.
 */
async function existingRoute(t: Transport, project: string, name: string): Promise<Route> {
  for (const waitMs of [0, ...PENDING_INSERT_WAITS_MS]) {
    if (waitMs) await sleep(waitMs);
    try {
      return await getRoute(t, project, name);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
  throw new ApiError(503, 'UNAVAILABLE', `route ${name} is being inserted by another call (409) but never appeared; the next sync inserts it`);
}

/** Inserts a route; an identical route already there counts as done (returns true = no-op). */
async function insertIdempotent(t: Transport, project: string, route: RouteSpec): Promise<boolean> {
  try {
    await insertRoute(t, project, route);
    return false;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
    const existing = await existingRoute(t, project, route.name);
    const same = existing.destRange === route.destRange && existing.priority === route.priority && resourcePath(existing.nextHopInstance ?? existing.nextHopIlb ?? '') === resourcePath(route.nextHopInstance ?? route.nextHopIlb ?? '');
    if (!same) throw new ApiError(409, 'ALREADY_EXISTS', `route ${route.name} exists with other content; netreflex will replace it on the next sync`);
    return true;
  }
}

async function deleteIdempotent(t: Transport, project: string, name: string): Promise<boolean> {
  try {
    await deleteRoute(t, project, name);
    return false;
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return true;
    throw err;
  }
}

export function applyInserts(t: Transport, project: string, inserts: readonly RouteSpec[]): Promise<ChangeResult[]> {
  return mapLimit(inserts, CONCURRENCY, (r) => result('insert', r.name, () => insertIdempotent(t, project, r)));
}

/** Replacing a same-named route cannot be make-before-break; it runs after all inserts. */
export function applyReplaces(t: Transport, project: string, replaces: readonly RouteSpec[]): Promise<ChangeResult[]> {
  return mapLimit(replaces, CONCURRENCY, (r) =>
    result('replace', r.name, async () => {
      await deleteIdempotent(t, project, r.name);
      await insertIdempotent(t, project, r);
    }),
  );
}

export function applyDeletes(t: Transport, project: string, deletes: readonly ObservedRoute[]): Promise<ChangeResult[]> {
  return mapLimit(deletes, CONCURRENCY, (r) => result('delete', r.name, () => deleteIdempotent(t, project, r.name)));
}
