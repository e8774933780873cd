/**
 * natRoutesSync: the route reconciler's sync-and-verify as an HTTP call, for the workflow that
 * prepares a pipeline run (`workflows/vertex-pipeline-run.yaml`): one reconcile (settling while
 * NAT VMs are mid-action), then the peering export read back, answered as the RouteReport JSON.
 *
 * The status code tells Workflows what to do, so `http.default_retry` retries only what a retry
 * can fix — the kernel's one table (shared/reconcile/report.ts): 200 routes in place and exported;
 * 503 a transient API failure (retry); 422 the reconcile ran but the path is not usable (no
 * eligible NAT VM, the peer does not receive the routes, a configuration problem, a refused
 * permission) — a person or the next tick must act; 500 a bug. A reconcile still running when the
 * time budget ends answers 503: calling again joins or repeats it.
 */
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { NatRoutesService } from '../../shared/nat-routes/service.js';
import type { RouteReport } from '../../shared/nat-routes/reconcile.js';
import { errorMessage } from '../../shared/errors.js';
import { failureOf, httpStatus } from '../../shared/reconcile/report.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

const service = lazyService('natRoutesSync', (env) => {
  const cfg = loadNatRoutesConfig(env);
  const log = createLogger(cfg.logLevel);
  return { log, routes: new NatRoutesService(cfg, log, { name: 'natRoutesSync' }) };
});

/** The HTTP status a report answers with (see the module comment); no report yet = still reconciling, 503. */
export function statusOf(report: RouteReport | undefined): number {
  return report ? httpStatus(report) : 503;
}

export async function natRoutesSync(req: Request, res: Response): Promise<void> {
  const { log, routes } = service();
  if (req.method !== 'POST') {
    res.status(405).json({ error: 'natRoutesSync: use POST (the workflow calls it with http.post)' });
    return;
  }
  try {
    // The reconcile logs its own line (one per reconcile, whoever joined it).
    const report = await routes.sync({
      id: String(req.get?.('x-cloud-trace-context') ?? 'natRoutesSync'),
      why: 'natRoutesSync request',
    });
    res.status(statusOf(report)).json(
      report ?? {
        status: 'failed',
        reasons: ['the reconcile did not finish within NETREFLEX_SETTLE_TIMEOUT_SECONDS; call again'],
      },
    );
  } catch (err) {
    const error = failureOf(err);
    const code = httpStatus({ status: 'failed', retry: error.transient, error });
    log.error({ error: errorMessage(err), code }, 'natRoutesSync: reconcile failed');
    res.status(code).json({ status: 'failed', reasons: [errorMessage(err)] });
  }
}

http('natRoutesSync', natRoutesSync);
