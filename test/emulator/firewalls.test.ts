/**
 * Firewall rules of the local Compute Engine through the official client: the seeded PSA → NAT
 * rule, and the `patch` semantics netreflex uses to extend its `sourceRanges`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { PROJECT } from '../helpers/compute.js';
import { failure, psaComputeClients } from '../helpers/vertex.js';

let emu: Emulator;
let c: ReturnType<typeof psaComputeClients>;

async function done(call: Promise<[{ latestResponse?: unknown }, ...unknown[]]>) {
  const [res] = await call;
  const [finished] = await c.globalOps.wait({
    project: PROJECT,
    operation: (res.latestResponse as { name: string }).name,
  });
  return finished;
}

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 20 } });
  c = psaComputeClients(emu.port);
});
afterAll(() => emu.close());

describe('firewalls', () => {
  it('serves the seeded allow-psa-to-nat rule: from the PSA range to the NAT VMs', async () => {
    const [fw] = await c.firewalls.get({ project: PROJECT, firewall: 'allow-psa-to-nat' });
    expect(fw).toMatchObject({
      direction: 'INGRESS',
      sourceRanges: ['10.98.0.0/21'],
      targetTags: ['netreflex-nat'],
      priority: 1000,
      disabled: false,
    });
    expect(fw.allowed).toEqual([expect.objectContaining({ IPProtocol: 'all' })]);
  });

  it('patch replaces only the fields sent, once the operation is done', async () => {
    emu.settings.operationLatencyMs = 1_000; // wide enough that a loaded machine still reads before DONE
    const [res] = await c.firewalls
      .patch({
        project: PROJECT,
        firewall: 'allow-psa-to-nat',
        firewallResource: { sourceRanges: ['10.98.0.0/21', '10.99.0.0/16'] },
      })
      .finally(() => (emu.settings.operationLatencyMs = 20));
    const [before] = await c.firewalls.get({ project: PROJECT, firewall: 'allow-psa-to-nat' });
    expect(before.sourceRanges).toEqual(['10.98.0.0/21']);
    await c.globalOps.wait({ project: PROJECT, operation: (res.latestResponse as { name: string }).name });
    const [after] = await c.firewalls.get({ project: PROJECT, firewall: 'allow-psa-to-nat' });
    expect(after).toMatchObject({
      sourceRanges: ['10.98.0.0/21', '10.99.0.0/16'],
      targetTags: ['netreflex-nat'],
      direction: 'INGRESS',
    });
  });

  it('refuses a bad CIDR, a name or network change, and both allowed and denied (400)', async () => {
    const patch = (firewallResource: Record<string, unknown>) =>
      c.firewalls.patch({ project: PROJECT, firewall: 'allow-psa-to-nat', firewallResource });
    expect((await failure(patch({ sourceRanges: ['10.99.0.1/16'] }))).message).toMatch(/sourceRanges\[0\]/);
    expect((await failure(patch({ name: 'other' }))).message).toMatch(/cannot be changed/);
    expect((await failure(patch({ network: 'global/networks/vpc-b' }))).message).toMatch(/cannot be changed/);
    expect((await failure(patch({ denied: [{ IPProtocol: 'tcp' }], allowed: [{ IPProtocol: 'udp' }] }))).code).toBe(
      400,
    );
  });

  it('inserts with defaults, lists, refuses a duplicate (409) and 404s an unknown rule', async () => {
    await done(
      c.firewalls.insert({
        project: PROJECT,
        firewallResource: {
          name: 'allow-ssh',
          network: 'global/networks/vpc-a',
          allowed: [{ IPProtocol: 'tcp', ports: ['22'] }],
          sourceRanges: ['35.235.240.0/20'],
        },
      }),
    );
    const [list] = await c.firewalls.list({ project: PROJECT });
    expect(list.map((f) => f.name)).toEqual(['allow-psa-to-nat', 'allow-ssh']);
    expect(list[1]).toMatchObject({ priority: 1000, direction: 'INGRESS' });
    expect(
      (
        await failure(
          c.firewalls.insert({
            project: PROJECT,
            firewallResource: { name: 'allow-ssh', network: 'global/networks/vpc-a', allowed: [{ IPProtocol: 'all' }] },
          }),
        )
      ).code,
    ).toBe(409);
    expect((await failure(c.firewalls.get({ project: PROJECT, firewall: 'nope' }))).code).toBe(404);
  });
});
