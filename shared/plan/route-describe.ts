/** The one-line story of a natRoutes reconcile, for its log message: every pass's changes, every event it served. */
import type { RouteReport } from './route-report.js';

/** `ok: +2 -1 routes (3 mutations, 1 passes, 2 events)`, then every reason and warning. */
export function describeReport(report: RouteReport, events: number): string {
  const done = (change: string) => report.results.filter((r) => r.change === change && r.ok && !r.noop).length;
  const holds = done('hold-insert') + done('hold-delete');
  const line =
    `${report.status}: +${done('insert')} -${done('delete')} routes (${report.mutations} ` +
    `mutations${holds ? `, ${holds} hold markers` : ''}, ${report.passes} passes, ${events} event${events === 1 ? '' : 's'})`;
  const why = [...report.reasons, ...report.warnings];
  return `${line}${why.length ? `; ${why.join('; ')}` : ''}`;
}
