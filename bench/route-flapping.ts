/**
 * (h) Anti-phase health flapping: two NAT VMs swap health every 1.5 s for 30 s while natRoutes
 * reconciles over and over (as its settle loop does), damped (NETREFLEX_UNHEALTHY_HOLD_SECONDS'
 * default, 30 s) against undamped (hold 0), same run, on identical fresh state.
 *
 * Figures: route mutations per minute (inserts and deletes of the routes that carry traffic; hold
 * markers, which carry none, are counted apart), route API writes per minute (every routes.insert
 * and routes.delete call natRoutes made, hold markers included: what the quota and the audit log
 * see — damping trades traffic-route churn for marker writes), and the longest time a destination had
 * no route to a VM that was eligible at that moment (RUNNING, no MIG action, HEALTHY), sampled every
 * 2 ms through the data path (emulator/compute/egress.ts). Emulated time: one second of the
 * scenario lasts `SECOND_MS` real ms — the flips, the holds, the reconcile pace and the local
 * cloud's operation latency (0.2 s) are all scaled by it; the figures are in scenario time.
 */
import type { Emulator } from '../emulator/server.js';
import { startSampleEmulator } from '../local/seed.js';
import { sampleEnv } from '../local/stack.js';
import { SAMPLE } from '../local/topology.js';
import { egressPath } from '../emulator/compute/egress.js';
import { Transport } from '../shared/gcp/transport.js';
import { loadNatRoutesConfig } from '../shared/config/nat-routes.js';
import { NatRoutesService } from '../shared/nat-routes/service.js';
import { createLogger } from '../shared/log.js';
import { HOLD_DEST_RANGE, resourcePath } from '../shared/plan/routes.js';
import { figure, type BenchContext, type BenchModule } from './types.js';

/** Real ms one scenario second lasts. */
const SECOND_MS = 100;
const FLIP_S = 1.5;
const DURATION_S = 30;
const HOLD_S = 30;
const MIG = { project: SAMPLE.project, region: SAMPLE.region, name: SAMPLE.nat.mig };
const NAMES = ['nat-fl01', 'nat-fl02'];
const ROUTES = `projects/${SAMPLE.project}/global/routes`;

interface FlapResult {
  mutationsPerMinute: number;
  markerMutations: number;
  /** routes.insert and routes.delete calls per minute, hold markers included. */
  writesPerMinute: number;
  /** Longest total time (scenario s) one destination had no route to an eligible VM. */
  uncoveredS: number;
}

const eligible = (emu: Emulator) =>
  new Set(
    emu.migs
      .managedInstances(MIG)
      .filter(
        (i) =>
          i.instanceStatus === 'RUNNING' &&
          i.currentAction === 'NONE' &&
          i.instanceHealth?.[0]?.detailedHealthState === 'HEALTHY',
      )
      .map((i) => resourcePath(i.instance)),
  );

async function flap(holdS: number): Promise<FlapResult> {
  const emu = await startSampleEmulator({
    natInstances: NAMES,
    settings: { operationLatencyMs: 0.2 * SECOND_MS, instanceStepMs: 20 },
  });
  try {
    const cfg = loadNatRoutesConfig({
      ...sampleEnv(emu.url),
      NETREFLEX_LOG_LEVEL: 'silent',
      NETREFLEX_UNHEALTHY_HOLD_SECONDS: '0',
    });
    const service = new NatRoutesService(
      { ...cfg, unhealthyHoldMs: holdS * SECOND_MS, settlePollMs: 0.5 * SECOND_MS, settleTimeoutMs: 10 * SECOND_MS },
      createLogger('silent'),
      new Transport({ emulatorHost: emu.url, retry: { baseMs: 5, maxMs: 40 } }),
    );
    await service.sync();
    let traffic = 0;
    let markers = 0;
    const writes = () =>
      (emu.router.calls.get('compute.routes.insert') ?? 0) + (emu.router.calls.get('compute.routes.delete') ?? 0);
    const writesBefore = writes();
    const off = emu.store.onMutation((m) => {
      if (m.collection !== ROUTES || m.action === 'update') return;
      if ((m.after ?? m.before)?.destRange === HOLD_DEST_RANGE) markers++;
      else traffic++;
    });
    const uncovered = new Map<string, number>(cfg.destinations.map((d) => [d, 0]));
    const started = performance.now();
    const end = started + DURATION_S * SECOND_MS;
    let up = true;
    const flipper = setInterval(() => {
      up = !up;
      emu.migs.setHealth(MIG, NAMES[0]!, up ? 'HEALTHY' : 'UNHEALTHY');
      emu.migs.setHealth(MIG, NAMES[1]!, up ? 'UNHEALTHY' : 'HEALTHY');
    }, FLIP_S * SECOND_MS);
    emu.migs.setHealth(MIG, NAMES[1]!, 'UNHEALTHY');
    const sampler = (async () => {
      let last = performance.now();
      while (performance.now() < end) {
        await new Promise((r) => setTimeout(r, 2));
        const now = performance.now();
        const ok = eligible(emu);
        for (const d of cfg.destinations) {
          const reach = egressPath(emu.compute, emu.migs, SAMPLE.project, SAMPLE.vpcA.network, d).instances.some((i) =>
            ok.has(resourcePath(i)),
          );
          if (!reach && ok.size) uncovered.set(d, uncovered.get(d)! + (now - last));
        }
        last = now;
      }
    })();
    try {
      while (performance.now() < end)
        await Promise.all([service.sync(), new Promise((r) => setTimeout(r, 0.5 * SECOND_MS))]);
      await sampler;
    } finally {
      clearInterval(flipper);
      off();
    }
    return {
      mutationsPerMinute: (traffic / DURATION_S) * 60,
      markerMutations: markers,
      writesPerMinute: ((writes() - writesBefore) / DURATION_S) * 60,
      uncoveredS: Math.max(...uncovered.values()) / SECOND_MS,
    };
  } finally {
    await emu.close();
  }
}

