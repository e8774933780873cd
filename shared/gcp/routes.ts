/** Compute Engine routes (global, immutable): list, insert-and-wait, delete-and-wait. */
import type { Transport } from './transport.js';
import { waitOperation, type ComputeOperation } from './operations.js';
import { listAll } from './paging.js';

/**
 * A route as Compute's REST surface spells it (compute.v1 Route): what netreflex writes, and the
 * output-only fields Google adds. The route planner reads a `Pick` of it (`ObservedRoute`).
 */
export interface Route {
  name: string;
  /** Network URL. */
  network: string;
  destRange: string;
  priority: number;
  description?: string;
  tags?: string[];
  /** Exactly one next hop is set. */
  nextHopInstance?: string;
  nextHopIlb?: string;
  nextHopIp?: string;
  nextHopGateway?: string;
  nextHopVpnTunnel?: string;
  nextHopNetwork?: string;
  nextHopPeering?: string;
  /** Output only: when Google created the route (RFC 3339); route holds are timed by it. */
  creationTimestamp?: string;
  /** Output only: e.g. NEXT_HOP_INSTANCE_NOT_FOUND when the next hop is gone. */
  warnings?: { code: string; message: string }[];
  /** Output only. */
  selfLink?: string;
  /** Output only. */
  id?: string;
}

const base = (project: string) => `/compute/v1/projects/${project}/global/routes`;

export const listRoutes = (t: Transport, project: string) =>
  listAll<Route>(t, base(project), 'items', { maxResults: 500 });

export const getRoute = (t: Transport, project: string, name: string) =>
  t.request<Route>({ service: 'compute', method: 'GET', path: `${base(project)}/${name}` });

/** Inserts a route and waits for its operation (at most `waitMs`, then a 504 that says so). */
export async function insertRoute(t: Transport, project: string, route: Route, waitMs?: number): Promise<void> {
  const op = await t.request<ComputeOperation>({
    service: 'compute',
    method: 'POST',
    path: base(project),
    body: route,
  });
  await waitOperation(t, op, waitMs);
}

export async function deleteRoute(t: Transport, project: string, name: string, waitMs?: number): Promise<void> {
  const op = await t.request<ComputeOperation>({
    service: 'compute',
    method: 'DELETE',
    path: `${base(project)}/${name}`,
  });
  await waitOperation(t, op, waitMs);
}
