/**
 * The VPC A side of the chain: the PSA ranges the Vertex nodes get their IPs from (and how many
 * jobs they hold), the peering that must export the custom routes, and the routes to each
 * destination with the health of their next hops.
 */
import type { Transport } from '../gcp/transport.js';
import { listGlobalAddresses, type GlobalAddress } from '../gcp/addresses.js';
import { vertexRangesOf } from '../peering-ranges/vertex-ranges.js';
import { DEFAULT_RANGE_OPTIONS } from '../plan/ranges-types.js';
import { getNetwork, listPeeringRoutes, type Peering } from '../gcp/networks.js';
import { listRoutes, type Route } from '../gcp/routes.js';
import type { ManagedInstance } from '../gcp/instance-groups.js';
import { capacityOf, NODE_TIERS } from '../plan/capacity.js';
import { isEligible } from '../plan/routes.js';
import { natInstanceOf } from '../nat-routes/observe.js';
import type { Link, LinkState, StatusConfig } from './types.js';
import { broken, ok, unknown, unreadableLink, type LinkHead } from './link.js';
import { judgeIlb, type IlbVerdict } from './ilb-hops.js';

const onNetwork = (url: string | undefined, network: string) => url !== undefined && (url === network || url.endsWith(`/networks/${network}`));

const PSA: LinkHead = { id: 'psa-ranges', title: 'PSA ranges and capacity' };
const PEERING: LinkHead = { id: 'peering-export', title: 'Peering export' };
const ROUTES: LinkHead = { id: 'routes', title: 'Routes to the destinations' };

/**
 * The PSA ranges Vertex may use on the network and the jobs they hold — through the same
 * observation peeringRanges plans from (shared/peering-ranges/vertex-ranges.ts), so a Cloud SQL range on the
 * network is listed but never counted as Vertex capacity.
 */
