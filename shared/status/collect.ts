/**
 * Reads the whole egress path once and judges each link. Reads are independent where the chain
 * allows (the allowlists need the NAT IPs; the routes, the peering export and the NAT VMs are
 * judged from natRoutes' one dry run, the PSA ranges from peeringRanges' one dry run), so a status
 * takes about as long as its slowest read.
 */
import type { Transport } from '../gcp/transport.js';
import { psaRangesLink, peeringExportLink } from './network-links.js';
import { natRoutesDryRun, routesLink } from './routes-link.js';
import { allowlistsLink, natVmsLink, readNatIps } from './egress-links.js';
import { worstState } from './link.js';
import type { StatusConfig, StatusReport } from './types.js';

export async function collectStatus(t: Transport, cfg: StatusConfig): Promise<StatusReport> {
  const [psa, [peering, routes, vms], nat] = await Promise.all([
    psaRangesLink(t, cfg),
    natRoutesDryRun(t, cfg).then(
      async (dry) =>
        [await peeringExportLink(t, cfg, dry), routesLink(cfg, dry), await natVmsLink(t, cfg, dry)] as const,
    ),
    readNatIps(t, cfg),
  ]);
  const allowlists = await allowlistsLink(t, cfg, nat);
  const links = [psa, peering, routes, vms, nat.link, allowlists];
  const state = worstState(links);
  return { project: cfg.project, region: cfg.region, network: cfg.network, state, ok: state === 'ok', links };
}
