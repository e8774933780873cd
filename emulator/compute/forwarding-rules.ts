/**
 * Regional forwarding rules of internal passthrough Network Load Balancers
 * (`loadBalancingScheme: INTERNAL`, a regional `backendService`): the frontend a static route names
 * with `nextHopIlb` (compute.proto `Route.next_hop_ilb`: "the URL to a forwarding rule of type
 * loadBalancingScheme=INTERNAL ... or the IP address of the forwarding Rule").
 *
 * Rules (compute.proto `message ForwardingRule`, and
 * https://cloud.google.com/load-balancing/docs/internal/ilb-next-hop-overview): the backend service
 * must exist in the rule's region with the INTERNAL scheme; a custom-mode network needs the
 * `subnetwork` the address comes from, in the same network and region; an `IPAddress` given as a
 * number must lie in that subnetwork, and an omitted one is allocated from it ("When reading an
 * IPAddress, the API always returns the IP address number"); `ports` (at most 5) and `allPorts`
 * exclude each other; "if you want to use the L3_DEFAULT protocol, you must use all ports"
 * (https://cloud.google.com/load-balancing/docs/internal/multiple-forwarding-rules-same-ip). Only
 * the INTERNAL scheme is served locally; other schemes are refused plainly.
 */
import ipaddr from 'ipaddr.js';
import { badRequest } from '../errors.js';
import type { Router } from '../http.js';
import { computePath, computeUrl, nextId, type Resource } from '../store.js';
import { listAllOf, regionCol, type ComputeContext } from './context.js';
import { listResponse } from './list.js';
import { getNetwork, networkRef } from './networks.js';
import { getResource, startInsert } from './resources.js';
import { backendServiceByUrl } from './backend-services.js';
import { isOneOf, requireObject } from './validate.js';

const PROTOCOLS = ['TCP', 'UDP', 'L3_DEFAULT'] as const;
const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export function getForwardingRule(
  ctx: Pick<ComputeContext, 'store'>,
  project: string,
  region: string,
  name: string,
): Resource {
  return getResource(ctx, regionCol(project, region, 'forwardingRules'), name);
}

/** The forwarding rule a URL or partial path (`regions/r/forwardingRules/x`) names, or undefined. */
export function forwardingRuleByUrl(
  ctx: Pick<ComputeContext, 'store'>,
  project: string,
  urlOrPath: string,
): Resource | undefined {
  const path = computePath(urlOrPath);
  const m = /^(?:projects\/([^/]+)\/)?regions\/([^/]+)\/forwardingRules\/([^/]+)$/.exec(path);
  return m ? ctx.store.get(regionCol(m[1] || project, m[2]!, 'forwardingRules'), m[3]!) : undefined;
}

/** Every address in use in a network's subnets: VM NICs and forwarding rules. */
function addressesInUse(ctx: ComputeContext): Set<string> {
  const nics = listAllOf(ctx.store, 'zone', 'instances')
    .flatMap((i) => i.networkInterfaces ?? [])
    .map((n) => n.networkIP);
  const rules = listAllOf(ctx.store, 'region', 'forwardingRules').map((f) => f.IPAddress);
  return new Set([...nics, ...rules].filter((a): a is string => typeof a === 'string'));
}

/** The address of the rule: the given number (checked against the subnet) or the highest free host. */
function chooseAddress(ctx: ComputeContext, subnet: Resource, given: unknown): string {
  const [net, bits] = ipaddr.parseCIDR(String(subnet.ipCidrRange));
  if (given !== undefined && given !== null) {
    if (typeof given !== 'string' || !ipaddr.IPv4.isValidFourPartDecimal(given))
      throw badRequest(
        `Invalid value for field 'resource.IPAddress': '${String(given)}'. The local Google Cloud takes an IPv4 address number here.`,
      );
    if (!ipaddr.parse(given).match(net, bits))
      throw badRequest(
        `Invalid value for field 'resource.IPAddress': '${given}'. The address is not in subnetwork '${subnet.name}' (${String(subnet.ipCidrRange)}).`,
      );
    if (addressesInUse(ctx).has(given))
      throw badRequest(
        `Invalid value for field 'resource.IPAddress': '${given}'. IP '${given}' is already being used by another resource.`,
        'ipInUseByAnotherResource',
      );
    return given;
  }
  const used = addressesInUse(ctx);
  const base = net.toByteArray().reduce((acc, o) => acc * 256 + o, 0);
  for (let host = 2 ** (32 - bits) - 3; host >= 2; host--) {
    const n = base + host;
    const ip = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    if (!used.has(ip)) return ip;
  }
  throw badRequest(`Subnetwork '${subnet.name}' has no free address for a forwarding rule.`, 'ipSpaceExhausted');
}

