/**
 * natRoutes under API faults and concurrency, in process: `reconcileRoutes` / `NatRoutesService`
 * with a real Transport against the local Google Cloud, faults injected per call, the
 * invariants watched on every mutation. Each scenario ends in the right routes with a bounded
 * number of mutating calls, and prints that number.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { SAMPLE } from '../../local/topology.js';
import type { NatRoutesConfig } from '../../shared/config/nat-routes.js';
import { reconcileRoutes } from '../../shared/nat-routes/reconcile.js';
import { NatRoutesService } from '../../shared/nat-routes/service.js';
import { observe } from '../../shared/nat-routes/observe.js';
import { planFrom } from '../../shared/nat-routes/plan.js';
import { deleteRoute, insertRoute } from '../../shared/gcp/routes.js';
import { createLogger } from '../../shared/log.js';
import { inProcessFaults, type FaultControl } from '../helpers/faults.js';
import { watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';
import {
  callsSince,
  convergenceProblem,
  fastTransport,
  MIG,
  migSettled,
  natEmulator,
  ownedRoutes,
  routeCalls,
  switchedToIlb,
} from './nat-support.js';

let emu: Emulator;
let cfg: NatRoutesConfig;
let faults: FaultControl;
let watcher: InvariantWatcher;

beforeEach(async () => {
  ({ emu, cfg } = await natEmulator());
  faults = inProcessFaults(emu);
  const first = await reconcileRoutes(fastTransport(emu), cfg);
  expect(first.status).toBe('ok');
  watcher = watchInvariants(emu);
});

afterEach(async () => {
  watcher.stop();
  await emu.close();
});

/** The switch to ilb mode: every route is replaced (2 inserts to the load balancer, then 4 deletes). */
const switched = () => switchedToIlb(cfg);

describe('natRoutes under API faults', () => {
  it('retries 503s and a 429 inside one sync and converges in that sync', async () => {
    emu.migs.resize(MIG, 4);
    await migSettled(emu, 4);
    await faults.failNext('compute.routes.insert', 3, 503);
    await faults.failNext('compute.routes.insert', 1, 429);
    const before = routeCalls(emu);
    const report = await reconcileRoutes(fastTransport(emu), cfg);
    const calls = callsSince(emu, before);
    console.log(
      `[503s mid-apply] ${report.mutations} mutations, ${calls.total} route calls (4 of them failed by injection)`,
    );
    expect(report.status).toBe('ok');
    expect(convergenceProblem(emu, cfg, 4)).toBeUndefined();
    expect(report.mutations).toBe(4);
    expect(calls.total).toBe(4 + 4);
    watcher.assertHolds();
  });

  it('an insert operation that fails holds back only the deletes it would have replaced, and the next sync converges', async () => {
    const next = switched();
    await faults.failOperations('compute.routes.insert', 1);
    const before = routeCalls(emu);
    const failed = await reconcileRoutes(fastTransport(emu), next);
    const failedInsert = failed.results.find((r) => r.change === 'insert' && !r.ok)!;
    // An injected operation failure ends INTERNAL (500), as Compute's own do: transient, so the event is delivered again.
    expect(failed.status).toBe('failed');
    expect(failed.reasons.join(' ')).toMatch(
      /failed on transient errors \(insert .*\); the event is failed so it is delivered again/,
    );
    expect(callsSince(emu, before).delete).toBe(2);
    const left = ownedRoutes(emu).filter((r) => typeof r.nextHopInstance === 'string');
    expect(left.map((r) => r.destRange)).toEqual([failedInsert.destRange, failedInsert.destRange]);
    expect(failed.blocked.filter((b) => b.what.startsWith('delete'))).toEqual(
      left.map((r) =>
        expect.objectContaining({
          what: `delete ${r.name}`,
          by: expect.stringContaining(`its replacement failed: ${failedInsert.name}`),
        }),
      ),
    );
    const repaired = await reconcileRoutes(fastTransport(emu), next);
    const calls = callsSince(emu, before);
    console.log(
      `[failed operation mid-apply] ${failed.mutations} + ${repaired.mutations} mutations over two syncs, ${calls.total} route calls`,
    );
    expect(repaired.status).toBe('ok');
    expect(convergenceProblem(emu, next, 2)).toBeUndefined();
    expect(calls).toEqual({ insert: 3, delete: 4, total: 7 });
    watcher.assertHolds();
  });

  it('absorbs lost responses (the call took effect, the answer never came) with idempotent inserts and deletes', async () => {
    const next = switched();
    await faults.failNext('compute.routes.insert', 2, 'lost-response');
    await faults.failNext('compute.routes.delete', 2, 'lost-response');
    const before = routeCalls(emu);
    let syncs = 0;
    let mutations = 0;
    while (syncs < 3 && convergenceProblem(emu, next, 2)) {
      mutations += (await reconcileRoutes(fastTransport(emu), next)).mutations;
      syncs += 1;
    }
    const calls = callsSince(emu, before);
    console.log(
      `[lost responses] converged in ${syncs} sync(s): ${mutations} counted mutations, ${calls.total} route calls`,
    );
    expect(syncs).toBe(1);
    expect(convergenceProblem(emu, next, 2)).toBeUndefined();
    expect(calls.total).toBeLessThanOrEqual(2 + 4 + 4);
    watcher.assertHolds();
  });

  it('keeps the egress path while a NAT instance is recreated in the middle of a sync', async () => {
    await faults.settings({ operationLatencyMs: 150, instanceStepMs: 100 });
    const before = routeCalls(emu);
    const sync = reconcileRoutes(fastTransport(emu), switched());
    await new Promise((r) => setTimeout(r, 60));
    emu.migs.recreate(MIG, ['nat-a1b2']);
    const during = await sync;
    await migSettled(emu, 2);
    await faults.settings({ operationLatencyMs: 20, instanceStepMs: 20 });
    const final = await reconcileRoutes(fastTransport(emu), switched());
    const calls = callsSince(emu, before);
    console.log(
      `[recreated during a sync] ${during.mutations} + ${final.mutations} mutations over two syncs, ${calls.total} route calls`,
    );
    expect(convergenceProblem(emu, switched(), 2)).toBeUndefined();
    expect(calls.total).toBeLessThanOrEqual(2 + 4 + 4);
    watcher.assertHolds();
  });
});

