/**
 * A 2 → 4 NAT VM change with 20 destinations is 40 route inserts; with bounded parallelism they
 * are all in flight at once, so routes converge in about one operation latency (`npm run bench`
 * measures it), not in one latency per wave of a small pool.
 */
import { afterEach, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { sampleEnv } from '../../local/stack.js';
import { reconcileRoutes } from '../../shared/nat-routes/reconcile.js';
import { convergenceProblem, fastTransport, MIG, migSettled, natEmulator } from './nat-support.js';

let emu: Emulator | undefined;
afterEach(async () => emu?.close());

it('puts every insert of a 2 → 4 change with 20 destinations in flight at once', async () => {
  emu = (await natEmulator()).emu;
  const cfg = loadNatRoutesConfig({
    ...sampleEnv(emu.url),
    NETREFLEX_LOG_LEVEL: 'silent',
    NETREFLEX_DESTINATIONS: Array.from({ length: 20 }, (_, i) => `198.51.100.${i * 8}/29`).join(','),
  });
  await reconcileRoutes(fastTransport(emu), cfg);
  emu.migs.resize(MIG, 4);
  await migSettled(emu, 4);
  emu.settings.operationLatencyMs = 2_000; // wide enough that a loaded machine sends all 40 before the first lands
  let running = 0;
  let peak = 0;
  emu.store.onMutation((m) => {
    if (!m.collection.endsWith('/global/operations') || m.after?.operationType !== 'insert') return;
    running += m.action === 'insert' ? 1 : m.after.status === 'DONE' ? -1 : 0;
    peak = Math.max(peak, running);
  });
  const report = await reconcileRoutes(fastTransport(emu), cfg);
  expect(report.mutations).toBe(40);
  expect(peak).toBe(40);
  expect(convergenceProblem(emu, cfg, 4)).toBeUndefined();
});
