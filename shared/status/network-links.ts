/**
 * The VPC A side of the chain: the PSA ranges the Vertex nodes get their IPs from (and how many
 * jobs they hold), the peering that must export the custom routes, and the routes to each
 * destination with the health of their next hops.
 */
import type { Transport } from '../gcp/transport.js';
import { listGlobalAddresses, type GlobalAddress } from '../gcp/addresses.js';
import { getNetwork, listPeeringRoutes } from '../gcp/networks.js';
import { listRoutes, type Route } from '../gcp/routes.js';
import type { ManagedInstance } from '../gcp/instance-groups.js';
import { capacityOf, NODE_TIERS } from '../plan/capacity.js';
import { isEligible } from '../plan/routes.js';
import { natInstanceOf } from '../nat-routes/observe.js';
import type { Link, StatusConfig } from './types.js';
import { notCheckedReason } from './errors.js';

const onNetwork = (url: string | undefined, network: string) => url !== undefined && (url === network || url.endsWith(`/networks/${network}`));

export async function psaRangesLink(t: Transport, cfg: StatusConfig): Promise<Link> {
  const link: Link = { id: 'psa-ranges', title: 'PSA ranges and capacity', state: 'ok', reason: '', details: [] };
  let all: GlobalAddress[];
  try {
    all = await listGlobalAddresses(t, cfg.project);
  } catch (err) {
    return { ...link, state: 'not-checked', reason: notCheckedReason('globalAddresses.list', err) };
  }
  const ranges = all.filter((a) => a.purpose === 'VPC_PEERING' && onNetwork(a.network, cfg.network) && a.prefixLength !== undefined) as (GlobalAddress & { prefixLength: number })[];
  if (!ranges.length) return { ...link, state: 'broken', reason: `no allocated range (purpose VPC_PEERING) on ${cfg.network}: reserve one for Private Service Access (netreflex plan ranges)` };
  link.details = ranges.map((r) => `${r.name} ${r.address}/${r.prefixLength}: ${NODE_TIERS.map((n) => `${capacityOf([r], n)} jobs of ≤${n} nodes`).join(', ')}`);
  const capacity = capacityOf(ranges, cfg.nodesPerJob);
  link.reason = `${ranges.length} range(s), room for ${capacity} concurrent job(s) of ≤${cfg.nodesPerJob} nodes`;
  if (cfg.jobs !== undefined && capacity < cfg.jobs) {
    return { ...link, state: 'broken', reason: `${link.reason}, fewer than the ${cfg.jobs} wanted: add a range (netreflex apply ranges --jobs ${cfg.jobs} --nodes-per-job ${cfg.nodesPerJob})` };
  }
  return link;
}

export async function peeringExportLink(t: Transport, cfg: StatusConfig): Promise<Link> {
  const link: Link = { id: 'peering-export', title: 'Peering export', state: 'ok', reason: '', details: [] };
  try {
    const peering = (await getNetwork(t, cfg.project, cfg.network)).peerings?.find((p) => p.name === cfg.peering);
    if (!peering) return { ...link, state: 'broken', reason: `${cfg.network} has no peering ${cfg.peering}: create the Private Service Access connection` };
    link.details.push(`${peering.name}: state ${peering.state}, exportCustomRoutes ${peering.exportCustomRoutes === true}`);
    if (peering.state !== 'ACTIVE') return { ...link, state: 'broken', reason: `peering ${cfg.peering} is ${peering.state}, not ACTIVE` };
    if (!peering.exportCustomRoutes) return { ...link, state: 'broken', reason: `peering ${cfg.peering} does not export custom routes: the Vertex nodes never see the routes to the NAT VMs (netreflex apply routes turns it on)` };
    const sent = new Set((await listPeeringRoutes(t, cfg.project, cfg.network, cfg.peering, cfg.region, 'OUTGOING')).map((r) => r.destRange));
    const missing = cfg.destinations.filter((d) => !sent.has(d));
    link.details.push(...cfg.destinations.map((d) => `${d}: ${sent.has(d) ? 'exported' : 'NOT exported'}`));
    if (missing.length) return { ...link, state: 'broken', reason: `the peer does not receive ${missing.join(', ')}: no exportable (untagged) route to it` };
    return { ...link, reason: `exports all ${cfg.destinations.length} destination(s)` };
  } catch (err) {
    return { ...link, state: 'not-checked', reason: notCheckedReason('the network and its peering routes', err) };
  }
}

/** Healthy is the rule natRoutes routes by: RUNNING, no action under way, HEALTHY when health-checked. */
export const isHealthy = (mi: ManagedInstance): boolean => isEligible(natInstanceOf(mi), true);

export function describeInstance(mi: ManagedInstance): string {
  const { instanceStatus, currentAction, health } = natInstanceOf(mi);
  return [instanceStatus ?? 'UNKNOWN', currentAction && currentAction !== 'NONE' ? currentAction : undefined, health].filter(Boolean).join(', ');
}

export async function routesLink(t: Transport, cfg: StatusConfig, instances: ManagedInstance[] | undefined): Promise<Link> {
  const link: Link = { id: 'routes', title: 'Routes to the destinations', state: 'ok', reason: '', details: [] };
  let routes: Route[];
  try {
    routes = (await listRoutes(t, cfg.project)).filter((r) => onNetwork(r.network, cfg.network));
  } catch (err) {
    return { ...link, state: 'not-checked', reason: notCheckedReason('routes.list', err) };
  }
  const problems: string[] = [];
  for (const dest of cfg.destinations) problems.push(...judgeDestination(dest, routes.filter((r) => r.destRange === dest), instances, link.details));
  if (problems.length) return { ...link, state: 'broken', reason: problems.join('; ') };
  return { ...link, reason: `every destination has a route and every next hop is healthy` };
}

function judgeDestination(dest: string, routes: Route[], instances: ManagedInstance[] | undefined, details: string[]): string[] {
  const usable = routes.filter((r) => !r.tags?.length);
  if (!usable.length) {
    details.push(`${dest}: no untagged route${routes.length ? ` (${routes.length} tagged, never exported)` : ''}`);
    return [`no exportable route to ${dest}`];
  }
  const problems: string[] = [];
  for (const r of usable) {
    const verdict = judgeHop(r, instances);
    details.push(`${dest} → ${hopName(r)} (${r.name}): ${verdict.ok ? 'ok' : verdict.why}`);
    if (!verdict.ok) problems.push(`${dest} → ${hopName(r)}: ${verdict.why}`);
  }
  return problems;
}

function hopName(r: Route): string {
  const hop = r.nextHopInstance ?? r.nextHopIlb ?? r.nextHopIp ?? r.nextHopGateway ?? '(no next hop)';
  return hop.split('/').pop() ?? hop;
}

function judgeHop(r: Route, instances: ManagedInstance[] | undefined): { ok: boolean; why: string } {
  const warned = r.warnings?.length ? ` (route warnings: ${r.warnings.map((w) => w.code).join(', ')})` : '';
  const name = r.nextHopInstance?.split('/').pop();
  const mi = name ? instances?.find((i) => i.instance === r.nextHopInstance || i.instance.split('/').pop() === name) : undefined;
  if (r.nextHopInstance && instances && !mi) return { ok: false, why: `next hop is not a NAT MIG instance (deleted or foreign)${warned}` };
  if (mi && !isHealthy(mi)) return { ok: false, why: `next hop is ${describeInstance(mi)}: traffic sent to it is dropped (netreflex apply routes moves it)${warned}` };
  return warned ? { ok: false, why: warned.trim().replace(/^\(|\)$/g, '') } : { ok: true, why: '' };
}
