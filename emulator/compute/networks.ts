/**
 * VPC networks, subnetworks and their peerings. `listPeeringRoutes` applies the exchange rules of
 * VPC Network Peering: subnet routes always cross; static routes cross only when the peering has
 * `exportCustomRoutes`, never when they carry network tags, and never when their next hop is the
 * default internet gateway — the rules netreflex's routes depend on to reach the Vertex nodes.
 */
import { badRequest, notFound } from '../errors.js';
import type { Router } from '../http.js';
import { computePath, computeUrl, type Resource } from '../store.js';
import { globalCol, regionCol, type ComputeContext } from './context.js';
import { listResponse, paginate } from './list.js';
import { getResource } from './resources.js';
import { lastSegment, requireObject } from './validate.js';

export interface Peering {
  name: string;
  network: string;
  state: string;
  exportCustomRoutes: boolean;
  importCustomRoutes: boolean;
  exchangeSubnetRoutes: boolean;
  [k: string]: unknown;
}

/** Routes the peer side exports to us (what `direction=INCOMING` shows), kept beside the peering. */
export interface RemoteRoute {
  destRange: string;
  type: 'SUBNET_PEERING_ROUTE' | 'STATIC_PEERING_ROUTE' | 'DYNAMIC_PEERING_ROUTE';
  nextHopRegion?: string;
  priority?: number;
}

export function getNetwork(ctx: ComputeContext, project: string, name: string): Resource {
  return getResource(ctx, globalCol(project, 'networks'), name);
}

function updatePeering(ctx: ComputeContext, project: string, network: string, body: unknown) {
  const peering = requireObject(requireObject(body, 'networksUpdatePeeringRequestResource').networkPeering, 'networkPeering');
  const name = peering.name;
  const net = getNetwork(ctx, project, network);
  const existing = (net.peerings as Peering[] | undefined)?.find((p) => p.name === name);
  if (!existing) throw badRequest(`Invalid value for field 'networkPeering.name': '${String(name)}'. Peering does not exist on network '${network}'.`);
  const allowed = ['exportCustomRoutes', 'importCustomRoutes', 'exportSubnetRoutesWithPublicIp', 'importSubnetRoutesWithPublicIp', 'stackType'];
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.networks.updatePeering',
    operationType: 'updatePeering',
    targetLink: computeUrl(`${globalCol(project, 'networks')}/${network}`),
    apply: () =>
      ctx.store.update(globalCol(project, 'networks'), network, (n) => {
        const p = (n.peerings as Peering[]).find((x) => x.name === name)!;
        for (const key of allowed) if (key in peering) p[key] = peering[key];
      }),
  });
}

/** Static routes of `network` that a peering with export enabled hands to the peer. */
export function exportedStaticRoutes(ctx: ComputeContext, project: string, network: string): Resource[] {
  const netUrl = computeUrl(`${globalCol(project, 'networks')}/${network}`);
  return ctx.store.list(globalCol(project, 'routes')).filter((r) => r.network === netUrl && !(Array.isArray(r.tags) && r.tags.length > 0) && !isInternetGateway(r.nextHopGateway) && !r.nextHopNetwork && !r.nextHopPeering);
}

const isInternetGateway = (gw: unknown) => typeof gw === 'string' && gw.endsWith('/global/gateways/default-internet-gateway');

function listPeeringRoutes(ctx: ComputeContext, project: string, network: string, q: URLSearchParams) {
  const net = getNetwork(ctx, project, network);
  const peeringName = q.get('peeringName');
  const region = q.get('region');
  if (!peeringName) throw badRequest(`Required field 'peeringName' not specified`, 'required');
  if (!region) throw badRequest(`Required field 'region' not specified`, 'required');
  const direction = q.get('direction') ?? 'INCOMING';
  if (direction !== 'INCOMING' && direction !== 'OUTGOING') throw badRequest(`Invalid value for field 'direction': '${direction}'.`);
  const peering = (net.peerings as Peering[] | undefined)?.find((p) => p.name === peeringName);
  if (!peering) throw notFound(`peering ${peeringName} of network ${network}`);
  const items: ExchangedRoute[] = direction === 'OUTGOING' ? outgoing(ctx, project, network, peering, region) : incoming(peering);
  const page = paginate(items, { maxResults: q.get('maxResults'), pageToken: q.get('pageToken') });
  return { kind: 'compute#exchangedPeeringRoutesList', id: `${network}/${peeringName}`, items: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}), selfLink: computeUrl(`${globalCol(project, 'networks')}/${network}/listPeeringRoutes`) };
}

