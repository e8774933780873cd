/**
 * Cloud Routers with their Cloud NAT configs (regional). A NAT with `MANUAL_ONLY` allocation
 * egresses from the regional static addresses its `natIps` name — the fixed source IP an
 * IP-restricted endpoint must allow; `getRouterStatus` reports the IPs in use (`natStatus[]`),
 * which is the only place the IPs of an `AUTO_ONLY` NAT can be read.
 */
import { createHash } from 'node:crypto';
import { badRequest } from '../errors.js';
import type { Request, Router } from '../http.js';
import { computePath, computeUrl, nextId, type Resource, type Store } from '../store.js';
import { listAllOf, regionCol, type ComputeContext } from './context.js';
import { getRegionalAddress, seedRegionalAddress } from './addresses.js';
import { listResponse } from './list.js';
import { getNetwork, networkRef } from './networks.js';
import { getResource, startInsert } from './resources.js';
import { isOneOf, requireName, requireObject } from './validate.js';

import type { Nat, Router as RouterResource } from './types.js';
export type { Nat };

const ALLOCATE = ['MANUAL_ONLY', 'AUTO_ONLY'] as const;
const SOURCE_RANGES = ['ALL_SUBNETWORKS_ALL_IP_RANGES', 'ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES', 'LIST_OF_SUBNETWORKS'];
const NAT_DEFAULTS = {
  udpIdleTimeoutSec: 30,
  icmpIdleTimeoutSec: 30,
  tcpEstablishedIdleTimeoutSec: 1200,
  tcpTransitoryIdleTimeoutSec: 30,
  tcpTimeWaitTimeoutSec: 120,
  enableEndpointIndependentMapping: false,
  endpointTypes: ['ENDPOINT_TYPE_VM'],
  type: 'PUBLIC',
};

const col = (project: string, region: string) => regionCol(project, region, 'routers');

export function getRouter(ctx: ComputeContext, project: string, region: string, name: string): RouterResource {
  return getResource(ctx, col(project, region), name);
}

/** One NAT config, defaults filled in; MANUAL_ONLY needs `natIps` naming existing addresses of the region. */
function validateNat(ctx: ComputeContext, project: string, region: string, value: unknown, field: string): Nat {
  const nat = requireObject(value, field);
  const name = requireName(nat.name, `${field}.name`);
  const option = nat.natIpAllocateOption;
  if (!isOneOf(ALLOCATE, option))
    throw badRequest(
      `Invalid value for field '${field}.natIpAllocateOption': '${String(option ?? '')}'. Must be one of ${ALLOCATE.join(', ')}.`,
    );
  const source = nat.sourceSubnetworkIpRangesToNat;
  if (typeof source !== 'string' || !SOURCE_RANGES.includes(source))
    throw badRequest(
      `Invalid value for field '${field}.sourceSubnetworkIpRangesToNat': '${String(source ?? '')}'. Must be one of ${SOURCE_RANGES.join(', ')}.`,
    );
  const ips = Array.isArray(nat.natIps) ? nat.natIps.map(String) : [];
  if (option === 'MANUAL_ONLY' && ips.length === 0)
    throw badRequest(
      `Invalid value for field '${field}.natIps': ''. MANUAL_ONLY allocation needs at least one static address.`,
    );
  if (option === 'AUTO_ONLY' && ips.length > 0)
    throw badRequest(`Invalid value for field '${field}.natIps': AUTO_ONLY allocation cannot name static addresses.`);
  const natIps = ips.map((ip, i) => addressUrl(ctx, project, region, ip, `${field}.natIps[${i}]`));
  return {
    ...NAT_DEFAULTS,
    minPortsPerVm: 64,
    enableDynamicPortAllocation: false,
    logConfig: { enable: false, filter: 'ALL' },
    ...nat,
    name,
    natIpAllocateOption: option,
    sourceSubnetworkIpRangesToNat: source,
    ...(natIps.length ? { natIps } : {}),
  };
}

/** Full URL of a regional address reference, which must exist in the router's region. */
function addressUrl(ctx: ComputeContext, project: string, region: string, ref: string, field: string): string {
  const partial = computePath(ref);
  const path = partial.startsWith('regions/') ? `projects/${project}/${partial}` : partial;
  const m = /^projects\/([^/]+)\/regions\/([^/]+)\/addresses\/([^/]+)$/.exec(path);
  if (!m || m[2] !== region)
    throw badRequest(`Invalid value for field '${field}': '${ref}'. Must be a regional address of region ${region}.`);
  getRegionalAddress(ctx, m[1]!, m[2]!, m[3]!);
  return computeUrl(path);
}

