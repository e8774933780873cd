/**
 * (f) peeringRanges for many teams at once: wall time for five preparations of different sizes
 * started at the same moment (each its own run id, so each counts the others) against the same
 * five one after another, each on a fresh local Google Cloud with 100 ms operations. The lease
 * serializes preparations of one network, so the concurrent figure shows what that costs: each
 * waiting caller, once it holds the lease, re-observes and often finds the ranges the one before
 * it allocated already sufficient. Both must end verified, on ranges that hold all five.
 */
import { startSampleEmulator } from '../local/seed.js';
import { sampleEnv } from '../local/stack.js';
import { Transport } from '../shared/gcp/transport.js';
import { loadPeeringRangesConfig } from '../shared/config/peering-ranges.js';
import { reconcilePeeringRanges } from '../shared/peering-ranges/reconcile.js';
import type { RangeReport } from '../shared/plan/ranges-report.js';
import { figure, type BenchContext, type BenchModule } from './types.js';

const SIZES = [
  [12, 8],
  [4, 16],
  [30, 8],
  [2, 32],
  [9, 8],
] as const;
const OPERATION_LATENCY_MS = 100;

async function onFreshCloud(concurrent: boolean, run: number): Promise<number> {
  const emu = await startSampleEmulator({ settings: { operationLatencyMs: OPERATION_LATENCY_MS, instanceStepMs: 5 } });
  try {
    const cfg = loadPeeringRangesConfig({
      ...sampleEnv(emu.url),
      NETREFLEX_LOG_LEVEL: 'silent',
      NETREFLEX_PSA_POOL: '10.98.0.0/15,10.100.0.0/15',
    });
    const t = new Transport({ emulatorHost: emu.url });
    const asks = SIZES.map(
      ([parallelJobs, nodesPerJob], i) =>
        () =>
          reconcilePeeringRanges(t, cfg, { parallelJobs, nodesPerJob, runId: `bench-${run}-${i}` }),
    );
    const started = performance.now();
    let reports: RangeReport[];
    if (concurrent) reports = await Promise.all(asks.map((a) => a()));
    else {
      reports = [];
      for (const a of asks) reports.push(await a());
    }
    const ms = performance.now() - started;
    const bad = reports.filter((r) => r.status !== 'ok' || r.verified !== true);
    if (bad.length) throw new Error(`bench peering-concurrency: ${bad.length} preparation(s) not verified`);
    return ms;
  } finally {
    await emu.close();
  }
}

export const peeringConcurrencyBench: BenchModule = {
  id: 'peering-concurrency',
  title: 'peeringRanges: 5 preparations at once vs one after another',
  async run(ctx: BenchContext) {
    const [together, oneByOne]: [number[], number[]] = [[], []];
    for (let i = 0; i < ctx.runs; i++) {
      together.push(await onFreshCloud(true, i));
      oneByOne.push(await onFreshCloud(false, i));
      ctx.log(
        `peering-concurrency run ${i + 1}/${ctx.runs}: concurrent ${Math.round(together.at(-1)!)} ms, sequential ${Math.round(oneByOne.at(-1)!)} ms`,
      );
    }
    return [
      figure({
        id: 'peering-concurrency.five',
        what: `5 peeringRanges preparations of different sizes started at once, all verified (${OPERATION_LATENCY_MS} ms operations)`,
        unit: 'ms',
        samples: together,
        baseline: { what: 'the same 5, one after another', samples: oneByOne },
        note: 'serialized per network by the lease: reported',
      }),
    ];
  },
};
