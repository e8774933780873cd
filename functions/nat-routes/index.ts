/**
 * natRoutes: keeps VPC A's routes to the IP-restricted destinations pointed at the healthy NAT
 * VMs of the NAT MIG, and exported over the Private Service Access peering. Triggered by audit
 * logs of the MIG's instances (Eventarc) and by a scheduled Pub/Sub tick; reconciles from state.
 */
import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { NatRoutesService } from '../../shared/nat-routes/service.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

const service = lazyService('natRoutes', (env) => {
  const cfg = loadNatRoutesConfig(env);
  return new NatRoutesService(cfg, createLogger(cfg.logLevel));
});

/** A failed reconcile whose failures a retry could fix throws, so Eventarc redelivers; everything else is acknowledged. */
export async function natRoutes(event: CloudEvent<unknown>): Promise<void> {
  const outcome = await service().handle(event);
  if (outcome.handled && outcome.retry) {
    throw new Error(`natRoutes: transient failure, retry: ${outcome.report?.reasons.join('; ') ?? ''}`);
  }
}

cloudEvent('natRoutes', natRoutes);