export function buildRouter(ctx: ComputeContext, project: string, region: string, body: unknown): Resource {
  const r = requireObject(body, 'resource');
  const name = requireName(r.name);
  if (typeof r.network !== 'string') throw badRequest(`Required field 'resource.network' not specified`, 'required');
  const net = networkRef(r.network, project);
  getNetwork(ctx, net.project, net.name);
  const nats = Array.isArray(r.nats)
    ? r.nats.map((n, i) => validateNat(ctx, project, region, n, `resource.nats[${i}]`))
    : [];
  const names = new Set<string>();
  for (const nat of nats) {
    if (names.has(nat.name))
      throw badRequest(`Invalid value for field 'resource.nats': NAT name '${nat.name}' is used twice.`);
    names.add(nat.name);
  }
  return {
    kind: 'compute#router',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name,
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    region: computeUrl(`projects/${project}/regions/${region}`),
    network: computeUrl(`projects/${net.project}/global/networks/${net.name}`),
    ...(r.bgp ? { bgp: r.bgp } : {}),
    nats,
    encryptedInterconnectRouter: false,
    selfLink: computeUrl(`${col(project, region)}/${name}`),
  };
}

/** The NAT IPs a NAT uses now: its static addresses, or stable made-up IPs for AUTO_ONLY. */
function natIpsInUse(
  ctx: ComputeContext,
  project: string,
  region: string,
  nat: Nat,
): { manual: string[]; auto: string[]; resources: string[] } {
  if (nat.natIpAllocateOption === 'AUTO_ONLY') {
    const byte = createHash('sha256').update(`${project}/${region}/${nat.name}`).digest()[0]!;
    return { manual: [], auto: [`192.0.2.${(byte % 250) + 2}`], resources: [] };
  }
  const resources = nat.natIps ?? [];
  const manual = resources.map((url) => {
    const m = /\/regions\/([^/]+)\/addresses\/([^/]+)$/.exec(url)!;
    return String(ctx.store.get(regionCol(project, m[1]!, 'addresses'), m[2]!)?.address ?? '');
  });
  return { manual: manual.filter(Boolean), auto: [], resources };
}

/** VMs with a NIC in the router's network: the endpoints its NATs map. */
function endpointsIn(ctx: ComputeContext, network: string): number {
  return listAllOf(ctx.store, 'zone', 'instances').filter(
    (i) => i.status === 'RUNNING' && (i.networkInterfaces ?? []).some((n) => n.network === network),
  ).length;
}

function routerStatus(ctx: ComputeContext, project: string, region: string, name: string) {
  const router = getRouter(ctx, project, region, name);
  const natStatus = (router.nats ?? []).map((nat) => {
    const ips = natIpsInUse(ctx, project, region, nat);
    return {
      name: nat.name,
      userAllocatedNatIpResources: ips.resources,
      userAllocatedNatIps: ips.manual,
      autoAllocatedNatIps: ips.auto,
      drainUserAllocatedNatIps: [],
      drainAutoAllocatedNatIps: [],
      minExtraNatIpsNeeded: 0,
      numVmEndpointsWithNatMappings: endpointsIn(ctx, String(router.network)),
    };
  });
  return {
    kind: 'compute#routerStatusResponse',
    result: { network: router.network, bestRoutes: [], bestRoutesForRouter: [], bgpPeerStatus: [], natStatus },
  };
}

function natIpInfo(ctx: ComputeContext, project: string, region: string, name: string, natName: string | null) {
  const router = getRouter(ctx, project, region, name);
  const nats = (router.nats ?? []).filter((n) => !natName || n.name === natName);
  if (natName && nats.length === 0)
    throw badRequest(`Invalid value for field 'natName': '${natName}'. Router '${name}' has no NAT with this name.`);
  return {
    result: nats.map((nat) => {
      const ips = natIpsInUse(ctx, project, region, nat);
      const mappings = [
        ...ips.manual.map((natIp) => ({ mode: 'MANUAL', natIp, usage: 'IN_USE' })),
        ...ips.auto.map((natIp) => ({ mode: 'AUTO', natIp, usage: 'IN_USE' })),
      ];
      return { natName: nat.name, natIpInfoMappings: mappings };
    }),
  };
}

function mutate(
  ctx: ComputeContext,
  p: Record<string, string>,
  verb: 'patch' | 'delete',
  targetLink: string,
  apply: () => void,
): Resource {
  return ctx.operations.start({
    project: p.project!,
    scope: { kind: 'region', region: p.region! },
    methodId: `compute.routers.${verb}`,
    operationType: verb,
    targetLink,
    apply,
  });
}

