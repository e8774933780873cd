/** `netreflex plan routes` / `apply routes`: the natRoutes reconcile, run from a terminal. */
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { Transport } from '../../shared/gcp/transport.js';
import { reconcileRoutes } from '../../shared/nat-routes/reconcile.js';
import type { RouteReport } from '../../shared/plan/route-report.js';
import { appliedCell, table } from '../table.js';
import type { Target, TargetOptions, TargetResult } from './types.js';

function render(report: RouteReport, json: boolean): TargetResult {
  const exitCode = report.status === 'ok' ? 0 : 1;
  if (json) return { output: JSON.stringify(report, null, 2), exitCode };
  const p = report.plan;
  const lines = [
    table(
      ['NAT instance', 'status', 'action', 'health', 'eligible', 'routes'],
      report.instances.map((i) => [
        i.name,
        i.instanceStatus,
        i.currentAction,
        i.health,
        i.eligible ? 'yes' : 'no',
        i.state,
      ]),
    ),
    '',
    p.inserts.length + p.deletes.length + p.holds.inserts.length + p.holds.deletes.length === 0
      ? `No changes: ${p.keeps} routes already as desired.`
      : table(
          ['change', 'route'],
          [
            ...p.inserts.map((n) => ['insert', n]),
            ...p.deletes.map((n) => ['delete', n]),
            ...p.holds.inserts.map((n) => ['start hold', n]),
            ...p.holds.deletes.map((n) => ['end hold', n]),
          ],
        ),
  ];
  if (report.loadBalancer)
    lines.push(
      '',
      table(
        ['load balancer backend', 'health'],
        report.loadBalancer.backends.map((b) => [b.instance?.split('/').pop(), b.healthState]),
      ),
    );
  if (report.blocked.length)
    lines.push(
      '',
      table(
        ['blocked', 'by', 'fix'],
        report.blocked.map((b) => [b.what, b.by, b.fix]),
      ),
    );
  if (report.warnings.length) lines.push('', ...report.warnings.map((w) => `Warning: ${w}`));
  if (report.results.length)
    lines.push(
      '',
      table(
        ['applied', 'route', 'ok', 'ms', 'error'],
        report.results.map((r) => [r.change, r.name, appliedCell(r), r.ms, r.error]),
      ),
    );
  if (report.export)
    lines.push(
      '',
      `Peering ${report.export.peering}: exportCustomRoutes=${report.export.exportCustomRoutes}${report.export.enabledNow ? ' (enabled now)' : ''}; peer receives ${report.export.exported.length}/${report.export.exported.length + report.export.missing.length} destinations${report.export.missing.length ? ` (missing: ${report.export.missing.join(', ')})` : ''}`,
    );
  lines.push(
    `Status: ${report.status}${report.reasons.length ? ` — ${report.reasons.join('; ')}` : ''}${report.dryRun ? ' (plan only)' : ''}`,
  );
  return { output: lines.join('\n'), exitCode };
}

async function run(opts: TargetOptions, dryRun: boolean): Promise<TargetResult> {
  const cfg = loadNatRoutesConfig(opts.env);
  const transport = new Transport({ emulatorHost: cfg.emulatorHost, region: cfg.region });
  return render(await reconcileRoutes(transport, cfg, { dryRun }), opts.json);
}

export const routesTarget: Target = {
  plan: (opts) => run(opts, true),
  apply: (opts) => run(opts, false),
};
