/**
 * VPC networks, subnetworks and their peerings. `listPeeringRoutes` applies the exchange rules of
 * VPC Network Peering: subnet routes always cross; static routes cross only when the peering has
 * `exportCustomRoutes`, never when they carry network tags, and never when their next hop is the
 * default internet gateway — the rules a route must meet to reach a peered producer (Vertex AI nodes).
 * Every exchanged route says whether the importing side takes it (`imported`); `INCOMING` lists
 * what the peer advertises (for Private Service Access: the producer's subnets, i.e. the allocated
 * ranges of the Service Networking connection).
 */
import { badRequest, notFound } from '../errors.js';
import type { Router } from '../http.js';
import { collection, computePath, computeUrl, PROJECTS, type Resource } from '../store.js';
import { globalCol, listAllOf, regionCol, type ComputeContext } from './context.js';
import { listResponse, paginate } from './list.js';
import { getResource } from './resources.js';
import { lastSegment, requireObject } from './validate.js';
import { ipv4Interval } from './addresses.js';

import type { Network, Peering, PsaConnection, RemoteRoute } from './types.js';
export type { Peering, RemoteRoute };

export function getNetwork(ctx: ComputeContext, project: string, name: string): Network {
  return getResource(ctx, globalCol(project, 'networks'), name);
}

function updatePeering(ctx: ComputeContext, project: string, network: string, body: unknown) {
  const peering = requireObject(
    requireObject(body, 'networksUpdatePeeringRequestResource').networkPeering,
    'networkPeering',
  );
  const name = peering.name;
  const net = getNetwork(ctx, project, network);
  const existing = net.peerings?.find((p) => p.name === name);
  if (!existing)
    throw badRequest(
      `Invalid value for field 'networkPeering.name': '${String(name)}'. Peering does not exist on network '${network}'.`,
    );
  const allowed = [
    'exportCustomRoutes',
    'importCustomRoutes',
    'exportSubnetRoutesWithPublicIp',
    'importSubnetRoutesWithPublicIp',
    'stackType',
  ];
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.networks.updatePeering',
    operationType: 'updatePeering',
    targetLink: computeUrl(`${globalCol(project, 'networks')}/${network}`),
    apply: () =>
      ctx.store.update(globalCol(project, 'networks'), network, (n) => {
        const p = n.peerings!.find((x) => x.name === name)!;
        for (const key of allowed) if (key in peering) p[key] = peering[key];
      }),
  });
}

/** Static routes of `network` that a peering with export enabled hands to the peer. */
export function exportedStaticRoutes(ctx: ComputeContext, project: string, network: string): Resource[] {
  const netUrl = computeUrl(`${globalCol(project, 'networks')}/${network}`);
  return ctx.store
    .list(globalCol(project, 'routes'))
    .filter(
      (r) =>
        r.network === netUrl &&
        !(Array.isArray(r.tags) && r.tags.length > 0) &&
        !isInternetGateway(r.nextHopGateway) &&
        !r.nextHopNetwork &&
        !r.nextHopPeering,
    );
}

const isInternetGateway = (gw: unknown) =>
  typeof gw === 'string' && gw.endsWith('/global/gateways/default-internet-gateway');

function listPeeringRoutes(ctx: ComputeContext, project: string, network: string, q: URLSearchParams) {
  const net = getNetwork(ctx, project, network);
  const peeringName = q.get('peeringName');
  const region = q.get('region');
  if (!peeringName) throw badRequest(`Required field 'peeringName' not specified`, 'required');
  if (!region) throw badRequest(`Required field 'region' not specified`, 'required');
  const direction = q.get('direction') ?? 'INCOMING';
  if (direction !== 'INCOMING' && direction !== 'OUTGOING')
    throw badRequest(`Invalid value for field 'direction': '${direction}'.`);
  const peering = net.peerings?.find((p) => p.name === peeringName);
  if (!peering) throw notFound(`peering ${peeringName} of network ${network}`);
  const items: ExchangedRoute[] =
    direction === 'OUTGOING'
      ? outgoing(ctx, project, network, peering, region)
      : incoming(ctx, project, network, peering, region);
  const page = paginate(items, { maxResults: q.get('maxResults'), pageToken: q.get('pageToken') });
  return {
    kind: 'compute#exchangedPeeringRoutesList',
    id: `${network}/${peeringName}`,
    items: page.items,
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    selfLink: computeUrl(`${globalCol(project, 'networks')}/${network}/listPeeringRoutes`),
  };
}

interface ExchangedRoute {
  destRange: string;
  type: string;
  nextHopRegion?: string;
  priority: number;
  imported: boolean;
}

