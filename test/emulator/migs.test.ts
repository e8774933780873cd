/**
 * The local regional MIG as Google documents it, seen through the official @google-cloud/compute
 * client: the fingerprint lock on updates, the update policy that rolls every configuration change
 * out to the VMs (or does not), and what the group and its instances show while it runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/server.js';
import { computeClients, PROJECT, REGION, type ComputeClients } from '../helpers/compute.js';

let emu: Emulator;
let c: ComputeClients;
const MIG = { project: PROJECT, region: REGION, instanceGroupManager: 'nat-mig' };

async function apiError(call: Promise<unknown>): Promise<{ code?: number; message?: string }> {
  const err = (await call.then(() => undefined, (e: unknown) => e)) as { code?: number; message?: string } | undefined;
  expect(err, 'expected the call to fail').toBeDefined();
  return err!;
}

beforeAll(async () => {
  emu = await startEmulator({ natInstances: ['nat-aaaa', 'nat-bbbb'], settings: { operationLatencyMs: 20, instanceStepMs: 20 } });
  c = computeClients(emu.port);
});
afterAll(() => emu.close());

describe('MIG fingerprint', () => {
  const patch = (fingerprint: string | undefined, value: string) =>
    c.migs.patch({ ...MIG, instanceGroupManagerResource: { ...(fingerprint === undefined ? {} : { fingerprint }), allInstancesConfig: { properties: { metadata: { 'fp-test': value } } } } });

  it('a patch with the fingerprint just read is applied and changes the fingerprint', async () => {
    const [before] = await c.migs.get(MIG);
    await c.wait(await patch(before.fingerprint!, 'one'));
    const [after] = await c.migs.get(MIG);
    expect(after.allInstancesConfig?.properties?.metadata?.['fp-test']).toBe('one');
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('a stale fingerprint is 412 conditionNotMet and changes nothing', async () => {
    const [before] = await c.migs.get(MIG);
    await c.wait(await patch(before.fingerprint!, 'two'));
    const err = await apiError(patch(before.fingerprint!, 'three'));
    expect(err.code).toBe(412);
    expect(err.message).toMatch(/fingerprint/);
    const [after] = await c.migs.get(MIG);
    expect(after.allInstancesConfig?.properties?.metadata?.['fp-test']).toBe('two');
  });

  it('a missing fingerprint is refused the same way (compute.proto: "must be provided")', async () => {
    const err = await apiError(patch(undefined, 'four'));
    expect(err.code).toBe(412);
    expect(err.message).toMatch(/fingerprint must be provided/);
  });

  it('two patches on one fingerprint: the second fails when it lands, with 412 on its operation', async () => {
    const [{ fingerprint }] = await c.migs.get(MIG);
    const [first, second] = await Promise.all([patch(fingerprint!, 'five'), patch(fingerprint!, 'six')]);
    const [a, b] = await Promise.all([c.wait(first), c.wait(second)]);
    expect(a?.error).toBeFalsy();
    expect(b?.httpErrorStatusCode).toBe(412);
    const [after] = await c.migs.get(MIG);
    expect(after.allInstancesConfig?.properties?.metadata?.['fp-test']).toBe('five');
  });
});
