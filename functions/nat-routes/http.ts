/**
 * natRoutesSync: the route reconciler's sync-and-verify as an HTTP call, for the workflow that
 * prepares a pipeline run (`workflows/vertex-pipeline-run.yaml`): one reconcile (settling while
 * NAT VMs are mid-action), then the peering export read back, answered as the RouteReport JSON
 * through the one HTTP door (functions/http.ts), whose status code tells Workflows what to do, so
 * `http.default_retry` retries only what a retry can fix: 200 routes in place and exported; 503 a
 * transient API failure (retry); 422 the reconcile ran but the path is not usable (no eligible NAT
 * VM, the peer does not receive the routes, a configuration problem, a refused permission) — a
 * person or the next tick must act; 500 a bug. A reconcile still running when the time budget ends
 * answers 503: calling again joins or repeats it.
 */
import { http } from '@google-cloud/functions-framework';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { NatRoutesService } from '../../shared/nat-routes/service.js';
import { createLogger } from '../../shared/log.js';
import { door } from '../http.js';
import { lazyService } from '../runtime.js';

const service = lazyService('natRoutesSync', (env) => {
  const cfg = loadNatRoutesConfig(env);
  const log = createLogger(cfg.logLevel);
  return { log, routes: new NatRoutesService(cfg, log, { name: 'natRoutesSync' }) };
});

/** The reconcile outlived NETREFLEX_SETTLE_TIMEOUT_SECONDS: calling again joins or repeats it. */
class StillReconciling extends Error {
  readonly failureKind = 'transient';
}

export const natRoutesSync = door(
  { name: 'natRoutesSync', example: '{"reason": "pipeline run nightly"}', log: () => service().log },
  async (_body, req) => {
    // The reconcile logs its own line (one per reconcile, whoever joined it).
    const report = await service().routes.sync({
      id: String(req.get?.('x-cloud-trace-context') ?? 'natRoutesSync'),
      why: 'natRoutesSync request',
    });
    if (!report)
      throw new StillReconciling('the reconcile did not finish within NETREFLEX_SETTLE_TIMEOUT_SECONDS; call again');
    return report;
  },
);

http('natRoutesSync', natRoutesSync);