type Call = Parameters<ReturnType<typeof fastTransport>['request']>[0];

const isRoutesLook = (call: Call) => call.method === 'GET' && /\/global\/routes$/.test(call.path);

/**
 * A transport for natRoutes on which, once the pass has inserted a route, another writer deletes the
 * owned routes `which` picks right before the first call `when` matches; `removed` says how many.
 */
function afterFirstInsert(when: (call: Call) => boolean, which: (route: Record<string, unknown>) => boolean) {
  const t = fastTransport(emu);
  const send = t.request.bind(t);
  let inserted = false;
  let removed = 0;
  t.request = (async (call: Call) => {
    if (call.method === 'POST' && /\/global\/routes$/.test(call.path)) inserted = true;
    if (inserted && !removed && when(call)) {
      const gone = ownedRoutes(emu, switched()).filter(which);
      for (const r of gone) await deleteRoute(fastTransport(emu), SAMPLE.project, String(r.name));
      removed = gone.length;
    }
    return send(call);
  }) as typeof t.request;
  return { t, removed: () => removed };
}

describe('natRoutes looks again before it deletes', () => {
  it('a replacement removed by someone else after its insert: the guard re-plans, nothing is deleted on the old view, the path holds', async () => {
    // Another writer deletes the load-balancer routes this pass just inserted, before natRoutes' next call.
    const { t, removed } = afterFirstInsert(
      (call) => isRoutesLook(call) || (call.method === 'DELETE' && /\/global\/routes\//.test(call.path)),
      (r) => typeof r.nextHopIlb === 'string',
    );
    const report = await reconcileRoutes(t, switched());
    expect(removed()).toBeGreaterThan(0);
    // The second plan inserted the replacements again before any instance route went.
    expect(report.results.filter((r) => r.change === 'insert' && r.ok).length).toBe(2 * removed());
    expect(convergenceProblem(emu, switched())).toBeUndefined();
    watcher.assertHolds();
  });

  it('the old routes deleted by someone else before the guard looks: the fresh plan needs nothing, and the pass ends settled, without a warning', async () => {
    // Another natRoutes instance got there first: the instance routes are gone before this one deletes them.
    const { t, removed } = afterFirstInsert(isRoutesLook, (r) => typeof r.nextHopIlb !== 'string');
    const report = await reconcileRoutes(t, switched());
    expect(removed()).toBeGreaterThan(0);
    expect(convergenceProblem(emu, switched())).toBeUndefined();
    expect(report).toMatchObject({ status: 'ok', settling: false, warnings: [] });
    expect(report.results.filter((r) => r.change === 'delete')).toEqual([]);
    watcher.assertHolds();
  });
});

describe('natRoutes with concurrent reconcilers', () => {
  it('five reconcileRoutes at once converge with each route inserted once', async () => {
    emu.migs.resize(MIG, 3);
    await migSettled(emu, 3);
    const before = routeCalls(emu);
    const reports = await Promise.all(Array.from({ length: 5 }, () => reconcileRoutes(fastTransport(emu), cfg)));
    const calls = callsSince(emu, before);
    const mutations = reports.reduce((n, r) => n + r.mutations, 0);
    console.log(`[5 concurrent reconcilers] ${mutations} mutations, ${calls.total} route calls (409s are no-ops)`);
    expect(reports.every((r) => r.status === 'ok')).toBe(true);
    expect(convergenceProblem(emu, cfg, 3)).toBeUndefined();
    expect(mutations).toBe(2);
    expect(calls.total).toBeLessThanOrEqual(5 * 2);
    watcher.assertHolds();
  });

  it('five NatRoutesService instances (five function instances) handling the same change converge', async () => {
    emu.migs.resize(MIG, 3);
    await migSettled(emu, 3);
    const next = switched();
    const services = Array.from(
      { length: 5 },
      () => new NatRoutesService(next, createLogger('silent'), fastTransport(emu)),
    );
    const tick = {
      id: 'tick-1',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      source: `//pubsub.googleapis.com/projects/${SAMPLE.project}/topics/netreflex-tick`,
      data: { message: { data: Buffer.from('{"kind":"tick"}').toString('base64') } },
    };
    const before = routeCalls(emu);
    const outcomes = await Promise.all(services.flatMap((s) => [s.handle(tick), s.handle(tick)]));
    const calls = callsSince(emu, before);
    const mutations = outcomes.reduce((n, o) => n + (o.handled ? (o.report?.mutations ?? 0) : 0), 0);
    console.log(`[5 services × 2 events] ${mutations} mutations, ${calls.total} route calls`);
    expect(convergenceProblem(emu, next, 3)).toBeUndefined();
    expect(mutations).toBeLessThanOrEqual(2 + 6 + 4);
    expect(calls.total).toBeLessThanOrEqual(5 * (2 + 6) + 4);
    watcher.assertHolds();
  });
});

describe('the invariant watcher', () => {
  it('catches a planted bug: an apply that deletes before it inserts loses the egress path', async () => {
    const t = fastTransport(emu);
    const { plan } = planFrom(switched(), await observe(t, switched()));
    for (const old of plan.deletes) await deleteRoute(t, cfg.project, old.name);
    for (const route of plan.inserts) await insertRoute(t, cfg.project, route);
    expect(convergenceProblem(emu, switched(), 2)).toBeUndefined();
    expect(() => watcher.assertHolds()).toThrow(
      /egress-continuity violated at mutation #2 \(netreflex delete .*\): 198\.51\.100\.\d+\/\d+ lost its last route/,
    );
  });

  it('catches netreflex changing a route it does not own, and does not blame the test for its own changes', async () => {
    const t = fastTransport(emu);
    const hand = {
      name: 'onprem-by-hand',
      network: `projects/${SAMPLE.project}/global/networks/vpc-a`,
      destRange: '192.168.0.0/16',
      priority: 900,
      nextHopIp: '10.95.0.50',
    };
    emu.store.insert(`projects/${SAMPLE.project}/global/routes`, { ...hand, kind: 'compute#route' });
    await reconcileRoutes(t, cfg);
    watcher.assertHolds();
    await deleteRoute(t, cfg.project, hand.name);
    expect(() => watcher.assertHolds()).toThrow(/ownership violated .*netreflex delete .*onprem-by-hand/);
  });

  it('records nothing when netreflex deletes only its own routes with no eligible-path loss (MIG shrink)', async () => {
    emu.migs.resize(MIG, 1);
    await migSettled(emu, 1);
    const report = await reconcileRoutes(fastTransport(emu), cfg);
    expect(report.plan.deletes).toHaveLength(2);
    expect(convergenceProblem(emu, cfg, 1)).toBeUndefined();
    watcher.assertHolds();
  });
});