function requirePorts(r: Record<string, unknown>): { ports?: string[]; allPorts?: boolean } {
  const ports = r.ports === undefined ? undefined : r.ports;
  if (
    ports !== undefined &&
    (!Array.isArray(ports) || ports.some((p) => typeof p !== 'string' || !/^\d{1,5}(-\d{1,5})?$/.test(p)))
  )
    throw badRequest(`Invalid value for field 'resource.ports': must be a list of ports or port ranges.`);
  if (Array.isArray(ports) && ports.length > 5)
    throw badRequest(
      `Invalid value for field 'resource.ports': at most 5 ports can be specified (got ${ports.length}).`,
    );
  if (r.allPorts === true && Array.isArray(ports) && ports.length)
    throw badRequest(`Invalid value for field 'resource.allPorts': ports and allPorts cannot both be specified.`);
  return r.allPorts === true ? { allPorts: true } : Array.isArray(ports) && ports.length ? { ports } : {};
}

function subnetworkOf(
  ctx: ComputeContext,
  project: string,
  region: string,
  networkUrl: string,
  value: unknown,
): Resource {
  const ref = networkRef(networkUrl, project);
  const net = getNetwork(ctx, ref.project, ref.name);
  if (typeof value !== 'string') {
    if (net.autoCreateSubnetworks === false)
      throw badRequest(
        `Required field 'resource.subnetwork' not specified: network '${net.name}' is a custom-mode network.`,
        'required',
      );
    throw badRequest(`Required field 'resource.subnetwork' not specified`, 'required');
  }
  const path = computePath(value);
  const m = /^(?:projects\/([^/]+)\/)?regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(path);
  const subnet = m ? ctx.store.get(regionCol(m[1] || project, m[2]!, 'subnetworks'), m[3]!) : undefined;
  if (!subnet)
    throw badRequest(`Invalid value for field 'resource.subnetwork': '${value}'. The resource '${path}' was not found`);
  if (m![2] !== region)
    throw badRequest(
      `Invalid value for field 'resource.subnetwork': '${value}'. The subnetwork must be in region '${region}'.`,
    );
  if (computePath(String(subnet.network)) !== computePath(networkUrl))
    throw badRequest(
      `Invalid value for field 'resource.subnetwork': '${value}'. The subnetwork is not in network '${net.name}'.`,
    );
  return subnet;
}

