/**
 * (b) Route convergence: the NAT MIG grows 2 → 4 with 20 destinations (40 new routes) under
 * 300 ms emulated operation latency. netreflex's reconcile pass (observe → plan → bounded-
 * parallel inserts, each waited on → verify) against the same inserts done one by one, each
 * waited on, with the same `shared/gcp/routes.ts` wrappers, on identical fresh state.
 */
import type { Emulator } from '../emulator/server.js';
import { startSampleEmulator } from '../local/seed.js';
import { sampleEnv } from '../local/stack.js';
import { SAMPLE } from '../local/topology.js';
import { Transport } from '../shared/gcp/transport.js';
import { insertRoute } from '../shared/gcp/routes.js';
import { loadNatRoutesConfig, type NatRoutesConfig } from '../shared/config/nat-routes.js';
import { observe } from '../shared/nat-routes/observe.js';
import { planFrom } from '../shared/nat-routes/plan.js';
import { reconcileRoutes } from '../shared/nat-routes/reconcile.js';
import { CONCURRENCY } from '../shared/nat-routes/apply.js';
import { figure, type BenchContext, type BenchModule } from './types.js';

export const OPERATION_LATENCY_MS = 300;
const DESTINATIONS = Array.from({ length: 20 }, (_, i) => `198.51.100.${i * 8}/29`);
const MIG = { project: SAMPLE.project, region: SAMPLE.region, name: SAMPLE.nat.mig };

/** A fresh local cloud with routes right for 2 NAT VMs, then grown to 4 idle ones. */
async function grownTo4(): Promise<{ emu: Emulator; cfg: NatRoutesConfig; t: Transport }> {
  const emu = await startSampleEmulator({ settings: { operationLatencyMs: 0, instanceStepMs: 5 } });
  const cfg = loadNatRoutesConfig({
    ...sampleEnv(emu.url),
    NETREFLEX_DESTINATIONS: DESTINATIONS.join(','),
    NETREFLEX_LOG_LEVEL: 'silent',
  });
  const t = new Transport({ emulatorHost: emu.url });
  await reconcileRoutes(t, cfg);
  emu.migs.resize(MIG, 4);
  while (emu.migs.list(MIG).some((m) => m.currentAction !== 'NONE' || m.health !== 'HEALTHY'))
    await new Promise((r) => setTimeout(r, 10));
  emu.settings.operationLatencyMs = OPERATION_LATENCY_MS;
  return { emu, cfg, t };
}

async function timedOnFreshState(
  work: (t: Transport, cfg: NatRoutesConfig) => Promise<number>,
): Promise<{ ms: number; inserts: number }> {
  const { emu, cfg, t } = await grownTo4();
  try {
    const before = emu.router.calls.get('compute.routes.insert') ?? 0;
    const started = performance.now();
    const inserted = await work(t, cfg);
    const ms = performance.now() - started;
    const inserts = (emu.router.calls.get('compute.routes.insert') ?? 0) - before;
    if (inserted !== 40 || inserts !== 40)
      throw new Error(`expected 40 route inserts, saw ${inserts} (work reported ${inserted})`);
    return { ms, inserts };
  } finally {
    await emu.close();
  }
}

const netreflex = async (t: Transport, cfg: NatRoutesConfig) => {
  const report = await reconcileRoutes(t, cfg);
  if (report.status === 'failed') throw new Error(`reconcile failed: ${report.reasons.join('; ')}`);
  return report.mutations;
};

const sequential = async (t: Transport, cfg: NatRoutesConfig) => {
  const { plan } = planFrom(cfg, await observe(t, cfg));
  for (const route of plan.inserts) await insertRoute(t, cfg.project, route);
  return plan.inserts.length;
};

async function run(ctx: BenchContext) {
  const ours: number[] = [];
  const baseline: number[] = [];
  const runs = Math.min(ctx.runs, 3); // the sequential baseline alone takes 40 × 300 ms per run
  for (let i = 0; i < runs; i++) {
    ours.push((await timedOnFreshState(netreflex)).ms);
    baseline.push((await timedOnFreshState(sequential)).ms);
    ctx.log(
      `route convergence run ${i + 1}/${runs}: netreflex ${Math.round(ours.at(-1)!)} ms, sequential ${Math.round(baseline.at(-1)!)} ms`,
    );
  }
  return [
    figure({
      id: 'route-convergence.2-to-4',
      what: `routes converged after MIG 2 → 4, 20 destinations (40 inserts), ${OPERATION_LATENCY_MS} ms operations`,
      unit: 'ms',
      samples: ours,
      baseline: { what: 'sequential insert-and-wait', samples: baseline },
      target: {
        text: `≤ 2 operation latencies (${2 * OPERATION_LATENCY_MS} ms)`,
        test: (value) => value <= 2 * OPERATION_LATENCY_MS,
      },
      note: `bounded parallelism: ${CONCURRENCY} calls in flight`,
    }),
  ];
}

export const routeConvergenceBench: BenchModule = {
  id: 'route-convergence',
  title: 'Route convergence (2 → 4 NAT VMs, 20 destinations)',
  run,
};
