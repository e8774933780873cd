/**
 * Addresses. The global part: `globalAddresses`, which is how Private Service Access ranges exist
 * (`purpose: VPC_PEERING`, `addressType: INTERNAL`, `address` + `prefixLength`, `network`). Compute
 * refuses a PSA range that overlaps another allocated range or a subnet (primary or secondary) of
 * the same network, or that is not aligned to its size — the rules a range allocator must meet
 * before Service Networking ever sees the range. (Regional addresses register beside this in
 * `registerAddresses`, under `projects/{project}/regions/{region}/addresses`.)
 */
import ipaddr from 'ipaddr.js';
import { badRequest, notFound } from '../errors.js';
import type { Router } from '../http.js';
import { computePath, computeUrl, nextId, type Resource } from '../store.js';
import { globalCol, listAllOf, regionCol, type ComputeContext } from './context.js';
import { listResponse } from './list.js';
import { getNetwork, networkRef } from './networks.js';
import { getResource, startInsert } from './resources.js';
import { isOneOf, requireInt, requireName, requireObject } from './validate.js';

export const ADDRESS_PURPOSES = [
  'VPC_PEERING',
  'PRIVATE_SERVICE_CONNECT',
  'GCE_ENDPOINT',
  'SHARED_LOADBALANCER_VIP',
] as const;

/** `[start, end)` of an IPv4 CIDR as unsigned integers; undefined for IPv6 or garbage. */
export function ipv4Interval(cidr: string): [number, number] | undefined {
  try {
    const [addr, bits] = ipaddr.parseCIDR(cidr);
    if (addr.kind() !== 'ipv4') return undefined;
    const start = addr.toByteArray().reduce((acc, o) => acc * 256 + o, 0);
    return [start, start + 2 ** (32 - bits)];
  } catch {
    return undefined;
  }
}

const intervalsOverlap = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

/** The CIDR a global address covers (`address/prefixLength`). */
export const addressCidr = (a: Resource) => `${String(a.address)}/${Number(a.prefixLength ?? 32)}`;

/** The global address `name` of `project`, or a 404 as Compute words it. */
export function getGlobalAddress(ctx: ComputeContext, project: string, name: string): Resource {
  return getResource(ctx, globalCol(project, 'addresses'), name);
}

/** Everything in `network` a new PSA range must not overlap: other PSA ranges and every subnet range. */
function occupants(
  ctx: ComputeContext,
  project: string,
  networkUrl: string,
  exceptName?: string,
): { what: string; cidr: string }[] {
  const ranges = ctx.store
    .list(globalCol(project, 'addresses'))
    .filter((a) => a.purpose === 'VPC_PEERING' && a.network === networkUrl && a.name !== exceptName)
    .map((a) => ({ what: `allocated range '${a.name}'`, cidr: addressCidr(a) }));
  const subnets = listAllOf(ctx.store, 'region', 'subnetworks', project)
    .filter((s) => s.network === networkUrl)
    .flatMap((s) => [
      { what: `subnetwork '${s.name}'`, cidr: String(s.ipCidrRange) },
      ...(s.secondaryIpRanges ?? []).map((r) => ({
        what: `secondary range '${r.rangeName}' of subnetwork '${s.name}'`,
        cidr: r.ipCidrRange,
      })),
    ]);
  return [...ranges, ...subnets];
}

/** Refuses a PSA range that overlaps something in its network (checked at insert and again when applied). */
function assertNoOverlap(ctx: ComputeContext, project: string, address: Resource): void {
  const mine = ipv4Interval(addressCidr(address))!;
  const clash = occupants(ctx, project, String(address.network), address.name).find((o) => {
    const other = ipv4Interval(o.cidr);
    return other !== undefined && intervalsOverlap(mine, other);
  });
  if (clash) {
    throw badRequest(
      `Invalid value for field 'resource.address': '${String(address.address)}'. The IP range ${addressCidr(address)} overlaps with ${clash.what} (${clash.cidr}) in network '${String(address.network).split('/').pop()}'.`,
      'invalid',
    );
  }
}

