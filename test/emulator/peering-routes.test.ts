/**
 * `networks.listPeeringRoutes` through the official @google-cloud/compute client: `imported` is
 * the importing side's verdict (the peer's import setting for OUTGOING, ours for INCOMING), and
 * INCOMING lists what the peer advertises — for the Private Service Access peering, the allocated
 * ranges of the Service Networking connection as the producer's subnet routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { computeClients, PROJECT, REGION, type ComputeClients } from '../helpers/compute.js';
import { networkOf, psaComputeClients, serviceNetworking } from '../helpers/vertex.js';
import { SAMPLE } from '../../local/topology.js';

let emu: Emulator;
let c: ComputeClients;
let psa: ReturnType<typeof psaComputeClients>;
let sn: ReturnType<typeof serviceNetworking>;

const PEERING = SAMPLE.psa.peering;
const list = async (direction: 'INCOMING' | 'OUTGOING') =>
  (
    await c.networks.listPeeringRoutes({
      project: PROJECT,
      network: 'vpc-a',
      peeringName: PEERING,
      region: REGION,
      direction,
    })
  )[0];
const byRange = (routes: { destRange?: string | null; imported?: boolean | null; type?: string | null }[]) =>
  Object.fromEntries(routes.map((r) => [r.destRange, { imported: r.imported, type: r.type }]));
const peeringOf = () =>
  (emu.store.get(`projects/${PROJECT}/global/networks`, 'vpc-a')!.peerings as Record<string, unknown>[])[0]!;

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 20 } });
  c = computeClients(emu.port);
  psa = psaComputeClients(emu.port);
  sn = serviceNetworking(emu.url);
  await c.wait(
    await c.routes.insert({
      project: PROJECT,
      routeResource: {
        name: 'to-endpoint',
        network: 'global/networks/vpc-a',
        destRange: '198.51.100.10/32',
        priority: 900,
        nextHopIp: '10.95.0.9',
      },
    }),
  );
  await c.wait(
    await c.networks.updatePeering({
      project: PROJECT,
      network: 'vpc-a',
      networksUpdatePeeringRequestResource: { networkPeering: { name: PEERING, exportCustomRoutes: true } },
    }),
  );
});
afterAll(() => emu.close());

describe('OUTGOING: imported follows the peer', () => {
  it('the Service Networking producer imports custom routes; subnet routes are always imported', async () => {
    expect(byRange(await list('OUTGOING'))).toMatchObject({
      '10.95.0.0/16': { imported: true, type: 'SUBNET_PEERING_ROUTE' },
      '198.51.100.10/32': { imported: true, type: 'STATIC_PEERING_ROUTE' },
    });
  });

  it('a peer that does not import leaves the exported static route imported: false', async () => {
    peeringOf().peerImportCustomRoutes = false;
    try {
      expect(byRange(await list('OUTGOING'))['198.51.100.10/32']).toEqual({
        imported: false,
        type: 'STATIC_PEERING_ROUTE',
      });
    } finally {
      delete peeringOf().peerImportCustomRoutes;
    }
  });

  it('a static route inside one of the producer subnets conflicts and is not imported', async () => {
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: {
          name: 'into-psa',
          network: 'global/networks/vpc-a',
          destRange: '10.98.1.0/24',
          priority: 900,
          nextHopIp: '10.95.0.9',
        },
      }),
    );
    expect(byRange(await list('OUTGOING'))['10.98.1.0/24']).toEqual({ imported: false, type: 'STATIC_PEERING_ROUTE' });
  });
});

describe('INCOMING: what the producer advertises', () => {
  it('every allocated range on the connection, as a subnet route we import; a new range appears once it is reserved', async () => {
    expect(byRange(await list('INCOMING'))).toMatchObject({
      '10.98.0.0/21': { imported: true, type: 'SUBNET_PEERING_ROUTE' },
    });
    const [res] = await psa.addresses.insert({
      project: PROJECT,
      addressResource: {
        name: 'second-psa',
        address: '10.99.0.0',
        prefixLength: 16,
        purpose: 'VPC_PEERING',
        addressType: 'INTERNAL',
        network: 'global/networks/vpc-a',
      },
    });
    await psa.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
    expect(Object.keys(byRange(await list('INCOMING')))).not.toContain('10.99.0.0/16');
    await sn.wait(await sn.patch(networkOf('vpc-a'), ['vertex-psa-range', 'second-psa']));
    expect(byRange(await list('INCOMING'))['10.99.0.0/16']).toEqual({ imported: true, type: 'SUBNET_PEERING_ROUTE' });
  });

  it('a producer static route is listed but imported only when we import custom routes', async () => {
    (peeringOf().remoteRoutes as unknown[]).push({
      destRange: '172.16.0.0/24',
      type: 'STATIC_PEERING_ROUTE',
      priority: 100,
    });
    expect(byRange(await list('INCOMING'))['172.16.0.0/24']).toEqual({ imported: false, type: 'STATIC_PEERING_ROUTE' });
    await c.wait(
      await c.networks.updatePeering({
        project: PROJECT,
        network: 'vpc-a',
        networksUpdatePeeringRequestResource: { networkPeering: { name: PEERING, importCustomRoutes: true } },
      }),
    );
    expect(byRange(await list('INCOMING'))['172.16.0.0/24']).toEqual({ imported: true, type: 'STATIC_PEERING_ROUTE' });
  });

  it('the emulator-internal side of the peering never shows in networks.get', async () => {
    const [net] = await c.networks.get({ project: PROJECT, network: 'vpc-a' });
    expect(Object.keys(net.peerings![0]!)).not.toContain('remoteRoutes');
    expect(Object.keys(net.peerings![0]!)).not.toContain('peerImportCustomRoutes');
  });
});
