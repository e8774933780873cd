/**
 * peeringRanges' return-path step writes the NAT MIG's all-instances metadata under the MIG's
 * fingerprint: another writer between its read and its write (a second pipeline run adding its own
 * range, an operator adding a key) makes the write a 412, and the step reads again and re-merges,
 * so nobody's range or key is lost — and the call never goes out without the fingerprint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { sampleEnv } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { Transport, type Call } from '../../shared/gcp/transport.js';
import { loadPeeringRangesConfig, type PeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { applyRangeChanges } from '../../shared/peering-ranges/apply.js';
import type { RangeChange } from '../../shared/plan/ranges.js';
import { computeClients, PROJECT, REGION, type ComputeClients } from '../helpers/compute.js';

const MIG = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };
const KEY = 'netreflex-psa-ranges';

let emu: Emulator;
let c: ComputeClients;
let cfg: PeeringRangesConfig;

/** A Transport that lets `meanwhile` run once, right before its first MIG patch goes out. */
class RacedTransport extends Transport {
  private raced = false;
  readonly patches: Call[] = [];

  constructor(
    url: string,
    private readonly meanwhile: () => Promise<void>,
  ) {
    super({ emulatorHost: url, retry: { baseMs: 5, maxMs: 20 } });
  }

  override async request<T>(call: Call): Promise<T> {
    if (call.method === 'PATCH' && call.path.includes('/instanceGroupManagers/')) {
      this.patches.push(call);
      if (!this.raced) {
        this.raced = true;
        await this.meanwhile();
      }
    }
    return super.request<T>(call);
  }
}

const setMetadata = (ranges: string[]): RangeChange => ({
  kind: 'setMigMetadata',
  key: KEY,
  value: ranges.join(','),
  ranges,
  added: ranges.slice(-1),
});

async function patchWithClient(metadata: Record<string, string>): Promise<void> {
  const [{ fingerprint }] = await c.migs.get(MIG);
  await c.wait(
    await c.migs.patch({
      ...MIG,
      instanceGroupManagerResource: { fingerprint, allInstancesConfig: { properties: { metadata } } },
    }),
  );
}

async function allInstancesMetadata(): Promise<Record<string, string>> {
  const [mig] = await c.migs.get(MIG);
  return (mig.allInstancesConfig?.properties?.metadata ?? {}) as Record<string, string>;
}

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 20, instanceStepMs: 20 } });
  c = computeClients(emu.port);
  cfg = loadPeeringRangesConfig({ ...sampleEnv(emu.url), NETREFLEX_LOG_LEVEL: 'silent' });
});
afterAll(() => emu.close());

describe('NAT MIG metadata under the fingerprint', () => {
  it('a range another run added between the read and the write survives, and so does ours', async () => {
    const t = new RacedTransport(emu.url, () =>
      patchWithClient({ [KEY]: '10.98.0.0/21,10.200.0.0/24', 'operator-key': 'kept' }),
    );
    const [result] = await applyRangeChanges(t, cfg, cfg.network, [setMetadata(['10.98.0.0/21', '10.99.0.0/16'])]);
    expect(result).toMatchObject({ ok: true });
    const md = await allInstancesMetadata();
    expect(md[KEY]!.split(',').sort()).toEqual(['10.200.0.0/24', '10.98.0.0/21', '10.99.0.0/16']);
    expect(md['operator-key']).toBe('kept');
    expect(t.patches.length).toBe(2); // the stale write was refused (412), the re-merged one went through
    expect(t.patches.every((p) => typeof (p.body as { fingerprint?: unknown }).fingerprint === 'string')).toBe(true);
  });

  it('nothing to add writes nothing', async () => {
    const t = new RacedTransport(emu.url, async () => undefined);
    const [result] = await applyRangeChanges(t, cfg, cfg.network, [setMetadata(['10.98.0.0/21'])]);
    expect(result).toMatchObject({ ok: true, noop: true });
    expect(t.patches).toEqual([]);
  });
});