/** The lowest free aligned block of `prefixLength` in 10.0.0.0/8, as Compute picks one when `address` is omitted. */
function autoAllocate(ctx: ComputeContext, project: string, networkUrl: string, prefixLength: number): string {
  const taken = occupants(ctx, project, networkUrl).flatMap((o) => {
    const i = ipv4Interval(o.cidr);
    return i ? [i] : [];
  });
  const size = 2 ** (32 - prefixLength);
  for (let start = 10 * 2 ** 24; start + size <= 11 * 2 ** 24; start += size) {
    if (!taken.some((t) => intervalsOverlap([start, start + size], t)))
      return [24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256).join('.');
  }
  throw badRequest(
    `Invalid value for field 'resource.prefixLength': '${prefixLength}'. No free IP range of this size is left in network '${networkUrl.split('/').pop()}'.`,
  );
}

function validateInternal(
  ctx: ComputeContext,
  project: string,
  r: Record<string, unknown>,
  purpose: string,
): { network: string; address: string; prefixLength: number } {
  if (r.addressType !== 'INTERNAL')
    throw badRequest(
      `Invalid value for field 'resource.addressType': '${String(r.addressType ?? '')}'. Purpose ${purpose} requires addressType INTERNAL.`,
    );
  if (typeof r.network !== 'string') throw badRequest(`Required field 'resource.network' not specified`, 'required');
  const net = networkRef(r.network, project);
  getNetwork(ctx, net.project, net.name);
  const network = computeUrl(`projects/${net.project}/global/networks/${net.name}`);
  const prefixLength = requireInt(r.prefixLength, 'resource.prefixLength', 8, 29);
  const address =
    typeof r.address === 'string' && r.address ? r.address : autoAllocate(ctx, project, network, prefixLength);
  const interval = ipv4Interval(`${address}/${prefixLength}`);
  if (!interval || interval[0] % 2 ** (32 - prefixLength) !== 0) {
    throw badRequest(
      `Invalid value for field 'resource.address': '${address}'. The address must be a valid IPv4 address aligned to its prefix length /${prefixLength}.`,
    );
  }
  return { network, address, prefixLength };
}

function validateGlobalAddress(ctx: ComputeContext, project: string, body: unknown): Resource {
  const r = requireObject(body, 'resource');
  const name = requireName(r.name);
  const purpose = typeof r.purpose === 'string' ? r.purpose : undefined;
  if (purpose !== undefined && !isOneOf(ADDRESS_PURPOSES, purpose)) {
    throw badRequest(
      `Invalid value for field 'resource.purpose': '${purpose}'. Must be one of ${ADDRESS_PURPOSES.join(', ')} for a global address.`,
    );
  }
  const internal = purpose === 'VPC_PEERING' || purpose === 'PRIVATE_SERVICE_CONNECT';
  const placed = internal
    ? validateInternal(ctx, project, r, purpose)
    : {
        address:
          typeof r.address === 'string'
            ? r.address
            : `198.18.${Math.floor(Math.random() * 255)}.${2 + Math.floor(Math.random() * 250)}`,
        prefixLength: undefined,
        network: undefined,
      };
  return {
    kind: 'compute#address',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name,
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    address: placed.address,
    ...(placed.prefixLength !== undefined ? { prefixLength: placed.prefixLength } : {}),
    status: 'RESERVED',
    ...(purpose ? { purpose } : {}),
    addressType: internal ? 'INTERNAL' : 'EXTERNAL',
    ...(placed.network ? { network: placed.network } : { networkTier: 'PREMIUM' }),
    ipVersion: 'IPV4',
    labelFingerprint: '42WmSpB8rSM=',
    selfLink: computeUrl(`${globalCol(project, 'addresses')}/${name}`),
  };
}

function insertGlobalAddress(ctx: ComputeContext, project: string, body: unknown): Resource {
  const address = validateGlobalAddress(ctx, project, body);
  return startInsert(ctx, {
    project,
    scope: { kind: 'global' },
    methodId: 'compute.globalAddresses.insert',
    collection: globalCol(project, 'addresses'),
    resource: address,
    reserveName: true,
    check: () => {
      if (address.purpose === 'VPC_PEERING') assertNoOverlap(ctx, project, address);
    },
  });
}

