/**
 * Service Networking connections of the local Google Cloud over REST (google-auth-library, as
 * users without a dedicated client call it), and the NAT MIG's all-instances metadata through
 * the official compute client: the two places a new PSA range is wired besides Compute addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { PROJECT, REGION, waitFor } from '../helpers/compute.js';
import { failure, networkOf, psaComputeClients, serviceNetworking } from '../helpers/vertex.js';

let emu: Emulator;
let sn: ReturnType<typeof serviceNetworking>;
let c: ReturnType<typeof psaComputeClients>;
const VPC_A = networkOf('vpc-a');

async function addRange(name: string, address: string, prefixLength: number, network = 'global/networks/vpc-a') {
  const [res] = await c.addresses.insert({
    project: PROJECT,
    addressResource: { name, address, prefixLength, purpose: 'VPC_PEERING', addressType: 'INTERNAL', network },
  });
  await c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
}

const remoteRoutes = () =>
  (
    emu.store.get(`projects/${PROJECT}/global/networks`, 'vpc-a')!.peerings as {
      remoteRoutes: { destRange: string }[];
    }[]
  )[0]!.remoteRoutes.map((r) => r.destRange);

beforeAll(async () => {
  emu = await startSampleEmulator({ natInstances: ['nat-aaaa', 'nat-bbbb'], settings: { operationLatencyMs: 20 } });
  sn = serviceNetworking(emu.url);
  c = psaComputeClients(emu.port);
});
afterAll(() => emu.close());

describe('servicenetworking connections', () => {
  it('lists the seeded connection of vpc-a by project number', async () => {
    expect(await sn.list(VPC_A)).toEqual([
      {
        network: VPC_A,
        reservedPeeringRanges: ['vertex-psa-range'],
        peering: 'servicenetworking-googleapis-com',
        service: 'services/servicenetworking.googleapis.com',
      },
    ]);
    expect(await sn.list(networkOf('vpc-b'))).toEqual([]);
  });

  it('refuses a project id where the API wants the project number (400)', async () => {
    const err = await failure(sn.list(`projects/${PROJECT}/global/networks/vpc-a`));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/project number \(123456789012\)/);
  });

  it('patch adds a range through its own operation', async () => {
    await addRange('extra-psa', '10.99.0.0', 16);
    const op = await sn.patch(VPC_A, ['vertex-psa-range', 'extra-psa']);
    expect(op).toMatchObject({ done: false });
    expect(op.name).toMatch(/^operations\/pssn\./);
    const finished = await sn.wait(op);
    expect(finished.response?.reservedPeeringRanges).toEqual(['vertex-psa-range', 'extra-psa']);
    expect((await sn.list(VPC_A))[0]!.reservedPeeringRanges).toEqual(['vertex-psa-range', 'extra-psa']);
  });

  it('refuses an unknown range or one that is not VPC_PEERING on this network (400)', async () => {
    expect((await failure(sn.patch(VPC_A, ['vertex-psa-range', 'nope']))).message).toMatch(
      /Allocated IP range 'nope' not found/,
    );
  });

  it('refuses to drop a range in use without force; with force the producer subnet goes too', async () => {
    expect(remoteRoutes()).toContain('10.98.0.0/24');
    const err = await failure(sn.patch(VPC_A, ['extra-psa']));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/in use \(vertex-psa-range: producer subnet 10\.98\.0\.0\/24\).*force=true/);
    await sn.wait(await sn.patch(VPC_A, ['extra-psa'], true));
    expect(remoteRoutes()).not.toContain('10.98.0.0/24');
    await sn.wait(await sn.patch(VPC_A, ['vertex-psa-range', 'extra-psa']));
  });

  it('create makes a connection and its peering; again with other ranges the operation fails', async () => {
    await addRange('b-psa', '10.200.0.0', 21, 'global/networks/vpc-b');
    const created = await sn.wait(await sn.create(networkOf('vpc-b'), ['b-psa']));
    expect(created.response?.peering).toBe('servicenetworking-googleapis-com');
    const [net] = await c.networks.get({ project: PROJECT, network: 'vpc-b' });
    expect(net.peerings?.map((p) => p.name)).toEqual(['servicenetworking-googleapis-com']);
    expect((await sn.wait(await sn.create(networkOf('vpc-b'), ['b-psa']))).error).toBeUndefined();
    await addRange('b-psa-2', '10.201.0.0', 21, 'global/networks/vpc-b');
    const again = await sn.wait(await sn.create(networkOf('vpc-b'), ['b-psa', 'b-psa-2']));
    expect(again.error).toEqual({
      code: 9,
      message: 'Cannot modify allocated ranges in CreateConnection. Please use UpdateConnection.',
    });
    expect((await failure(sn.create(networkOf('vpc-b'), ['extra-psa']))).message).toMatch(
      /'extra-psa' not found in network projects\/123456789012\/global\/networks\/vpc-b/,
    );
  });

  it('fails an operation on demand (faults.failOperations) and changes nothing', async () => {
    emu.faults.failOperations('servicenetworking.services.connections.patch', 1, 'injected');
    const op = await sn.wait(await sn.patch(VPC_A, ['extra-psa', 'vertex-psa-range']));
    expect(op.error).toEqual({ code: 13, message: 'injected' });
    expect((await sn.list(VPC_A))[0]!.reservedPeeringRanges).toEqual(['vertex-psa-range', 'extra-psa']);
  });
});

describe('NAT MIG all-instances metadata', () => {
  const MIG = { project: PROJECT, region: REGION, instanceGroupManager: 'nat-mig' };

  it('instance templates are readable with their metadata', async () => {
    const [t] = await c.templates.get({ project: PROJECT, instanceTemplate: 'nat-template' });
    expect(t.properties?.metadata?.items).toEqual([
      expect.objectContaining({ key: 'netreflex-psa-ranges', value: '10.98.0.0/21' }),
    ]);
  });

  it('patch with allInstancesConfig reaches existing instances and overrides the template key', async () => {
    const [{ fingerprint }] = await c.migs.get(MIG);
    const [res] = await c.migs.patch({
      ...MIG,
      instanceGroupManagerResource: {
        fingerprint,
        allInstancesConfig: { properties: { metadata: { 'netreflex-psa-ranges': '10.98.0.0/21,10.99.0.0/16' } } },
      },
    });
    await c.regionOps.wait({
      project: PROJECT,
      region: REGION,
      operation: (res.latestResponse as { name: string }).name,
    });
    const [mig] = await c.migs.get(MIG);
    expect(mig.allInstancesConfig?.properties?.metadata).toEqual({
      'netreflex-psa-ranges': '10.98.0.0/21,10.99.0.0/16',
    });
    // The operation is DONE before the VMs are updated; the update policy rolls it out after.
    await waitFor(
      'the all-instances configuration in effect',
      async () =>
        (await c.migs.get(MIG))[0].status?.allInstancesConfig?.effective === true &&
        (await c.migs.get(MIG))[0].status?.isStable === true,
    );
    const [managed] = await c.migs.listManagedInstances(MIG);
    for (const m of managed) {
      const [inst] = await c.instances.get({ project: PROJECT, zone: m.instance!.split('/')[8]!, instance: m.name! });
      expect(inst.metadata?.items?.filter((i) => i.key === 'netreflex-psa-ranges')).toEqual([
        expect.objectContaining({ value: '10.98.0.0/21,10.99.0.0/16' }),
      ]);
    }
  });
});
