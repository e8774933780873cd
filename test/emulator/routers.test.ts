/**
 * Cloud Routers with Cloud NAT and regional addresses on the local Google Cloud, through the
 * official @google-cloud/compute client: the sample's fixed egress IP is where an allowlist's
 * `cloudNat` source resolves, both through the NAT config and through the router status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, REGION, type ComputeClients } from '../helpers/compute.js';
import { Transport } from '../../shared/gcp/transport.js';
import { cloudNatIps } from '../../shared/gcp/routers.js';

let emu: Emulator;
let c: ComputeClients;
let routers: InstanceType<typeof compute.RoutersClient>;
let addresses: InstanceType<typeof compute.AddressesClient>;
const { router: ROUTER, nat: NAT, ipName: IP_NAME, ip: IP } = SAMPLE.cloudNat;

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: number; message?: string }) => `${e.code}: ${e.message}`,
  );

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 10 } });
  c = computeClients(emu.port);
  const opts = {
    apiEndpoint: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    authClient: new PassThroughClient(),
  } as unknown as ConstructorParameters<typeof compute.RoutersClient>[0];
  routers = new compute.RoutersClient(opts);
  addresses = new compute.AddressesClient(opts);
});

afterAll(async () => {
  await emu?.close();
});

describe('the seeded Cloud NAT', () => {
  it('is router nat-router on vpc-b with NAT nat-egress on the static address nat-egress-ip-1, as the article configures it', async () => {
    const [router] = await routers.get({ project: PROJECT, region: REGION, router: ROUTER });
    expect(router.network).toMatch(/\/global\/networks\/vpc-b$/);
    expect(router.nats).toHaveLength(1);
    expect(router.nats![0]).toMatchObject({
      name: NAT,
      natIpAllocateOption: 'MANUAL_ONLY',
      natIps: [expect.stringMatching(new RegExp(`/regions/${REGION}/addresses/${IP_NAME}$`))],
      sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES',
      minPortsPerVm: 64,
      udpIdleTimeoutSec: 30,
      tcpEstablishedIdleTimeoutSec: 1200,
      enableDynamicPortAllocation: false,
      logConfig: { enable: true, filter: 'ALL' },
    });
    const [list] = await routers.list({ project: PROJECT, region: REGION });
    expect(list.map((r) => r.name)).toEqual([ROUTER]);
  });

  it('holds the address, which shows IN_USE by the router', async () => {
    const [address] = await addresses.get({ project: PROJECT, region: REGION, address: IP_NAME });
    expect(address).toMatchObject({
      name: IP_NAME,
      address: IP,
      addressType: 'EXTERNAL',
      status: 'IN_USE',
      users: [expect.stringMatching(new RegExp(`/routers/${ROUTER}$`))],
    });
    const [list] = await addresses.list({ project: PROJECT, region: REGION });
    expect(list.map((a) => a.address)).toEqual([IP]);
    expect(await code(addresses.get({ project: PROJECT, region: REGION, address: 'nope' }))).toMatch(
      /^404: .*addresses\/nope' was not found/,
    );
  });

  it('reports its NAT IPs in getRouterStatus and getNatIpInfo', async () => {
    const [status] = await routers.getRouterStatus({ project: PROJECT, region: REGION, router: ROUTER });
    expect(status.result!.natStatus).toEqual([
      expect.objectContaining({
        name: NAT,
        userAllocatedNatIps: [IP],
        autoAllocatedNatIps: [],
        numVmEndpointsWithNatMappings: 2,
      }),
    ]);
    const [info] = await routers.getNatIpInfo({ project: PROJECT, region: REGION, router: ROUTER });
    expect(info.result).toMatchObject([
      { natName: NAT, natIpInfoMappings: [{ mode: 'MANUAL', natIp: IP, usage: 'IN_USE' }] },
    ]);
  });
});

describe('router changes', () => {
  it('inserts a router with an AUTO_ONLY NAT, refuses a duplicate, a bad NAT and an unknown address', async () => {
    const nat = {
      name: 'auto-nat',
      natIpAllocateOption: 'AUTO_ONLY',
      sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES',
    };
    await c.wait(
      await routers.insert({
        project: PROJECT,
        region: REGION,
        routerResource: { name: 'auto-router', network: 'global/networks/vpc-a', nats: [nat] },
      }),
    );
    expect(
      await code(
        routers.insert({
          project: PROJECT,
          region: REGION,
          routerResource: { name: 'auto-router', network: 'global/networks/vpc-a' },
        }),
      ),
    ).toMatch(/^409: /);
    expect(
      await code(
        routers.insert({
          project: PROJECT,
          region: REGION,
          routerResource: {
            name: 'r2',
            network: 'global/networks/vpc-a',
            nats: [{ ...nat, natIpAllocateOption: 'MANUAL_ONLY' }],
          },
        }),
      ),
    ).toMatch(/^400: .*natIps/);
    expect(
      await code(
        routers.insert({
          project: PROJECT,
          region: REGION,
          routerResource: {
            name: 'r2',
            network: 'global/networks/vpc-a',
            nats: [{ ...nat, natIpAllocateOption: 'MANUAL_ONLY', natIps: [`regions/${REGION}/addresses/missing`] }],
          },
        }),
      ),
    ).toMatch(/^404: /);
    const [status] = await routers.getRouterStatus({ project: PROJECT, region: REGION, router: 'auto-router' });
    expect(status.result!.natStatus![0]!.autoAllocatedNatIps).toEqual([expect.stringMatching(/^192\.0\.2\.\d+$/)]);
  });

  it('patches the NAT list', async () => {
    const [router] = await routers.get({ project: PROJECT, region: REGION, router: 'auto-router' });
    await c.wait(
      await routers.patch({
        project: PROJECT,
        region: REGION,
        router: 'auto-router',
        routerResource: { nats: [{ ...router.nats![0], minPortsPerVm: 128, enableDynamicPortAllocation: true }] },
      }),
    );
    expect((await routers.get({ project: PROJECT, region: REGION, router: 'auto-router' }))[0].nats![0]).toMatchObject({
      minPortsPerVm: 128,
      enableDynamicPortAllocation: true,
    });
  });
});

describe('shared/gcp/routers (the runtime wrapper)', () => {
  const t = () => new Transport({ emulatorHost: emu.url });

  it('resolves a MANUAL_ONLY NAT to the IPs of its static addresses', async () => {
    expect(await cloudNatIps(t(), PROJECT, REGION, ROUTER, NAT)).toEqual({ allocation: 'MANUAL_ONLY', ips: [IP] });
  });

  it('reads an AUTO_ONLY NAT from the router status', async () => {
    const [status] = await routers.getRouterStatus({ project: PROJECT, region: REGION, router: 'auto-router' });
    expect(await cloudNatIps(t(), PROJECT, REGION, 'auto-router', 'auto-nat')).toEqual({
      allocation: 'AUTO_ONLY',
      ips: status.result!.natStatus![0]!.autoAllocatedNatIps,
    });
  });

  it('names the NATs that exist when the one asked for does not, and 404s an unknown router', async () => {
    await expect(cloudNatIps(t(), PROJECT, REGION, ROUTER, 'nat-egres')).rejects.toThrow(
      `Cloud NAT 'nat-egres' not found on router '${ROUTER}' (${REGION}); the router has '${NAT}'.`,
    );
    await expect(cloudNatIps(t(), PROJECT, REGION, 'no-router', NAT)).rejects.toMatchObject({ code: 404 });
  });
});