function deleteGlobalAddress(ctx: ComputeContext, project: string, name: string): Resource {
  const address = getGlobalAddress(ctx, project, name);
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.globalAddresses.delete',
    operationType: 'delete',
    targetLink: String(address.selfLink),
    apply: () => {
      if (!ctx.store.remove(globalCol(project, 'addresses'), name))
        throw notFound(`projects/${project}/global/addresses/${name}`);
    },
  });
}

/** `projects/{project}/global/addresses`: get, list (with filters), insert, delete. */
export function registerGlobalAddresses(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/global/addresses';
  router.on('GET', base, 'compute.globalAddresses.list', (r) => {
    const col = globalCol(r.params.project!, 'addresses');
    return listResponse('compute#addressList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/{address}`, 'compute.globalAddresses.get', (r) =>
    getGlobalAddress(ctx, r.params.project!, r.params.address!),
  );
  router.on('POST', base, 'compute.globalAddresses.insert', (r) => insertGlobalAddress(ctx, r.params.project!, r.body));
  router.on('DELETE', `${base}/{address}`, 'compute.globalAddresses.delete', (r) =>
    deleteGlobalAddress(ctx, r.params.project!, r.params.address!),
  );
}

/** Every address surface: global and regional. */
export function registerAddresses(router: Router, ctx: ComputeContext): void {
  registerGlobalAddresses(router, ctx);
  registerRegionalAddresses(router, ctx);
}

// ---- Regional addresses (`projects/{project}/regions/{region}/addresses`): the static external
// IPs Cloud NAT uses with MANUAL_ONLY allocation. `status`/`users` are derived at read time from
// the routers whose NATs name the address, as Compute shows an address held by a Cloud NAT.

/** The regional address `name`, with its users, or a 404 as Compute words it. */
export function getRegionalAddress(ctx: ComputeContext, project: string, region: string, name: string): Resource {
  return withUsers(ctx, project, region, getResource(ctx, regionCol(project, region, 'addresses'), name));
}

function withUsers(ctx: ComputeContext, project: string, region: string, address: Resource): Resource {
  const users = ctx.store
    .list(regionCol(project, region, 'routers'))
    .filter((r) =>
      (r.nats ?? []).some((n) =>
        (n.natIps ?? []).some((ip) => computePath(ip) === computePath(String(address.selfLink))),
      ),
    )
    .map((r) => String(r.selfLink));
  return { ...address, status: users.length ? 'IN_USE' : 'RESERVED', ...(users.length ? { users } : {}) };
}

/** Seeds a reserved external regional address (e.g. a Cloud NAT's manual IP); no operation. */
export function seedRegionalAddress(
  ctx: Pick<ComputeContext, 'store'>,
  project: string,
  region: string,
  name: string,
  ip: string,
  description = '',
): Resource {
  return ctx.store.insert(regionCol(project, region, 'addresses'), {
    kind: 'compute#address',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name,
    description,
    address: ip,
    status: 'RESERVED',
    region: computeUrl(`projects/${project}/regions/${region}`),
    addressType: 'EXTERNAL',
    networkTier: 'PREMIUM',
    ipVersion: 'IPV4',
    labelFingerprint: '42WmSpB8rSM=',
    selfLink: computeUrl(`${regionCol(project, region, 'addresses')}/${name}`),
  });
}

export function registerRegionalAddresses(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/regions/{region}/addresses';
  router.on('GET', base, 'compute.addresses.list', (r) => {
    const col = regionCol(r.params.project!, r.params.region!, 'addresses');
    return listResponse(
      'compute#addressList',
      col,
      ctx.store.list(col).map((a) => withUsers(ctx, r.params.project!, r.params.region!, a)),
      r.query,
    );
  });
  router.on('GET', `${base}/{address}`, 'compute.addresses.get', (r) =>
    getRegionalAddress(ctx, r.params.project!, r.params.region!, r.params.address!),
  );
}