function insert(ctx: ComputeContext, r: Request): Resource {
  const [project, region] = [r.params.project!, r.params.region!];
  const router = buildRouter(ctx, project, region, r.body);
  return startInsert(ctx, {
    project,
    scope: { kind: 'region', region },
    methodId: 'compute.routers.insert',
    collection: col(project, region),
    resource: router,
  });
}

/** PATCH replaces the fields it names (`nats` as a whole list, as the API does). */
function patch(ctx: ComputeContext, r: Request): Resource {
  const [project, region, name] = [r.params.project!, r.params.region!, r.params.router!];
  const current = getRouter(ctx, project, region, name);
  const body = requireObject(r.body, 'resource');
  if (
    body.network !== undefined &&
    computePath(String(body.network)).replace(/^projects\/[^/]+\//, '') !==
      computePath(String(current.network)).replace(/^projects\/[^/]+\//, '')
  ) {
    throw badRequest(
      `Invalid value for field 'resource.network': '${String(body.network)}'. A router's network cannot be changed.`,
    );
  }
  const next = buildRouter(ctx, project, region, { ...current, ...body, name, network: current.network });
  return mutate(ctx, r.params, 'patch', String(current.selfLink), () =>
    ctx.store.update(
      col(project, region),
      name,
      (x) =>
        void Object.assign(x, {
          nats: next.nats,
          ...(next.bgp ? { bgp: next.bgp } : {}),
          ...(next.description !== undefined ? { description: next.description } : {}),
        }),
    ),
  );
}

export function registerRouters(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/regions/{region}/routers';
  const args = (r: Request) => [r.params.project!, r.params.region!, r.params.router!] as const;
  router.on('GET', base, 'compute.routers.list', (r) =>
    listResponse(
      'compute#routerList',
      col(r.params.project!, r.params.region!),
      ctx.store.list(col(r.params.project!, r.params.region!)),
      r.query,
    ),
  );
  router.on('POST', base, 'compute.routers.insert', (r) => insert(ctx, r));
  router.on('GET', `${base}/{router}`, 'compute.routers.get', (r) => getRouter(ctx, ...args(r)));
  router.on('PATCH', `${base}/{router}`, 'compute.routers.patch', (r) => patch(ctx, r));
  router.on('DELETE', `${base}/{router}`, 'compute.routers.delete', (r) => {
    const current = getRouter(ctx, ...args(r));
    return mutate(
      ctx,
      r.params,
      'delete',
      String(current.selfLink),
      () => void ctx.store.remove(col(r.params.project!, r.params.region!), r.params.router!),
    );
  });
  router.on('GET', `${base}/{router}/getRouterStatus`, 'compute.routers.getRouterStatus', (r) =>
    routerStatus(ctx, ...args(r)),
  );
  router.on('GET', `${base}/{router}/getNatIpInfo`, 'compute.routers.getNatIpInfo', (r) =>
    natIpInfo(ctx, ...args(r), r.query.get('natName')),
  );
}

/** A Cloud Router on `network` with one Cloud NAT on static regional address `ipName` = `ip` (MANUAL_ONLY), as a project that already had it. */
export interface CloudNatSeed {
  project: string;
  region: string;
  network: string;
  router: string;
  nat: string;
  ipName: string;
  ip: string;
  ipDescription: string;
  minPortsPerVm: number;
}

/** Writes a router with its Cloud NAT and their static IP into the store, without an operation. */
export function seedCloudNat(store: Store, seed: CloudNatSeed): void {
  const { project, region, network, router, nat, ipName, ip, ipDescription, minPortsPerVm } = seed;
  const address = seedRegionalAddress({ store }, project, region, ipName, ip, ipDescription);
  store.insert(col(project, region), {
    kind: 'compute#router',
    id: nextId(),
    creationTimestamp: store.nowIso(),
    name: router,
    region: computeUrl(`projects/${project}/regions/${region}`),
    network: computeUrl(`projects/${project}/global/networks/${network}`),
    bgp: { asn: 64514, advertiseMode: 'DEFAULT', keepaliveInterval: 20 },
    nats: [
      {
        ...NAT_DEFAULTS,
        name: nat,
        natIpAllocateOption: 'MANUAL_ONLY',
        natIps: [String(address.selfLink)],
        sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES',
        minPortsPerVm,
        enableDynamicPortAllocation: false,
        logConfig: { enable: true, filter: 'ALL' },
      },
    ],
    encryptedInterconnectRouter: false,
    selfLink: computeUrl(`${col(project, region)}/${router}`),
  });
}
