/**
 * The local Service Networking API: private connections and their operations. There is no
 * dedicated Node client; gcloud, Terraform and REST clients all speak this surface.
 */
import type { Router } from '../http.js';
import type { ComputeContext } from '../compute/context.js';
import type { Faults } from '../faults.js';
import { SnOperations } from './operations.js';
import { ServiceNetworking } from './connections.js';

export { ServiceNetworking } from './connections.js';

/** Builds the surface and registers its routes. */
export function createServiceNetworking(router: Router, ctx: ComputeContext, faults: Faults): ServiceNetworking {
  const operations = new SnOperations(ctx.store, ctx.settings, faults, ctx.timers);
  const sn = new ServiceNetworking(ctx, operations);
  operations.register(router);
  sn.register(router);
  return sn;
}