/**
 * `imported` is the importing side's verdict (compute.proto `ExchangedPeeringRoute.imported`: "True
 * if the peering route has been imported from a peer. The actual import happens if the field
 * networkPeering.importCustomRoutes is true for this network, and networkPeering.exportCustomRoutes
 * is true for the peer network, and the import does not result in a route conflict"). Subnet
 * routes are always exchanged ("the two networks always exchange subnet routes",
 * https://cloud.google.com/vpc/docs/using-vpc-peering), so they are always imported. A custom
 * route conflicts when its destination equals or lies inside a subnet range of the importing
 * network, whose subnet route then wins (https://cloud.google.com/vpc/docs/vpc-peering, route
 * exchange: subnet routes cannot be overridden by imported custom routes).
 */
function importedBy(
  route: { destRange: string; type: string },
  importsCustom: boolean,
  importerSubnets: readonly string[],
): boolean {
  if (route.type === 'SUBNET_PEERING_ROUTE') return true;
  if (!importsCustom) return false;
  const dest = ipv4Interval(route.destRange);
  return !importerSubnets.some((s) => {
    const sub = ipv4Interval(s);
    return dest !== undefined && sub !== undefined && dest[0] >= sub[0] && dest[1] <= sub[1];
  });
}

/** What `network` advertises over `peering` (subnets always, custom statics only with export), as the peer takes it. */
function outgoing(
  ctx: ComputeContext,
  project: string,
  network: string,
  peering: Peering,
  region: string,
): ExchangedRoute[] {
  const netUrl = computeUrl(`${globalCol(project, 'networks')}/${network}`);
  const peer = peerSide(ctx, project, network, peering);
  const subnets = ctx.store
    .list(regionCol(project, region, 'subnetworks'))
    .filter((s) => s.network === netUrl)
    .map((s) => ({
      destRange: String(s.ipCidrRange),
      type: 'SUBNET_PEERING_ROUTE',
      nextHopRegion: region,
      priority: 0,
    }));
  const statics = peering.exportCustomRoutes
    ? exportedStaticRoutes(ctx, project, network).map((r) => ({
        destRange: String(r.destRange),
        type: 'STATIC_PEERING_ROUTE',
        nextHopRegion: region,
        priority: Number(r.priority),
      }))
    : [];
  return [...subnets, ...statics].map((r) => ({ ...r, imported: importedBy(r, peer.importsCustom, peer.subnets) }));
}

/**
 * What the peer advertises to `network`. For the Service Networking peering the producer's subnets
 * are carved from the allocated ranges of the connection, so each range on the connection is
 * advertised as a subnet route (plus any producer route kept beside the peering); for a peer
 * network of this emulator, its subnets and, when it exports them, its custom static routes.
 */
function incoming(
  ctx: ComputeContext,
  project: string,
  network: string,
  peering: Peering,
  region: string,
): ExchangedRoute[] {
  const own = ctx.store
    .list(regionCol(project, region, 'subnetworks'))
    .filter((s) => s.network === computeUrl(`${globalCol(project, 'networks')}/${network}`))
    .map((s) => String(s.ipCidrRange));
  const advertised = peerSide(ctx, project, network, peering).advertised(region);
  const seen = new Set<string>();
  return advertised
    .filter((r) => !seen.has(`${r.type} ${r.destRange}`) && seen.add(`${r.type} ${r.destRange}`))
    .map((r) => ({
      destRange: r.destRange,
      type: r.type,
      ...(r.nextHopRegion ? { nextHopRegion: r.nextHopRegion } : {}),
      priority: r.priority ?? 0,
      imported: importedBy(r, peering.importCustomRoutes === true, own),
    }));
}

/** The far side of a peering: whether it imports custom routes, its subnet ranges, and what it advertises. */
interface PeerSide {
  importsCustom: boolean;
  subnets: string[];
  advertised: (region: string) => RemoteRoute[];
}

function peerSide(ctx: ComputeContext, project: string, network: string, peering: Peering): PeerSide {
  const local = peerInStore(ctx, project, network, peering);
  if (local) return local;
  const remote = peering.remoteRoutes ?? [];
  const psa = psaRangeRoutes(ctx, project, network, peering);
  const advertised = [...psa, ...remote];
  return {
    // Google's producer network imports the consumer's custom routes: "export custom routes, so
    // that Vertex AI can import them" (https://cloud.google.com/vertex-ai/docs/general/vpc-peering).
    importsCustom: peering.peerImportCustomRoutes ?? isServiceNetworking(peering),
    subnets: advertised.filter((r) => r.type === 'SUBNET_PEERING_ROUTE').map((r) => r.destRange),
    advertised: () => advertised,
  };
}

/** Service Networking's connections (servicenetworking/connections.ts), by consumer network path. */
const PSA_CONNECTIONS = collection<PsaConnection>('services/servicenetworking.googleapis.com/connections');

const isServiceNetworking = (p: Peering) => /\/global\/networks\/servicenetworking$/.test(p.network);