interface ExchangedRoute { destRange: string; type: string; nextHopRegion?: string; priority: number; imported: boolean }

function outgoing(ctx: ComputeContext, project: string, network: string, peering: Peering, region: string) {
  const netUrl = computeUrl(`${globalCol(project, 'networks')}/${network}`);
  const subnets = ctx.store
    .list(regionCol(project, region, 'subnetworks'))
    .filter((s) => s.network === netUrl)
    .map((s) => ({ destRange: String(s.ipCidrRange), type: 'SUBNET_PEERING_ROUTE', nextHopRegion: region, priority: 0, imported: false }));
  if (!peering.exportCustomRoutes) return subnets;
  const statics = exportedStaticRoutes(ctx, project, network).map((r) => ({ destRange: String(r.destRange), type: 'STATIC_PEERING_ROUTE', nextHopRegion: region, priority: Number(r.priority), imported: false }));
  return [...subnets, ...statics];
}

function incoming(peering: Peering) {
  const remote = (peering.remoteRoutes as RemoteRoute[] | undefined) ?? [];
  return remote
    .filter((r) => r.type === 'SUBNET_PEERING_ROUTE' || peering.importCustomRoutes)
    .map((r) => ({ destRange: r.destRange, type: r.type, nextHopRegion: r.nextHopRegion, priority: r.priority ?? 0, imported: true }));
}

/** Peering resources as the API shows them (remote routes are emulator-internal). */
function publicNetwork(net: Resource): Resource {
  const peerings = (net.peerings as Peering[] | undefined)?.map(({ remoteRoutes: _r, ...p }) => p);
  return peerings ? { ...net, peerings } : net;
}

export function registerNetworks(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}';
  router.on('GET', `${base}/global/networks`, 'compute.networks.list', (r) =>
    listResponse('compute#networkList', globalCol(r.params.project!, 'networks'), ctx.store.list(globalCol(r.params.project!, 'networks')).map(publicNetwork), r.query),
  );
  router.on('GET', `${base}/global/networks/{network}`, 'compute.networks.get', (r) => publicNetwork(getNetwork(ctx, r.params.project!, r.params.network!)));
  router.on('PATCH', `${base}/global/networks/{network}/updatePeering`, 'compute.networks.updatePeering', (r) => updatePeering(ctx, r.params.project!, r.params.network!, r.body));
  router.on('GET', `${base}/global/networks/{network}/listPeeringRoutes`, 'compute.networks.listPeeringRoutes', (r) => listPeeringRoutes(ctx, r.params.project!, r.params.network!, r.query));
  router.on('GET', `${base}/regions/{region}/subnetworks`, 'compute.subnetworks.list', (r) => {
    const col = regionCol(r.params.project!, r.params.region!, 'subnetworks');
    return listResponse('compute#subnetworkList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/regions/{region}/subnetworks/{subnetwork}`, 'compute.subnetworks.get', (r) => getResource(ctx, regionCol(r.params.project!, r.params.region!, 'subnetworks'), r.params.subnetwork!));
}

/** The network a URL or partial path names, as `{project, name}`. */
export function networkRef(urlOrPath: string, project: string): { project: string; name: string } {
  const partial = computePath(urlOrPath);
  const path = partial.startsWith('global/') ? `projects/${project}/${partial}` : partial;
  const m = /^projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(path);
  if (!m) throw badRequest(`Invalid value for field 'resource.network': '${urlOrPath}'. The URL is malformed.`);
  return { project: m[1]!, name: lastSegment(m[2]!) };
}
