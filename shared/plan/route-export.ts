/**
 * natRoutes' verdict on the PSA peering's export, pure: what the peering read back
 * (shared/nat-routes/verify.ts reads it, and turns export on in `ensure` mode) says is wrong, in
 * the words natRoutes degrades its report by and `netreflex status` reports — one verdict for both.
 */
import type { NatRoutesView } from '../config/nat-routes.js';

/** The peering as read back: its state, whether it exports custom routes, and which destinations the peer receives. */
export interface ExportReport {
  peering: string;
  /** The peering's state as Google reports it (ACTIVE, INACTIVE). */
  state: string;
  exportCustomRoutes: boolean;
  /** True when this run turned export on. */
  enabledNow: boolean;
  exported: string[];
  missing: string[];
}

/**
 * What is wrong with the export. `planned`: a dry run, whose missing destinations are the routes
 * its plan would add, so they are not a problem of the export.
 */
export function exportProblems(
  cfg: Pick<NatRoutesView, 'peering' | 'exportMode'>,
  exp: ExportReport,
  planned = false,
): string[] {
  if (exp.state !== 'ACTIVE')
    return [`peering ${cfg.peering} is ${exp.state}, not ACTIVE: an inactive peering carries no traffic`];
  if (!exp.exportCustomRoutes)
    return [
      `peering ${cfg.peering} does not export custom routes` +
        (cfg.exportMode === 'verify-only' ? ' (verify-only mode: enable exportCustomRoutes on the peering)' : ''),
    ];
  if (exp.missing.length && !planned) return [`the peer does not receive: ${exp.missing.join(', ')}`];
  return [];
}
