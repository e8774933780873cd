/**
 * One observation of the PSA ranges Vertex may use, peeringRanges' own, which `netreflex status`
 * judges by its dry run: a Cloud SQL range on the network is another service's, listed and never
 * counted as capacity (status said "room for 64 jobs" while peeringRanges saw room for 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { sampleEnv } from '../../local/stack.js';
import { Transport } from '../../shared/gcp/transport.js';
import { psaRangesLink } from '../../shared/status/network-links.js';
import { loadStatusConfig } from '../../shared/status/config.js';
import { loadPeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { reconcilePeeringRanges } from '../../shared/peering-ranges/reconcile.js';
import { sameNetwork } from '../../shared/gcp/paths.js';
import { rangesClients } from '../helpers/ranges.js';

let emu: Emulator;
let t: Transport;

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 10 } });
  t = new Transport({ emulatorHost: emu.url });
  await rangesClients(emu.port, emu.url).foreign.addRange('cloudsql-range', '10.120.0.0', 16);
  await rangesClients(emu.port, emu.url).foreign.connect('cloudsql-range');
});
afterAll(() => emu.close());

describe('the PSA ranges Vertex may use', () => {
  it('netreflex status and peeringRanges agree: room for one 8-node job, the Cloud SQL /16 not counted', async () => {
    const link = await psaRangesLink(t, loadStatusConfig(sampleEnv(emu.url)));
    expect(link.reason).toMatch(/^1 Vertex range\(s\), room for 1 concurrent job\(s\) of ≤8 nodes$/);
    expect(link.details.join('\n')).toMatch(/cloudsql-range 10.120.0.0\/16: another service's PSA range, not counted/);
    const plan = await reconcilePeeringRanges(
      t,
      loadPeeringRangesConfig({ ...sampleEnv(emu.url), NETREFLEX_LOG_LEVEL: 'silent' }),
      { parallelJobs: 1, nodesPerJob: 8 },
      { dryRun: true },
    );
    expect(plan.capacity.before).toBe(1);
  });
});

describe('one test of "this network" for every observation', () => {
  const ours = { project: 'netreflex-demo', projectNumber: '123456789012', name: 'vpc-a' };
  const v1 = 'https://www.googleapis.com/compute/v1/projects/netreflex-demo/global/networks/vpc-a';

  it("is the network's project (id or number) and name, in any of Google's URL forms", () => {
    for (const url of [
      v1,
      'https://compute.googleapis.com/compute/beta/projects/netreflex-demo/global/networks/vpc-a',
      'projects/netreflex-demo/global/networks/vpc-a',
      'projects/123456789012/global/networks/vpc-a',
    ])
      expect(sameNetwork(url, ours), url).toBe(true);
    for (const url of [
      'https://www.googleapis.com/compute/v1/projects/other-project/global/networks/vpc-a',
      'https://www.googleapis.com/compute/v1/projects/netreflex-demo/global/networks/vpc-a-2',
      'vpc-a',
      undefined,
    ])
      expect(sameNetwork(url, ours), String(url)).toBe(false);
  });
});
