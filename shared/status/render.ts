/** The status as a person reads it in a terminal: one line per link, its fix and details below. */
import type { LinkState, StatusReport } from './types.js';

const MARK: Record<LinkState, string> = { ok: 'OK     ', broken: 'BROKEN ', unknown: 'UNKNOWN' };

const HEADLINE: Record<LinkState, (r: StatusReport) => string> = {
  ok: () => 'egress path OK',
  broken: (r) => `egress path BROKEN${unknownCount(r) ? ` (and ${unknownCount(r)} link(s) UNKNOWN)` : ''}`,
  unknown: (r) => `egress path UNKNOWN: ${unknownCount(r)} link(s) could not be checked`,
};

const unknownCount = (r: StatusReport) => r.links.filter((l) => l.state === 'unknown').length;

export function renderStatus(report: StatusReport, checkedAt?: string): string {
  const at = checkedAt ? ` (${checkedAt})` : '';
  const lines = [
    `netreflex status: ${report.project} ${report.region} network ${report.network}: ${HEADLINE[report.state](report)}${at}`,
    '',
  ];
  report.links.forEach((link, i) => {
    lines.push(`${i + 1}. [${MARK[link.state]}] ${link.title}: ${link.reason}`);
    if (link.fix) lines.push(`      fix: ${link.fix}`);
    for (const d of link.details) lines.push(`      ${d}`);
  });
  return lines.join('\n');
}
