/**
 * Health flapping: two NAT VMs flip health in opposite phase while natRoutes reconciles over and
 * over. Damped (the unhealthy hold far longer than a flip), no route to a destination ever changes
 * and both invariants — egress continuity and ownership — hold at every single mutation, and no
 * flip ever leaves a destination without a route to a VM that is eligible now; without the hold
 * the same flapping rewrites the routes at every flip and, after each flip, leaves every
 * destination routed only to the VM that just turned unhealthy until the next sync — the same
 * measurement, so the comparison can fail either way.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import type { NatRoutesConfig } from '../../shared/config/nat-routes.js';
import { NatRoutesService } from '../../shared/nat-routes/service.js';
import { createLogger } from '../../shared/log.js';
import { watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';
import { resourcePath } from '../../shared/plan/routes.js';
import {
  callsSince,
  convergenceProblem,
  eligibleUrls,
  fastTransport,
  holdMarkers,
  MIG,
  natEmulator,
  ownedRoutes,
  routeCalls,
} from './nat-support.js';

let emu: Emulator;
let cfg: NatRoutesConfig;
let watcher: InvariantWatcher;

beforeEach(async () => {
  ({ emu, cfg } = await natEmulator());
  await new NatRoutesService(cfg, createLogger('silent'), fastTransport(emu)).sync();
  expect(convergenceProblem(emu, cfg, 2)).toBeUndefined();
  watcher = watchInvariants(emu);
});

afterEach(async () => {
  watcher.stop();
  await emu.close();
});

/** Destinations with no route to a VM that is eligible now (the emulator's view): their traffic is dropped meanwhile. */
function uncovered(): string[] {
  const eligible = new Set(eligibleUrls(emu));
  const routes = ownedRoutes(emu, cfg);
  return cfg.destinations.filter(
    (d) => !routes.some((r) => r.destRange === d && eligible.has(resourcePath(String(r.nextHopInstance ?? '')))),
  );
}

/**
 * Flips nat-a1b2 / nat-c3d4 in opposite phase `flips` times, one reconcile after each flip; returns
 * how many destinations were left without a route to an eligible VM right after a flip, summed.
 */
async function flap(service: NatRoutesService, flips: number): Promise<number> {
  let gaps = 0;
  for (let i = 0; i < flips; i++) {
    const aUp = i % 2 === 1;
    emu.migs.setHealth(MIG, 'nat-a1b2', aUp ? 'HEALTHY' : 'UNHEALTHY');
    emu.migs.setHealth(MIG, 'nat-c3d4', aUp ? 'UNHEALTHY' : 'HEALTHY');
    gaps += uncovered().length;
    await service.sync();
  }
  return gaps;
}

describe('anti-phase health flapping', () => {
  it('damped: no route changes at all, a hold marker per flip, both invariants hold at every mutation', async () => {
    const service = new NatRoutesService(
      { ...cfg, unhealthyHoldMs: 600_000 },
      createLogger('silent'),
      fastTransport(emu),
    );
    const routesBefore = ownedRoutes(emu, cfg)
      .map((r) => r.name)
      .sort();
    const before = routeCalls(emu);
    const gaps = await flap(service, 12);
    const calls = callsSince(emu, before);
    console.log(
      `[flapping, damped] 12 flips → ${calls.total} route calls, all of them hold markers (${holdMarkers(emu).length} running); ${gaps} destinations left without a route to an eligible VM`,
    );
    expect(gaps).toBe(0);
    expect(
      ownedRoutes(emu, cfg)
        .map((r) => r.name)
        .sort(),
    ).toEqual(routesBefore);
    expect(holdMarkers(emu)).toHaveLength(1);
    expect(calls.total).toBeLessThanOrEqual(2 * 12);
    watcher.assertHolds();
  });

  it('damped, with the flipping and the reconciles on their own timers: still no route change', async () => {
    const service = new NatRoutesService(
      { ...cfg, unhealthyHoldMs: 600_000 },
      createLogger('silent'),
      fastTransport(emu),
    );
    const routesBefore = ownedRoutes(emu, cfg)
      .map((r) => r.name)
      .sort();
    let up = true;
    const gaps: string[] = [];
    const flipper = setInterval(() => {
      up = !up;
      emu.migs.setHealth(MIG, 'nat-a1b2', up ? 'HEALTHY' : 'UNHEALTHY');
      emu.migs.setHealth(MIG, 'nat-c3d4', up ? 'UNHEALTHY' : 'HEALTHY');
      gaps.push(...uncovered());
    }, 60);
    try {
      for (let i = 0; i < 20; i++) await Promise.all([service.sync(), new Promise((r) => setTimeout(r, 25))]);
    } finally {
      clearInterval(flipper);
    }
    expect(
      ownedRoutes(emu, cfg)
        .map((r) => r.name)
        .sort(),
    ).toEqual(routesBefore);
    expect(gaps).toEqual([]);
    watcher.assertHolds();
  });

  it('undamped (hold 0): the same flapping deletes and re-inserts the routes at every flip, and each flip leaves every destination without a route to an eligible VM', async () => {
    const service = new NatRoutesService({ ...cfg, unhealthyHoldMs: 0 }, createLogger('silent'), fastTransport(emu));
    const before = routeCalls(emu);
    const gaps = await flap(service, 6);
    const calls = callsSince(emu, before);
    console.log(
      `[flapping, undamped] 6 flips → ${calls.total} route calls; ${gaps} destinations left without a route to an eligible VM`,
    );
    expect(calls.insert).toBeGreaterThanOrEqual(2 * 5);
    expect(calls.delete).toBeGreaterThanOrEqual(2 * 5);
    // flips 2..6 each find both destinations routed only to the VM that just turned unhealthy
    expect(gaps).toBe(2 * 5);
    // make-before-break still holds within each sync: the gap is the flip's, not a mutation's
    watcher.assertHolds();
  });
});