/** The allocated ranges of the Service Networking connection of `network`, as the producer's subnet routes. */
function psaRangeRoutes(ctx: ComputeContext, project: string, network: string, peering: Peering): RemoteRoute[] {
  if (!isServiceNetworking(peering)) return [];
  const number = ctx.store.get(PROJECTS, project)?.projectNumber;
  const connection = ctx.store.get(PSA_CONNECTIONS, `projects/${String(number)}/global/networks/${network}`);
  const names = connection?.reservedPeeringRanges ?? [];
  return names.flatMap((name) => {
    const a = ctx.store.get(globalCol(project, 'addresses'), name);
    return a
      ? [{ destRange: `${String(a.address)}/${String(a.prefixLength)}`, type: 'SUBNET_PEERING_ROUTE' as const }]
      : [];
  });
}

/** A peer network held by this emulator: its own peering back decides what it imports. */
function peerInStore(ctx: ComputeContext, project: string, network: string, peering: Peering): PeerSide | undefined {
  const m = /projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(peering.network);
  const peerNet = m ? ctx.store.get(globalCol(m[1]!, 'networks'), m[2]!) : undefined;
  if (!m || !peerNet) return undefined;
  const ourUrl = computeUrl(`${globalCol(project, 'networks')}/${network}`);
  const back = peerNet.peerings?.find((p) => computePath(p.network) === computePath(ourUrl));
  const peerUrl = computeUrl(`${globalCol(m[1]!, 'networks')}/${m[2]!}`);
  const subnetsIn = (region: string) =>
    ctx.store
      .list(regionCol(m[1]!, region, 'subnetworks'))
      .filter((s) => s.network === peerUrl)
      .map((s) => String(s.ipCidrRange));
  return {
    importsCustom: back?.importCustomRoutes === true,
    subnets: listAllOf(ctx.store, 'region', 'subnetworks', m[1])
      .filter((s) => s.network === peerUrl)
      .map((s) => String(s.ipCidrRange)),
    advertised: (region) => [
      ...subnetsIn(region).map((destRange) => ({
        destRange,
        type: 'SUBNET_PEERING_ROUTE' as const,
        nextHopRegion: region,
      })),
      ...(back?.exportCustomRoutes
        ? exportedStaticRoutes(ctx, m[1]!, m[2]!).map((r) => ({
            destRange: String(r.destRange),
            type: 'STATIC_PEERING_ROUTE' as const,
            nextHopRegion: region,
            priority: Number(r.priority),
          }))
        : []),
    ],
  };
}

/** Peering resources as the API shows them (the far side's routes and import setting are emulator-internal). */
function publicNetwork(net: Network): Network {
  const peerings = net.peerings?.map(({ remoteRoutes: _r, peerImportCustomRoutes: _i, ...p }) => p);
  return peerings ? { ...net, peerings } : net;
}

export function registerNetworks(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}';
  router.on('GET', `${base}/global/networks`, 'compute.networks.list', (r) =>
    listResponse(
      'compute#networkList',
      globalCol(r.params.project!, 'networks'),
      ctx.store.list(globalCol(r.params.project!, 'networks')).map(publicNetwork),
      r.query,
    ),
  );
  router.on('GET', `${base}/global/networks/{network}`, 'compute.networks.get', (r) =>
    publicNetwork(getNetwork(ctx, r.params.project!, r.params.network!)),
  );
  router.on('PATCH', `${base}/global/networks/{network}/updatePeering`, 'compute.networks.updatePeering', (r) =>
    updatePeering(ctx, r.params.project!, r.params.network!, r.body),
  );
  router.on('GET', `${base}/global/networks/{network}/listPeeringRoutes`, 'compute.networks.listPeeringRoutes', (r) =>
    listPeeringRoutes(ctx, r.params.project!, r.params.network!, r.query),
  );
  router.on('GET', `${base}/regions/{region}/subnetworks`, 'compute.subnetworks.list', (r) => {
    const col = regionCol(r.params.project!, r.params.region!, 'subnetworks');
    return listResponse('compute#subnetworkList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/regions/{region}/subnetworks/{subnetwork}`, 'compute.subnetworks.get', (r) =>
    getResource(ctx, regionCol(r.params.project!, r.params.region!, 'subnetworks'), r.params.subnetwork!),
  );
}

/** The network a URL or partial path names, as `{project, name}`. */
export function networkRef(urlOrPath: string, project: string): { project: string; name: string } {
  const partial = computePath(urlOrPath);
  const path = partial.startsWith('global/') ? `projects/${project}/${partial}` : partial;
  const m = /^projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(path);
  if (!m) throw badRequest(`Invalid value for field 'resource.network': '${urlOrPath}'. The URL is malformed.`);
  return { project: m[1]!, name: lastSegment(m[2]!) };
}
