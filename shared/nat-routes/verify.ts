/**
 * The last mile: routes only help the Vertex nodes if the PSA peering exports them. Ensures
 * `exportCustomRoutes` (or only reports it in verify-only mode), then reads what the peer
 * actually receives with `listPeeringRoutes(direction=OUTGOING)` and names every destination
 * that is missing. What is wrong with what it read is a planner's verdict (shared/plan/route-export.ts).
 */
import type { Transport } from '../gcp/transport.js';
import { getNetwork, listPeeringRoutes, setPeeringExport } from '../gcp/networks.js';
import type { NatRoutesView } from '../config/nat-routes.js';
import { ConfigError } from '../errors.js';
import type { ExportReport } from '../plan/route-export.js';

export async function ensureAndVerifyExport(t: Transport, cfg: NatRoutesView, dryRun: boolean): Promise<ExportReport> {
  const network = await getNetwork(t, cfg.project, cfg.network);
  const peering = network.peerings?.find((p) => p.name === cfg.peering);
  if (!peering) {
    throw new ConfigError(
      `network ${cfg.network} has no peering named ${cfg.peering}; set NETREFLEX_PEERING to one of: ` +
        ((network.peerings ?? []).map((p) => p.name).join(', ') ||
          '(none — create the Private Service Access connection first)'),
    );
  }
  let exportCustomRoutes = peering.exportCustomRoutes === true;
  let enabledNow = false;
  if (!exportCustomRoutes && cfg.exportMode === 'ensure' && !dryRun) {
    await setPeeringExport(t, cfg.project, cfg.network, cfg.peering, true);
    exportCustomRoutes = enabledNow = true;
  }
  const outgoing = await listPeeringRoutes(t, cfg.project, cfg.network, cfg.peering, cfg.region, 'OUTGOING');
  const ranges = new Set(outgoing.map((r) => r.destRange));
  const exported = cfg.destinations.filter((d) => ranges.has(d));
  const missing = cfg.destinations.filter((d) => !ranges.has(d));
  return { peering: cfg.peering, state: peering.state, exportCustomRoutes, enabledNow, exported, missing };
}
