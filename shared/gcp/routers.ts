/**
 * Cloud NAT egress IPs, the symbolic allowlist source `cloudNat: {router, nat, region}`: the
 * fixed source IP of the pipelines, read from the NAT config instead of copied by hand. A
 * `MANUAL_ONLY` NAT names its static addresses, resolved to IPs with `addresses.get`; an
 * `AUTO_ONLY` NAT's IPs exist only in `getRouterStatus` (and can change — allowlisting them is
 * fragile, which the caller may want to warn about).
 */
import { ConfigError } from '../errors.js';
import type { Transport } from './transport.js';
import { resourcePath } from './paths.js';

export interface CloudNat {
  name: string;
  natIpAllocateOption?: 'MANUAL_ONLY' | 'AUTO_ONLY';
  natIps?: string[];
  sourceSubnetworkIpRangesToNat?: string;
  minPortsPerVm?: number;
  /** With dynamic port allocation, the most ports a VM gets (RouterNat.maxPortsPerVm, compute.proto). */
  maxPortsPerVm?: number;
  enableDynamicPortAllocation?: boolean;
}

export interface CloudRouter {
  name: string;
  network: string;
  region: string;
  nats?: CloudNat[];
  selfLink?: string;
}

export interface NatStatus {
  name: string;
  userAllocatedNatIps?: string[];
  autoAllocatedNatIps?: string[];
  userAllocatedNatIpResources?: string[];
}

/** Where a NAT's IPs came from: the static addresses it names, or the router status (AUTO_ONLY). */
export interface NatIps {
  allocation: 'MANUAL_ONLY' | 'AUTO_ONLY';
  ips: string[];
}

const routerPath = (project: string, region: string, router: string) =>
  `/compute/v1/projects/${project}/regions/${region}/routers/${router}`;

export const getRouter = (t: Transport, project: string, region: string, router: string) =>
  t.request<CloudRouter>({ service: 'compute', method: 'GET', path: routerPath(project, region, router) });

async function getRouterNatStatus(t: Transport, project: string, region: string, router: string): Promise<NatStatus[]> {
  const res = await t.request<{ result?: { natStatus?: NatStatus[] } }>({
    service: 'compute',
    method: 'GET',
    path: `${routerPath(project, region, router)}/getRouterStatus`,
  });
  return res.result?.natStatus ?? [];
}

/** The IP of a regional address named by URL or partial path (`projects/p/regions/r/addresses/a`). */
async function getAddressIp(t: Transport, addressUrl: string): Promise<string> {
  const path = resourcePath(addressUrl).replace(/^compute\/v1\//, '');
  if (!/^projects\/[^/]+\/regions\/[^/]+\/addresses\/[^/]+$/.test(path))
    throw new ConfigError(
      `not a regional address URL: '${addressUrl}'; expected projects/{project}/regions/{region}/addresses/{name}`,
    );
  const address = await t.request<{ address: string }>({
    service: 'compute',
    method: 'GET',
    path: `/compute/v1/${path}`,
  });
  return address.address;
}

/**
 * The egress IPs of NAT `nat` on `router`. Fails with a message naming what exists when the
 * router has no such NAT, so a typo in the allowlist file is obvious.
 */
export async function cloudNatIps(
  t: Transport,
  project: string,
  region: string,
  router: string,
  nat: string,
): Promise<NatIps> {
  const nats = (await getRouter(t, project, region, router)).nats ?? [];
  const config = nats.find((n) => n.name === nat);
  if (!config) {
    const names = nats.map((n) => n.name);
    throw new ConfigError(
      `Cloud NAT '${nat}' not found on router '${router}' (${region}); the router has ${names.length ? names.map((n) => `'${n}'`).join(', ') : 'no NAT'}.`,
    );
  }
  if (config.natIpAllocateOption === 'AUTO_ONLY') {
    const status = (await getRouterNatStatus(t, project, region, router)).find((s) => s.name === nat);
    return {
      allocation: 'AUTO_ONLY',
      ips: [...(status?.autoAllocatedNatIps ?? []), ...(status?.userAllocatedNatIps ?? [])],
    };
  }
  const ips = await Promise.all((config.natIps ?? []).map((url) => getAddressIp(t, url)));
  return { allocation: 'MANUAL_ONLY', ips };
}
