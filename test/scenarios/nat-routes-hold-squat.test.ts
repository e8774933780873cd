/**
 * A route netreflex cannot prove it owns, sitting under the name of an unhealthy-hold marker: a
 * route made by hand, or a malformed copy of a marker. It is never trusted as the hold, and the
 * hold it would block still runs out — a sick NAT VM loses its routes once the hold has passed,
 * whoever holds the marker's name. Driven through the official Compute client; the squatter is
 * left as it was.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import type { NatRoutesConfig } from '../../shared/config/nat-routes.js';
import { reconcileRoutes } from '../../shared/nat-routes/reconcile.js';
import type { RouteReport } from '../../shared/plan/route-report.js';
import { HOLD_MARKER, holdNames, resourcePath } from '../../shared/plan/routes.js';
import { migPath } from '../../shared/gcp/paths.js';
import { computeClients, PROJECT, type ComputeClients } from '../helpers/compute.js';
import { watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';
import {
  convergenceProblem,
  fastTransport,
  holdMarkers,
  MIG,
  natEmulator,
  ownedRoutes,
  ROUTES_COL,
} from './nat-support.js';

const HOLD_MS = 300;

let emu: Emulator;
let cfg: NatRoutesConfig;
let c: ComputeClients;
let watcher: InvariantWatcher;

beforeEach(async () => {
  ({ emu, cfg } = await natEmulator({ settings: { autohealDelayMs: 0 } }));
  cfg = { ...cfg, unhealthyHoldMs: HOLD_MS };
  c = computeClients(emu.port);
  expect((await reconcile()).status).toBe('ok');
  expect(convergenceProblem(emu, cfg, 2)).toBeUndefined();
  watcher = watchInvariants(emu);
});

afterEach(async () => {
  watcher.stop();
  await emu.close();
});

const reconcile = (): Promise<RouteReport> => reconcileRoutes(fastTransport(emu), cfg);
const sickUrl = () => emu.migs.managedInstances(MIG).find((m) => m.name === 'nat-a1b2')!.instance;
const routesTo = (url: string) =>
  ownedRoutes(emu, cfg).filter((r) => resourcePath(String(r.nextHopInstance)) === resourcePath(url));
const snapshot = (names: readonly string[]) =>
  emu.store
    .list(ROUTES_COL)
    .filter((r) => names.includes(String(r.name)))
    .map((r) => JSON.stringify(r));

/** Inserts `routes` by hand, makes nat-a1b2 unhealthy, and returns what the squatters look like. */
async function squatAndSicken(routes: Record<string, unknown>[]): Promise<string[]> {
  for (const routeResource of routes) await c.wait(await c.routes.insert({ project: PROJECT, routeResource }));
  emu.migs.setHealth(MIG, 'nat-a1b2', 'UNHEALTHY');
  return snapshot(routes.map((r) => String(r.name)));
}

/** Reconciles once the hold, begun at `since`, has certainly run out. */
async function reconcileAfterHold(since: number): Promise<RouteReport> {
  const wait = since + HOLD_MS + 20 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  return reconcile();
}

describe('natRoutes: a route squatting the unhealthy-hold marker name', () => {
  it('a route made by hand under the hold name: the hold runs under an alternate name and still ends; the squatter is untouched', async () => {
    const [wanted, alternate] = holdNames(cfg.prefix, 'unhealthy', sickUrl()) as [string, string];
    const squatters = await squatAndSicken([
      {
        name: wanted,
        network: 'global/networks/vpc-a',
        destRange: '192.168.10.0/24',
        priority: 1000,
        nextHopIp: '10.95.0.60',
        description: 'lab range, by hand',
      },
    ]);
    const held = await reconcile();
    expect(routesTo(sickUrl())).toHaveLength(cfg.destinations.length);
    expect(held.warnings.join('\n')).toMatch(
      new RegExp(`name ${wanted} is held by a route netreflex does not own, .*using ${alternate}`),
    );
    const markers = holdMarkers(emu);
    expect(markers.map((m) => m.name)).toEqual([alternate]);
    const again = await reconcile();
    expect(again.mutations).toBe(0);
    expect(holdMarkers(emu).map((m) => m.name)).toEqual([alternate]);
    const after = await reconcileAfterHold(Date.parse(String(markers[0]!.creationTimestamp)));
    expect(routesTo(sickUrl())).toEqual([]);
    expect(after.plan.holds.deletes).toEqual([alternate]);
    expect(holdMarkers(emu)).toEqual([]);
    expect(snapshot([wanted])).toEqual(squatters);
    watcher.assertHolds();
  });

  it('a malformed copy of the marker under the hold name is a conflict, never the hold: the hold still ends on time', async () => {
    const [wanted, alternate] = holdNames(cfg.prefix, 'unhealthy', sickUrl()) as [string, string];
    const marker = `${HOLD_MARKER} owner=${migPath(cfg)} kind=unhealthy instance=${resourcePath(sickUrl())}`;
    // Untagged and to a real range: a copy that would steer traffic, so it can never be a hold marker.
    const squatters = await squatAndSicken([
      {
        name: wanted,
        network: 'global/networks/vpc-a',
        destRange: '192.168.20.0/24',
        priority: 65535,
        nextHopInstance: sickUrl(),
        description: marker,
      },
    ]);
    const held = await reconcile();
    expect(held.conflicts.map((x) => x.route)).toEqual([wanted]);
    expect(held.warnings.join('\n')).toMatch(
      new RegExp(`route ${wanted} carries netreflex's marker but is not netreflex's`),
    );
    expect(held.plan.holds.inserts).toEqual([alternate]);
    expect(routesTo(sickUrl())).toHaveLength(cfg.destinations.length);
    const since = Date.parse(String(holdMarkers(emu).find((m) => m.name === alternate)!.creationTimestamp));
    await reconcileAfterHold(since);
    expect(routesTo(sickUrl())).toEqual([]);
    expect(snapshot([wanted])).toEqual(squatters);
    watcher.assertHolds();
  });

  it('every name the hold could use is taken: the hold cannot be timed, so it is zero — the sick VM leaves at once, and the report says why', async () => {
    const names = holdNames(cfg.prefix, 'unhealthy', sickUrl());
    const squatters = await squatAndSicken(
      names.map((name, k) => ({
        name,
        network: 'global/networks/vpc-a',
        destRange: `192.168.${30 + k}.0/24`,
        priority: 1000,
        nextHopIp: '10.95.0.60',
        description: 'lab range, by hand',
      })),
    );
    const report = await reconcile();
    expect(routesTo(sickUrl())).toEqual([]);
    expect(report.plan.holds.inserts).toEqual([]);
    expect(report.warnings.join('\n')).toMatch(
      /the unhealthy hold of nat-a1b2 cannot be timed: every name netreflex derives for its marker is held by a route it does not own \(.*"lab range, by hand".*\); it leaves at once, as with NETREFLEX_UNHEALTHY_HOLD_SECONDS=0; delete or rename one of /,
    );
    expect(report.blocked).toContainEqual(
      expect.objectContaining({
        what: 'unhealthy hold of nat-a1b2',
        fix: `delete or rename one of ${names.join(', ')}`,
        permanent: true,
      }),
    );
    expect(convergenceProblem(emu, cfg, 1)).toBeUndefined();
    expect(snapshot(names)).toEqual(squatters);
    watcher.assertHolds();
  });
});