function validate(ctx: ComputeContext, project: string, region: string, body: unknown): Resource {
  const r = requireObject(body, 'resource');
  if (typeof r.name !== 'string' || !NAME.test(r.name))
    throw badRequest(
      `Invalid value for field 'resource.name': '${String(r.name ?? '')}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`,
    );
  if (r.loadBalancingScheme !== 'INTERNAL')
    throw badRequest(
      `Invalid value for field 'resource.loadBalancingScheme': '${String(r.loadBalancingScheme ?? 'EXTERNAL')}'. The local Google Cloud serves internal passthrough load balancers only: set INTERNAL.`,
    );
  if (typeof r.backendService !== 'string')
    throw badRequest(
      `Required field 'resource.backendService' not specified: an INTERNAL forwarding rule forwards to a regional backend service.`,
      'required',
    );
  const bs = backendServiceByUrl(ctx, r.backendService);
  if (!bs)
    throw badRequest(
      `Invalid value for field 'resource.backendService': '${r.backendService}'. The resource '${computePath(r.backendService)}' was not found`,
    );
  if (computePath(String(bs.region)) !== `projects/${project}/regions/${region}`)
    throw badRequest(
      `Invalid value for field 'resource.backendService': '${r.backendService}'. The backend service must be in region '${region}'.`,
    );
  const protocol = r.IPProtocol ?? 'TCP';
  if (!isOneOf(PROTOCOLS, protocol))
    throw badRequest(
      `Invalid value for field 'resource.IPProtocol': '${String(protocol)}'. Must be one of ${PROTOCOLS.join(', ')} for an internal passthrough forwarding rule.`,
    );
  const ports = requirePorts(r);
  if (protocol === 'L3_DEFAULT' && !ports.allPorts)
    throw badRequest(`Invalid value for field 'resource.allPorts': IPProtocol L3_DEFAULT requires allPorts = true.`);
  const net = networkRef(
    typeof r.network === 'string' ? r.network : String(bs.network ?? 'global/networks/default'),
    project,
  );
  const networkUrl = computeUrl(`projects/${net.project}/global/networks/${net.name}`);
  if (bs.network && computePath(String(bs.network)) !== computePath(networkUrl))
    throw badRequest(
      `Invalid value for field 'resource.network': '${networkUrl}'. It must be the backend service's network ${String(bs.network)}.`,
    );
  const subnet = subnetworkOf(ctx, project, region, networkUrl, r.subnetwork);
  return {
    kind: 'compute#forwardingRule',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name: r.name,
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    region: computeUrl(`projects/${project}/regions/${region}`),
    IPAddress: chooseAddress(ctx, subnet, r.IPAddress),
    IPProtocol: protocol,
    ...ports,
    loadBalancingScheme: 'INTERNAL',
    backendService: String(bs.selfLink),
    network: networkUrl,
    subnetwork: String(subnet.selfLink),
    networkTier: 'PREMIUM',
    ...(r.allowGlobalAccess === true ? { allowGlobalAccess: true } : {}),
    fingerprint: Buffer.from(nextId()).toString('base64').slice(0, 12),
    labelFingerprint: '42WmSpB8rSM=',
    selfLink: computeUrl(`${regionCol(project, region, 'forwardingRules')}/${r.name}`),
  };
}

/** `projects/{project}/regions/{region}/forwardingRules`: list, get, insert, delete. */
export function registerForwardingRules(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/regions/{region}/forwardingRules';
  router.on('GET', base, 'compute.forwardingRules.list', (r) => {
    const col = regionCol(r.params.project!, r.params.region!, 'forwardingRules');
    return listResponse('compute#forwardingRuleList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/{forwardingRule}`, 'compute.forwardingRules.get', (r) =>
    getForwardingRule(ctx, r.params.project!, r.params.region!, r.params.forwardingRule!),
  );
  router.on('POST', base, 'compute.forwardingRules.insert', (r) => {
    const [project, region] = [r.params.project!, r.params.region!];
    const rule = validate(ctx, project, region, r.body);
    return startInsert(ctx, {
      project,
      scope: { kind: 'region', region },
      methodId: 'compute.forwardingRules.insert',
      collection: regionCol(project, region, 'forwardingRules'),
      resource: rule,
      reserveName: true,
    });
  });
  router.on('DELETE', `${base}/{forwardingRule}`, 'compute.forwardingRules.delete', (r) => {
    const [project, region, forwardingRule] = [r.params.project!, r.params.region!, r.params.forwardingRule!];
    const rule = getForwardingRule(ctx, project, region, forwardingRule);
    return ctx.operations.start({
      project,
      scope: { kind: 'region', region },
      methodId: 'compute.forwardingRules.delete',
      operationType: 'delete',
      targetLink: String(rule.selfLink),
      apply: () => void ctx.store.remove(regionCol(project, region, 'forwardingRules'), forwardingRule),
    });
  });
}
