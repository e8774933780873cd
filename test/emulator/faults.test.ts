/**
 * The fault API's 403 and 404 as the official clients see them: Google's error shapes, so code
 * that branches on a permission error or a missing resource can be tested without real IAM.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, type ComputeClients } from '../helpers/compute.js';
import { storageClient } from '../helpers/storage.js';
import { controlFaults, type FaultControl } from '../helpers/faults.js';

let emu: Emulator;
let c: ComputeClients;
let faults: FaultControl;

beforeAll(async () => {
  emu = await startSampleEmulator();
  c = computeClients(emu.port);
  faults = controlFaults(emu.url);
});
afterEach(() => faults.clear());
afterAll(() => emu?.close());

const caught = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err as { code?: number; message?: string },
  );

describe('call faults 403 and 404', () => {
  it('403 on a Compute method names the permission and the resource the way Compute Engine does', async () => {
    await faults.failNext('compute.routes.list', 1, 403, { permission: 'compute.routes.list' });
    const err = await caught(c.routes.list({ project: PROJECT }));
    expect(err?.code).toBe(403);
    expect(err?.message).toContain(`Required 'compute.routes.list' permission for 'projects/${PROJECT}/global/routes'`);
    const [routes] = await c.routes.list({ project: PROJECT });
    expect(Array.isArray(routes)).toBe(true);
  });

  it('the raw answer is Google error JSON: code 403, PERMISSION_DENIED, reason forbidden', async () => {
    await faults.failNext('compute.networks.get', 1, 403);
    const res = await fetch(`${emu.url}/compute/v1/projects/${PROJECT}/global/networks/${SAMPLE.vpcA.network}`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: {
        code: 403,
        status: 'PERMISSION_DENIED',
        message: expect.stringMatching(/^The caller does not have permission/),
        errors: [{ domain: 'global', reason: 'forbidden', message: expect.any(String) }],
      },
    });
  });

  it('403 on Cloud Storage reads as IAM_PERMISSION_DENIED text through @google-cloud/storage', async () => {
    await faults.failNext('storage.objects.get', 1, 403, { permission: 'storage.objects.get' });
    const err = await caught(
      storageClient(emu.url).bucket(SAMPLE.bucket.name).file('allowlists/none.yaml').getMetadata(),
    );
    expect(err?.code).toBe(403);
    expect(err?.message).toMatch(
      /^Permission 'storage\.objects\.get' denied on resource '.*' \(or it may not exist\)\.$/,
    );
  });

  it('404 on an existing network: the client sees NOT_FOUND as for a deleted one, and the network is still there', async () => {
    await faults.failNext('compute.networks.get', 1, 404);
    const err = await caught(c.networks.get({ project: PROJECT, network: SAMPLE.vpcA.network }));
    expect(err?.code).toBe(404);
    expect(err?.message).toContain(
      `The resource 'projects/${PROJECT}/global/networks/${SAMPLE.vpcA.network}' was not found`,
    );
    const [network] = await c.networks.get({ project: PROJECT, network: SAMPLE.vpcA.network });
    expect(network.name).toBe(SAMPLE.vpcA.network);
  });

  it('refuses a permission on a fault that is not 403, or a permission that is no permission name', async () => {
    for (const body of [
      { kind: 'call', method: 'compute.routes.list', fault: 500, permission: 'compute.routes.list' },
      { kind: 'call', method: 'compute.routes.list', fault: 403, permission: 'routes list' },
      { kind: 'call', method: 'compute.routes.list', fault: 403, permission: 7 },
    ]) {
      const res = await fetch(`${emu.url}/_emulator/v1/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await faults.snapshot()).calls).toEqual([]);
  });
});