async function run(ctx: BenchContext) {
  const runs = Math.min(ctx.runs, 3);
  const damped: FlapResult[] = [];
  const undamped: FlapResult[] = [];
  for (let i = 0; i < runs; i++) {
    damped.push(await flap(HOLD_S));
    undamped.push(await flap(0));
    ctx.log(
      `flapping run ${i + 1}/${runs}: damped ${Math.round(damped.at(-1)!.mutationsPerMinute)} traffic-route mutations/min (${Math.round(damped.at(-1)!.writesPerMinute)} route API writes/min), ${damped.at(-1)!.uncoveredS.toFixed(2)} s uncovered; undamped ${Math.round(undamped.at(-1)!.mutationsPerMinute)}/min (${Math.round(undamped.at(-1)!.writesPerMinute)} writes/min), ${undamped.at(-1)!.uncoveredS.toFixed(2)} s uncovered`,
    );
  }
  const markers = Math.max(...damped.map((d) => d.markerMutations));
  return [
    figure({
      id: 'route-flapping.mutations-per-minute',
      what: `route mutations per minute, 2 NAT VMs flipping health in anti-phase every ${FLIP_S} s, ${SAMPLE.destinations.length} destinations, damped (${HOLD_S} s unhealthy hold)`,
      unit: 'calls',
      samples: damped.map((d) => d.mutationsPerMinute),
      baseline: { what: 'undamped (hold 0)', samples: undamped.map((d) => d.mutationsPerMinute) },
      note: `traffic routes only; damped also wrote ≤ ${markers} hold-marker inserts/deletes in ${DURATION_S} s (they carry no traffic): see route-flapping.api-writes-per-minute`,
    }),
    figure({
      id: 'route-flapping.api-writes-per-minute',
      what: `route API writes per minute (routes.insert + routes.delete calls, hold markers included), same flapping, damped`,
      unit: 'calls',
      samples: damped.map((d) => d.writesPerMinute),
      baseline: { what: 'undamped (hold 0)', samples: undamped.map((d) => d.writesPerMinute) },
      note: 'what Compute quotas and the Admin Activity audit log count; damped, every one is a hold marker starting or ending at a flip',
    }),
    figure({
      id: 'route-flapping.seconds-without-route',
      what: `time (of ${DURATION_S} s, scenario time) a destination had no route to an eligible NAT VM, same flapping, damped`,
      unit: 'ms',
      samples: damped.map((d) => d.uncoveredS * 1000),
      baseline: { what: 'undamped (hold 0)', samples: undamped.map((d) => d.uncoveredS * 1000) },
      target: { text: '0 s without a route', test: (value) => value === 0 },
      note: `scenario time (1 s = ${SECOND_MS} ms real)`,
    }),
  ];
}

export const routeFlappingBench: BenchModule = {
  id: 'route-flapping',
  title: 'Anti-phase health flapping, damped vs undamped',
  run,
};
