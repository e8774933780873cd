/**
 * A Compute operation is found by its name or by its unique numeric id, as Compute's reference says
 * of `operations.get` and `wait` ("Name of the Operations resource to return, or its unique numeric
 * identifier"): the Node client's operation object carries the id as its `name`, so a script that
 * waits on `op.name` must work against the local Google Cloud as it does against Google.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { PROJECT } from '../helpers/compute.js';
import { psaComputeClients } from '../helpers/vertex.js';

let emu: Emulator;
let c: ReturnType<typeof psaComputeClients>;

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 30 } });
  c = psaComputeClients(emu.port);
});
afterAll(() => emu.close());

const insertAddress = (name: string, address: string) =>
  c.addresses.insert({
    project: PROJECT,
    addressResource: {
      name,
      address,
      prefixLength: 24,
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      network: 'global/networks/vpc-a',
    },
  });

describe('Compute operations by name or by id', () => {
  it("the client's operation object names the operation by its id, and waiting on it waits for that operation", async () => {
    const [op] = await insertAddress('by-id', '10.121.0.0');
    const started = op.latestResponse as unknown as { name: string; id: string };
    expect(started.name).toMatch(/^operation-/);
    expect(op.name).toBe(started.id);
    const [done] = await c.globalOps.wait({ project: PROJECT, operation: op.name! });
    expect(done).toMatchObject({ name: started.name, id: started.id, status: 'DONE' });
    const [byId] = await c.globalOps.get({ project: PROJECT, operation: started.id });
    const [byName] = await c.globalOps.get({ project: PROJECT, operation: started.name });
    expect(byId).toEqual(byName);
  });

  it('an id no operation has is 404, as an unknown name is', async () => {
    for (const operation of ['999999999999999999', 'operation-0-00000000'])
      await expect(c.globalOps.get({ project: PROJECT, operation })).rejects.toMatchObject({ code: 404 });
  });
});
