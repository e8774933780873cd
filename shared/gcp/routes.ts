/** Compute Engine routes (global, immutable): list, insert-and-wait, delete-and-wait. */
import type { Transport } from './transport.js';
import type { ObservedRoute } from '../plan/routes.js';
import { listAll, waitOperation, type ComputeOperation } from './operations.js';

/** A route as Compute returns it: what the planner reads, plus output-only fields. */
export interface Route extends ObservedRoute {
  warnings?: { code: string; message: string }[];
  selfLink?: string;
}

const base = (project: string) => `/compute/v1/projects/${project}/global/routes`;

export const listRoutes = (t: Transport, project: string) => listAll<Route>(t, base(project), 'items', { maxResults: 500 });

export const getRoute = (t: Transport, project: string, name: string) => t.request<Route>({ service: 'compute', method: 'GET', path: `${base(project)}/${name}` });

/** Inserts a route and waits for its operation (at most `waitMs`, then a 504 that says so). */
export async function insertRoute(t: Transport, project: string, route: Route, waitMs?: number): Promise<void> {
  const op = await t.request<ComputeOperation>({ service: 'compute', method: 'POST', path: base(project), body: route });
  await waitOperation(t, op, waitMs);
}

export async function deleteRoute(t: Transport, project: string, name: string, waitMs?: number): Promise<void> {
  const op = await t.request<ComputeOperation>({ service: 'compute', method: 'DELETE', path: `${base(project)}/${name}` });
  await waitOperation(t, op, waitMs);
}
