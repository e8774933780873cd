/**
 * A retried or concurrent route insert meets the first one still running: Compute answers 409
 * and the route is not readable until that operation is DONE. natRoutes must wait for it, not
 * fail the sync (which would leave the new NAT VM without routes until the next scheduled tick).
 */
import { afterEach, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { reconcileRoutes } from '../../shared/nat-routes/reconcile.js';
import {
  callsSince,
  convergenceProblem,
  fastTransport,
  MIG,
  migSettled,
  natEmulator,
  routeCalls,
} from './nat-support.js';

let emu: Emulator | undefined;
afterEach(async () => emu?.close());

it('a lost insert response, retried while the first insert still runs, is a no-op, not a failed sync', async () => {
  const started = await natEmulator({ settings: { operationLatencyMs: 200 } });
  emu = started.emu;
  emu.faults.failNext('compute.routes.insert', 1, 'lost-response');
  const report = await reconcileRoutes(fastTransport(emu), started.cfg);
  expect(report.results.filter((r) => !r.ok)).toEqual([]);
  expect(report.status).toBe('ok');
  expect(report.results.filter((r) => r.noop)).toHaveLength(1);
  expect(convergenceProblem(emu, started.cfg, 2)).toBeUndefined();
});

it('five reconcilers racing on slow operations all report ok and insert each route once', async () => {
  const started = await natEmulator({ settings: { operationLatencyMs: 200 } });
  emu = started.emu;
  await reconcileRoutes(fastTransport(emu), started.cfg);
  emu.migs.resize(MIG, 3);
  await migSettled(emu, 3);
  const before = routeCalls(emu);
  const reports = await Promise.all(Array.from({ length: 5 }, () => reconcileRoutes(fastTransport(emu!), started.cfg)));
  expect(reports.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  expect(reports.reduce((n, r) => n + r.mutations, 0)).toBe(2);
  expect(callsSince(emu, before).insert).toBeLessThanOrEqual(10);
  expect(convergenceProblem(emu, started.cfg, 3)).toBeUndefined();
});
