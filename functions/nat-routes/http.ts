/**
 * natRoutesSync: the route reconciler's sync-and-verify as an HTTP call, for the workflow that
 * prepares a pipeline run (`workflows/vertex-pipeline-run.yaml`): one reconcile (settling while
 * NAT VMs are mid-action), then the peering export read back, answered as the RouteReport JSON.
 *
 * The status code tells Workflows what to do, so `http.default_retry` retries only what a retry
 * can fix: 200 routes in place and exported; 503 a transient API failure (retry); 422 the
 * reconcile ran but the path is not usable (no eligible NAT VM, the peer does not receive the
 * routes, a configuration problem) — a person or the next tick must act; 500 anything else.
 */
import { http, type Request, type Response } from '@google-cloud/functions-framework';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { NatRoutesService } from '../../shared/nat-routes/service.js';
import type { RouteReport } from '../../shared/nat-routes/reconcile.js';
import { ConfigError, SafetyError, errorMessage, isTransient } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

const service = lazyService('natRoutesSync', (env) => {
  const cfg = loadNatRoutesConfig(env);
  const log = createLogger(cfg.logLevel);
  return { log, routes: new NatRoutesService(cfg, log) };
});

/** The HTTP status a report answers with (see the module comment). */
export function statusOf(report: RouteReport): number {
  if (report.status === 'ok') return 200;
  if (report.status === 'degraded') return 422;
  return report.results.some((r) => !r.ok && r.transient) ? 503 : 500;
}

export async function natRoutesSync(req: Request, res: Response): Promise<void> {
  const { log, routes } = service();
  if (req.method !== 'POST') {
    res.status(405).json({ error: 'natRoutesSync: use POST (the workflow calls it with http.post)' });
    return;
  }
  try {
    const report = await routes.sync();
    const code = statusOf(report);
    log[code === 200 ? 'info' : 'warn']({ status: report.status, reasons: report.reasons, plan: report.plan, export: report.export }, `natRoutesSync: ${report.status}${report.reasons.length ? `: ${report.reasons.join('; ')}` : ''}`);
    res.status(code).json(report);
  } catch (err) {
    const code = isTransient(err) ? 503 : err instanceof ConfigError || err instanceof SafetyError ? 422 : 500;
    log.error({ error: errorMessage(err), code }, 'natRoutesSync: reconcile failed');
    res.status(code).json({ status: 'failed', reasons: [errorMessage(err)] });
  }
}

http('natRoutesSync', natRoutesSync);