export async function psaRangesLink(t: Transport, cfg: StatusConfig): Promise<Link> {
  let all: GlobalAddress[];
  try {
    all = await listGlobalAddresses(t, cfg.project);
  } catch (err) {
    return unreadableLink(PSA, 'the PSA ranges (globalAddresses.list)', ['compute.globalAddresses.list'], err, cfg);
  }
  const { vertex, other } = vertexRangesOf(all, cfg.network, { vertexRangeNames: cfg.vertexRangeNames, namePrefix: DEFAULT_RANGE_OPTIONS.namePrefix });
  const others = other.map((r) => `${r.name} ${r.cidr}: another service's PSA range, not counted`);
  if (!vertex.length) return broken(PSA, `no PSA range Vertex may use on ${cfg.network}${other.length ? ` (${other.length} other VPC_PEERING range(s) are not Vertex's)` : ''}`, 'reserve one for Private Service Access: netreflex apply ranges (or terraform-bootstrap/psa.tf)', others);
  const details = [...vertex.map((r) => `${r.name} ${r.cidr}: ${NODE_TIERS.map((n) => `${capacityOf([r], n)} jobs of ≤${n} nodes`).join(', ')}`), ...others];
  const capacity = capacityOf(vertex, cfg.nodesPerJob);
  const summary = `${vertex.length} Vertex range(s), room for ${capacity} concurrent job(s) of ≤${cfg.nodesPerJob} nodes`;
  if (cfg.jobs !== undefined && capacity < cfg.jobs) {
    return broken(PSA, `${summary}, fewer than the ${cfg.jobs} wanted`, `add a range: netreflex apply ranges --jobs ${cfg.jobs} --nodes-per-job ${cfg.nodesPerJob}`, details);
  }
  return ok(PSA, summary, details);
}

export async function peeringExportLink(t: Transport, cfg: StatusConfig): Promise<Link> {
  let peering: Peering | undefined;
  try {
    peering = (await getNetwork(t, cfg.project, cfg.network)).peerings?.find((p) => p.name === cfg.peering);
  } catch (err) {
    return unreadableLink(PEERING, `network ${cfg.network}`, ['compute.networks.get'], err, cfg);
  }
  if (!peering) return broken(PEERING, `${cfg.network} has no peering ${cfg.peering}`, 'create the Private Service Access connection (terraform-bootstrap/psa.tf, or gcloud services vpc-peerings connect)');
  const details = [`${peering.name}: state ${peering.state}, exportCustomRoutes ${peering.exportCustomRoutes === true}`];
  if (peering.state !== 'ACTIVE') return broken(PEERING, `peering ${cfg.peering} is ${peering.state}, not ACTIVE`, 'recreate the Private Service Access connection; an inactive peering carries no traffic', details);
  if (!peering.exportCustomRoutes) return broken(PEERING, `peering ${cfg.peering} does not export custom routes: the Vertex nodes never see the routes to the NAT VMs`, 'netreflex apply routes turns exportCustomRoutes on (NETREFLEX_EXPORT_MODE=ensure)', details);
  let sent: Set<string>;
  try {
    sent = new Set((await listPeeringRoutes(t, cfg.project, cfg.network, cfg.peering, cfg.region, 'OUTGOING')).map((r) => r.destRange));
  } catch (err) {
    return unreadableLink(PEERING, `the routes ${cfg.peering} exports (listPeeringRoutes)`, ['compute.networks.listPeeringRoutes'], err, cfg, details);
  }
  const missing = cfg.destinations.filter((d) => !sent.has(d));
  details.push(...cfg.destinations.map((d) => `${d}: ${sent.has(d) ? 'exported' : 'NOT exported'}`));
  if (missing.length) return broken(PEERING, `the peer does not receive ${missing.join(', ')}: no exportable (untagged) route to it`, 'netreflex apply routes creates untagged routes to every destination', details);
  return ok(PEERING, `exports all ${cfg.destinations.length} destination(s)`, details);
}

/** Healthy is the rule natRoutes routes by: RUNNING, no action under way, HEALTHY when health-checked. */
export const isHealthy = (mi: ManagedInstance): boolean => isEligible(natInstanceOf(mi), true);

export function describeInstance(mi: ManagedInstance): string {
  const { instanceStatus, currentAction, health } = natInstanceOf(mi);
  return [instanceStatus ?? 'UNKNOWN', currentAction && currentAction !== 'NONE' ? currentAction : undefined, health].filter(Boolean).join(', ');
}

/** A route's next hop: fine, dropping traffic, or not judged because the NAT VMs could not be read. */
interface HopVerdict {
  state: LinkState;
  why: string;
  /** What to do, when it differs from the routes' usual fix (a load balancer's). */
  fix?: string;
}

const REBUILD_FIX = 'netreflex apply routes rebuilds them on the healthy NAT VMs (natRoutes does it on the next event or tick; check its logs if it does not)';

/**
 * `instances` undefined means the NAT VMs could not be read: a route to a NAT VM is then unknown,
 * never ok — its next hop may be stopped.
 */
export async function routesLink(t: Transport, cfg: StatusConfig, instances: ManagedInstance[] | undefined): Promise<Link> {
  let routes: Route[];
  try {
    routes = (await listRoutes(t, cfg.project)).filter((r) => onNetwork(r.network, cfg.network));
  } catch (err) {
    return unreadableLink(ROUTES, 'the routes (routes.list)', ['compute.routes.list'], err, cfg);
  }
  // ilb mode: a route to the load balancer is as good as the load balancer's backends (ilb-hops.ts).
  const ilbHops = [...new Set(routes.filter((r) => cfg.destinations.includes(r.destRange) && !r.tags?.length && r.nextHopIlb).map((r) => r.nextHopIlb!))];
  const ilbs = new Map(await Promise.all(ilbHops.map(async (hop) => [hop, await judgeIlb(t, cfg, hop)] as const)));
  const details: string[] = [];
  const verdicts = cfg.destinations.flatMap((dest) => judgeDestination(dest, routes.filter((r) => r.destRange === dest), instances, ilbs, details));
  details.push(...[...ilbs.values()].flatMap((v) => v.details));
  const fixes = (state: LinkState, fallback: string) => [...new Set(verdicts.filter((v) => v.state === state).map((v) => v.fix ?? fallback))].join('; ');
  const bad = verdicts.filter((v) => v.state === 'broken').map((v) => v.why);
  if (bad.length) return broken(ROUTES, [...new Set(bad)].join('; '), fixes('broken', REBUILD_FIX), details);
  const blind = verdicts.filter((v) => v.state === 'unknown');
  if (blind.length) {
    const hops = blind.filter((v) => !v.fix).length;
    const why = [...(hops ? [`routes exist, but ${hops} next hop(s) could not be judged: the NAT VMs could not be read`] : []), ...new Set(blind.filter((v) => v.fix).map((v) => v.why))];
    return unknown(ROUTES, why.join('; '), fixes('unknown', 'make "NAT VMs" readable first (see its fix)'), details);
  }
  const lbs = [...ilbs.values()].map((v) => v.why);
  return ok(ROUTES, lbs.length ? `every destination has a route; ${lbs.join('; ')}` : 'every destination has a route and every next hop is healthy', details);
}

function judgeDestination(dest: string, routes: Route[], instances: ManagedInstance[] | undefined, ilbs: ReadonlyMap<string, IlbVerdict>, details: string[]): HopVerdict[] {
  const usable = routes.filter((r) => !r.tags?.length);
  if (!usable.length) {
    details.push(`${dest}: no untagged route${routes.length ? ` (${routes.length} tagged, never exported)` : ''}`);
    return [{ state: 'broken', why: `no exportable route to ${dest}` }];
  }
  return usable.map((r) => {
    const verdict = judgeHop(r, instances, ilbs);
    details.push(`${dest} → ${hopName(r)} (${r.name}): ${verdict.state === 'ok' ? 'ok' : verdict.why}`);
    return verdict.state === 'ok' ? verdict : { ...verdict, why: verdict.fix ? verdict.why : `${dest} → ${hopName(r)}: ${verdict.why}` };
  });
}

function hopName(r: Route): string {
  const hop = r.nextHopInstance ?? r.nextHopIlb ?? r.nextHopIp ?? r.nextHopGateway ?? '(no next hop)';
  return hop.split('/').pop() ?? hop;
}

function judgeHop(r: Route, instances: ManagedInstance[] | undefined, ilbs: ReadonlyMap<string, IlbVerdict>): HopVerdict {
  const warned = r.warnings?.length ? ` (route warnings: ${r.warnings.map((w) => w.code).join(', ')})` : '';
  const lb = r.nextHopIlb ? ilbs.get(r.nextHopIlb) : undefined;
  if (lb && lb.state !== 'ok') return { state: lb.state, why: lb.why, ...(lb.fix ? { fix: lb.fix } : {}) };
  const name = r.nextHopInstance?.split('/').pop();
  const mi = name ? instances?.find((i) => i.instance === r.nextHopInstance || i.instance.split('/').pop() === name) : undefined;
  if (r.nextHopInstance && instances && !mi) return { state: 'broken', why: `next hop is not a NAT MIG instance (deleted or foreign)${warned}` };
  if (mi && !isHealthy(mi)) return { state: 'broken', why: `next hop is ${describeInstance(mi)}: traffic sent to it is dropped${warned}` };
  if (warned) return { state: 'broken', why: warned.trim().replace(/^\(|\)$/g, '') };
  if (r.nextHopInstance && !instances) return { state: 'unknown', why: 'next hop health not checked (NAT VMs unreadable)' };
  return { state: 'ok', why: '' };
}
