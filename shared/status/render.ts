/** The status as a person reads it in a terminal: one line per link, its details indented below. */
import type { LinkState, StatusReport } from './types.js';

const MARK: Record<LinkState, string> = { ok: 'OK    ', broken: 'BROKEN', 'not-checked': 'SKIP  ' };

export function renderStatus(report: StatusReport): string {
  const lines = [`netreflex status: ${report.project} ${report.region} network ${report.network}: ${report.ok ? 'egress path OK' : 'egress path BROKEN'}`, ''];
  report.links.forEach((link, i) => {
    lines.push(`${i + 1}. [${MARK[link.state]}] ${link.title}: ${link.reason}`);
    for (const d of link.details) lines.push(`      ${d}`);
  });
  return lines.join('\n');
}
