/**
 * Global addresses (Private Service Access allocated ranges) of the local Compute Engine, through
 * the official @google-cloud/compute client: what netreflex's allocator relies on Compute to refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { PROJECT } from '../helpers/compute.js';
import { failure, psaComputeClients } from '../helpers/vertex.js';

let emu: Emulator;
let c: ReturnType<typeof psaComputeClients>;

const psa = (name: string, address: string, prefixLength: number, network = 'global/networks/vpc-a') => ({
  project: PROJECT,
  addressResource: { name, address, prefixLength, purpose: 'VPC_PEERING', addressType: 'INTERNAL', network },
});

async function done(call: Promise<[{ latestResponse?: unknown }, ...unknown[]]>) {
  const [res] = await call;
  const op = res.latestResponse as { name: string };
  const [finished] = await c.globalOps.wait({ project: PROJECT, operation: op.name });
  return finished;
}

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 20 } });
  c = psaComputeClients(emu.port);
});
afterAll(() => emu.close());

describe('globalAddresses', () => {
  it('serves the seeded PSA range with its purpose, type and network', async () => {
    const [a] = await c.addresses.get({ project: PROJECT, address: 'vertex-psa-range' });
    expect(a).toMatchObject({
      address: '10.98.0.0',
      prefixLength: 21,
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      status: 'RESERVED',
    });
    expect(a.network).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/vpc-a`);
  });

  it('inserts a VPC_PEERING range through an operation; list filters on purpose', async () => {
    expect((await done(c.addresses.insert(psa('extra-psa', '10.99.0.0', 16))))?.status).toBe('DONE');
    const [all] = await c.addresses.list({ project: PROJECT, filter: 'purpose = "VPC_PEERING"' });
    expect(all.map((a) => a.name)).toEqual(['extra-psa', 'vertex-psa-range']);
  });

  it('refuses an overlap with another PSA range or a subnet of the same network (400)', async () => {
    const vsRange = await failure(c.addresses.insert(psa('overlaps-psa', '10.98.4.0', 22)));
    expect(vsRange.code).toBe(400);
    expect(vsRange.message).toMatch(/overlaps with allocated range 'vertex-psa-range'/);
    const vsSubnet = await failure(c.addresses.insert(psa('overlaps-subnet', '10.95.128.0', 20)));
    expect(vsSubnet.message).toMatch(/overlaps with subnetwork 'subnet-a'/);
  });

  it('allows the same block on another network, where nothing overlaps it', async () => {
    expect(
      (await done(c.addresses.insert(psa('vpc-b-psa', '10.98.0.0', 21, 'global/networks/vpc-b'))))?.error,
    ).toBeFalsy();
  });

  it('refuses a duplicate name (409), a misaligned block and a missing network (400)', async () => {
    expect((await failure(c.addresses.insert(psa('extra-psa', '10.120.0.0', 16)))).code).toBe(409);
    expect((await failure(c.addresses.insert(psa('misaligned', '10.121.4.0', 21)))).message).toMatch(/aligned/);
    expect((await failure(c.addresses.insert(psa('no-net', '10.122.0.0', 21, 'global/networks/nope')))).code).toBe(404);
  });

  it('picks the lowest free aligned block when no address is given', async () => {
    await done(
      c.addresses.insert({
        project: PROJECT,
        addressResource: {
          name: 'auto-psa',
          prefixLength: 20,
          purpose: 'VPC_PEERING',
          addressType: 'INTERNAL',
          network: 'global/networks/vpc-a',
        },
      }),
    );
    const [a] = await c.addresses.get({ project: PROJECT, address: 'auto-psa' });
    expect(`${a.address}/${a.prefixLength}`).toBe('10.0.0.0/20');
  });

  it('deletes, then get is a 404', async () => {
    await done(c.addresses.delete({ project: PROJECT, address: 'auto-psa' }));
    expect((await failure(c.addresses.get({ project: PROJECT, address: 'auto-psa' }))).code).toBe(404);
  });
});
