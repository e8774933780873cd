/**
 * natRoutes' plan as the kernel's phases (shared/reconcile/plan.ts), and the idempotent route calls
 * its steps make: inserts and hold-marker inserts first (bounded parallelism, each waited on), then
 * the destructive phase of deletes, then the hold markers that ended. Each delete names what it waits for — a route to a VM Google
 * no longer has, or one whose destination keeps a route to an eligible VM, waits for nothing; one
 * the planner deletes only once its replacement is in (`after-inserts`) waits for an insert of the
 * same destination — so a failed insert holds back exactly the deletes it would have replaced.
 *
 * A 409 on an insert is success when the route already there is the same route (a duplicate or
 * concurrent event got there first: shared/gcp/operations.ts `insertOrAdopt`); a 404 on a delete is
 * success for the same reason. A 409 from a route with other content means someone else took the
 * name after the observation: the result says so (`nameTaken`), and the next pass plans around it.
 */
import { ApiError, isNotFound } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { deleteRoute, getRoute, insertRoute } from '../gcp/routes.js';
import { insertOrAdopt } from '../gcp/operations.js';
import { resourcePath, type ObservedRoute, type RoutePlan, type RouteSpec } from '../plan/routes.js';
import type { ChangeResult, RouteChange, RouteChangeKind } from '../plan/route-report.js';
import { phase, type Plan, type Step, type StepContext } from '../reconcile/plan.js';
import type { StepResult } from '../reconcile/apply.js';

/**
 * Route calls in flight at once. A route insert is an operation that takes seconds; a MIG change
 * costs destinations × changed instances of them (2 → 4 NAT VMs with 20 destinations: 40), and
 * the Vertex nodes wait for the slowest wave. 40 lands such a change in one operation latency
 * while staying far below Compute's per-project write-rate quota; a 429 is retried with back-off.
 */
export const CONCURRENCY = 40;

/**
 * How long an insert that met a 409 waits for the other insert of the name to land: a route insert
 * is an operation of seconds, so past this the other insert failed and the sync is retried (503).
 */
const ROUTE_ADOPT_WAIT_MS = 30_000;

/** Operation waits get what is left of the event's deadline, never more. */
const waitMs = (b: StepContext) => (b.deadline === undefined ? undefined : Math.max(1, b.deadline - Date.now()));

const NAME_TAKEN = 'nameTaken';

class NameTaken extends ApiError {
  constructor(name: string) {
    super(
      409,
      'ALREADY_EXISTS',
      `route ${name} was created meanwhile by someone else, with other content; the next pass uses another name`,
      NAME_TAKEN,
    );
  }
}

/** Same route: everything that defines it (routes are immutable, so this is the whole identity). */
function sameContent(a: ObservedRoute, b: RouteSpec): boolean {
  const tags = (r: { tags?: string[] }) => [...(r.tags ?? [])].sort().join(',');
  return (
    resourcePath(a.network) === resourcePath(b.network) &&
    a.destRange === b.destRange &&
    a.priority === b.priority &&
    tags(a) === tags(b) &&
    resourcePath(a.nextHopInstance ?? a.nextHopIlb ?? '') === resourcePath(b.nextHopInstance ?? b.nextHopIlb ?? '') &&
    (a.description ?? '') === b.description
  );
}

/** Inserts a route; an identical route already there counts as done (returns true = no-op). */
function insertIdempotent(t: Transport, project: string, route: RouteSpec, budget: StepContext): Promise<boolean> {
  return insertOrAdopt({
    insert: () => insertRoute(t, project, route, waitMs(budget)),
    get: () => getRoute(t, project, route.name),
    same: (existing) => sameContent(existing, route),
    taken: () => new NameTaken(route.name),
    what: `route ${route.name}`,
    // As long as a route insert's operation takes, with room: the other insert failed if it is not in by then.
    maxWaitMs: ROUTE_ADOPT_WAIT_MS,
    ...(budget.deadline === undefined ? {} : { deadline: budget.deadline }),
  });
}

async function deleteIdempotent(t: Transport, project: string, name: string, budget: StepContext): Promise<boolean> {
  try {
    await deleteRoute(t, project, name, waitMs(budget));
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}

const stepId = (change: RouteChangeKind, name: string) => `${change} ${name}`;

function insertStep(
  t: Transport,
  project: string,
  route: RouteSpec,
  change: 'insert' | 'hold-insert',
): Step<RouteChange> {
  return {
    id: stepId(change, route.name),
    kind: change,
    detail: { change, name: route.name, destRange: route.destRange },
    run: (ctx) => insertIdempotent(t, project, route, ctx),
  };
}

function deleteStep(
  t: Transport,
  project: string,
  route: ObservedRoute,
  change: 'delete' | 'hold-delete',
  after: readonly string[],
): Step<RouteChange> {
  return {
    id: stepId(change, route.name),
    kind: change,
    after,
    detail: { change, name: route.name, destRange: route.destRange },
    run: (ctx) => deleteIdempotent(t, project, route.name, ctx),
  };
}

/**
 * The route plan as phases: inserts, hold-marker inserts, then the deletes (destructive), each
 * delete waiting for what its planner verdict says (`safe`).
 */
export function routePhases(t: Transport, project: string, plan: RoutePlan): Plan<RouteChange> {
  const insertsFor = (dest: string) =>
    plan.inserts.filter((r) => r.destRange === dest).map((r) => stepId('insert', r.name));
  return {
    phases: [
      phase(
        'inserts',
        plan.inserts.map((r) => insertStep(t, project, r, 'insert')),
        { concurrency: CONCURRENCY },
      ),
      phase(
        'hold-inserts',
        plan.holds.inserts.map((r) => insertStep(t, project, r, 'hold-insert')),
        { concurrency: CONCURRENCY },
      ),
      phase(
        'deletes',
        plan.deletes.map((d) =>
          deleteStep(t, project, d, 'delete', d.safe === 'after-inserts' ? insertsFor(d.destRange) : []),
        ),
        { concurrency: CONCURRENCY, destructive: true },
      ),
      // Hold markers carry no traffic: removing one ends a timer, it takes nothing away.
      phase(
        'hold-deletes',
        plan.holds.deletes.map((h) => deleteStep(t, project, h, 'hold-delete', [])),
        { concurrency: CONCURRENCY },
      ),
    ],
  };
}

/** A kernel step result as natRoutes reports it. */
export function changeResult(r: StepResult<RouteChange>): ChangeResult {
  const { id: _id, kind: _kind, detail, reason, ...outcome } = r;
  return { ...detail, ...outcome, ...(reason === NAME_TAKEN ? { nameTaken: true } : {}) };
}
