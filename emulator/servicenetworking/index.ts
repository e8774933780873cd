/**
 * The local Service Networking API: private connections and their operations. There is no
 * dedicated Node client; gcloud, Terraform and REST clients all speak this surface.
 */
import type { Router } from '../http.js';
import type { ComputeContext } from '../compute/context.js';
import type { Faults } from '../faults.js';
import { registerSnOperations, SnOperations } from './operations.js';
import { registerConnections, ServiceNetworking } from './connections.js';

export { ServiceNetworking } from './connections.js';

/** Builds the surface's state: the connections and the operations that change them. */
export function createServiceNetworking(
  ctx: ComputeContext,
  faults: Faults,
): { sn: ServiceNetworking; operations: SnOperations } {
  const operations = new SnOperations(ctx.store, ctx.settings, faults, ctx.timers);
  return { sn: new ServiceNetworking(ctx, operations), operations };
}

/** Registers the connections and operations routes. */
export function registerServiceNetworking(
  router: Router,
  surface: { sn: ServiceNetworking; operations: SnOperations },
): void {
  registerSnOperations(router, surface.operations);
  registerConnections(router, surface.sn);
}
