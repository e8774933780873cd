/**
 * Failed operations answer in Google's codes, read through the official clients: a Compute
 * operation ends DONE with `error.errors[].code` from Compute's error catalogue and the HTTP status
 * of the failure; a Service Networking operation ends `done` with a `google.rpc.Status` code. The
 * same holds for failures the fault API injects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { PROJECT } from '../helpers/compute.js';
import { networkOf, psaComputeClients, serviceNetworking } from '../helpers/vertex.js';

let emu: Emulator;
let c: ReturnType<typeof psaComputeClients>;
let sn: ReturnType<typeof serviceNetworking>;

type Started = Promise<[{ latestResponse?: unknown }, ...unknown[]]>;
const opName = async (call: Started) => ((await call)[0].latestResponse as { name: string }).name;
const waited = async (name: string) => (await c.globalOps.wait({ project: PROJECT, operation: name }))[0];

const psa = (name: string, address: string) => ({
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

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 30 } });
  c = psaComputeClients(emu.port);
  sn = serviceNetworking(emu.url);
});
afterAll(() => emu.close());

describe('Compute operation errors', () => {
  it('a delete that loses the race to another delete ends RESOURCE_NOT_FOUND / 404 NOT FOUND', async () => {
    await waited(await opName(c.addresses.insert(psa('twice-deleted', '10.120.0.0'))));
    emu.settings.operationLatencyMs = 1_000; // wide enough that a loaded machine sends both before the first lands
    const names = await Promise.all([
      opName(c.addresses.delete({ project: PROJECT, address: 'twice-deleted' })),
      opName(c.addresses.delete({ project: PROJECT, address: 'twice-deleted' })),
    ]).finally(() => (emu.settings.operationLatencyMs = 30));
    // Either request may reach the API first: one delete wins, the other loses.
    const ended = await Promise.all(names.map(waited));
    expect(ended.filter((op) => !op.error)).toHaveLength(1);
    const lost = ended.find((op) => op.error)!;
    expect(lost).toMatchObject({ status: 'DONE', httpErrorStatusCode: 404, httpErrorMessage: 'NOT FOUND' });
    expect(lost.error?.errors?.[0]?.code).toBe('RESOURCE_NOT_FOUND');
  });

  it('an injected failure is INTERNAL_ERROR / 500 by default, and the code asked for otherwise', async () => {
    emu.faults.failOperations('compute.globalAddresses.insert', 1, 'backend error');
    const internal = await waited(await opName(c.addresses.insert(psa('injected-500', '10.121.0.0'))));
    expect(internal).toMatchObject({ httpErrorStatusCode: 500, httpErrorMessage: 'INTERNAL SERVER ERROR' });
    expect(internal.error?.errors).toEqual([
      expect.objectContaining({ code: 'INTERNAL_ERROR', message: 'backend error' }),
    ]);

    emu.faults.failOperations('compute.globalAddresses.insert', 1, "Quota 'GLOBAL_INTERNAL_ADDRESSES' exceeded.", 403);
    const quota = await waited(await opName(c.addresses.insert(psa('injected-403', '10.122.0.0'))));
    expect(quota).toMatchObject({ httpErrorStatusCode: 403, httpErrorMessage: 'FORBIDDEN' });
    expect(quota.error?.errors?.[0]?.code).toBe('QUOTA_EXCEEDED');

    emu.faults.failOperations('compute.globalAddresses.insert', 1, 'stale', 412);
    const stale = await waited(await opName(c.addresses.insert(psa('injected-412', '10.123.0.0'))));
    expect(stale).toMatchObject({ httpErrorStatusCode: 412, httpErrorMessage: 'PRECONDITION FAILED' });
    expect(stale.error?.errors?.[0]?.code).toBe('CONDITION_NOT_MET');
    const [left] = await c.addresses.list({ project: PROJECT, filter: 'name = "injected-.*"' });
    expect(left).toEqual([]);
  });

  it('the fault API refuses a code an operation cannot end with', async () => {
    const res = await fetch(`${emu.url}/_emulator/v1/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'operation', method: 'compute.routes.insert', code: 418 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /operation fault code must be one of 400, 403, 404, 409, 412, 429, 500, 503/,
    );
  });
});

describe('Service Networking operation errors', () => {
  it('carry google.rpc codes: an injected 412 is FAILED_PRECONDITION 9, the default INTERNAL 13', async () => {
    emu.faults.failOperations('servicenetworking.services.connections.patch', 1, 'stale', 412);
    const stale = await sn.wait(await sn.patch(networkOf('vpc-a'), ['vertex-psa-range']));
    expect(stale.error).toEqual({ code: 9, message: 'stale' });
    emu.faults.failOperations('servicenetworking.services.connections.patch', 1);
    expect((await sn.wait(await sn.patch(networkOf('vpc-a'), ['vertex-psa-range']))).error?.code).toBe(13);
  });
});
