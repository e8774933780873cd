/**
 * The reconcile coalescer in virtual time, with natRoutes' reports (the reconciler that settles): events share reconciles, each is answered by a pass that began
 * after it arrived, none waits longer than its budget however settling and coalescing interleave,
 * and each reconcile reports once, with every pass and every event it served.
 */
import { describe, expect, it } from 'vitest';
import { Coalescer, type Trigger } from '../../shared/reconcile/coalesce.js';
import { failedReport, mergeReports, type RouteReport } from '../../shared/plan/route-report.js';
import { ConfigError } from '../../shared/errors.js';
import { ManualClock } from '../helpers/clock.js';

const BUDGET = 240_000;
const POLL = 5_000;

function report(over: Partial<RouteReport> = {}): RouteReport {
  return {
    status: 'ok',
    reasons: [],
    warnings: [],
    dryRun: false,
    mode: 'instance',
    instances: [],
    plan: { inserts: [], deletes: [], keeps: 0, holds: { inserts: [], deletes: [] } },
    conflicts: [],
    blocked: [],
    results: [],
    mutations: 0,
    retry: false,
    settling: false,
    passes: 1,
    ...over,
  };
}

/** A runner whose passes take `passMs` of virtual time and report what `next` says. */
function harness(next: (n: number, startedAt: number) => Partial<RouteReport> | Error, passMs = 1_000) {
  const clock = new ManualClock();
  const done: { report: RouteReport; triggers: Trigger[] }[] = [];
  const passes: number[] = [];
  const runner = new Coalescer<RouteReport>(
    {
      pass: async () => {
        const startedAt = clock.now();
        passes.push(startedAt);
        await clock.sleep(passMs);
        const r = next(passes.length, startedAt);
        if (r instanceof Error) throw r;
        return report({ mutations: 1, ...r });
      },
      merge: mergeReports,
      failure: (err) => failedReport({ mode: 'instance', dryRun: false }, err),
      onDone: (r, triggers) => done.push({ report: r, triggers }),
    },
    { budgetMs: BUDGET, pollMs: POLL, clock },
  );
  const ask = (id: string) => {
    const arrivedAt = clock.now();
    return runner.run({ id, why: id }).then((answer) => ({ ...answer, arrivedAt, answeredAt: clock.now() }));
  };
  return { clock, done, passes, ask };
}

describe('Coalescer settling', () => {
  it('a settled MIG: one pass, one report, the event answered with it', async () => {
    const h = harness(() => ({}));
    const a = h.ask('a');
    await h.clock.advance(1_000);
    expect(await a).toMatchObject({ incomplete: false, answeredAt: h.clock.now() });
    expect(h.done).toEqual([{ report: expect.objectContaining({ passes: 1 }), triggers: [{ id: 'a', why: 'a' }] }]);
  });

  it('never holds an event past its budget: a MIG that never settles and events arriving all along', async () => {
    const h = harness(() => ({ settling: true }));
    const answers = [h.ask('first')];
    for (let t = 0; t < 600_000; t += 10_000) {
      if (t && t % 100_000 === 0) answers.push(h.ask(`at-${t / 1000}s`));
      await h.clock.advance(10_000);
    }
    await h.clock.advance(BUDGET);
    const all = await Promise.all(answers);
    for (const a of all) {
      expect(a.answeredAt - a.arrivedAt).toBeLessThanOrEqual(BUDGET);
      expect(a.incomplete).toBe(false);
      // Answered by a pass that began after the event arrived, not by an older observation.
      expect(h.passes.some((p) => p >= a.arrivedAt && p < a.answeredAt)).toBe(true);
    }
    // The old way held an event for two settle timeouts (the running settle loop, then the queued one).
    expect(Math.max(...all.map((a) => a.answeredAt - a.arrivedAt))).toBeGreaterThan(BUDGET - POLL - 2_000);
  });

  it("one report per reconcile: every pass's changes and every event it served, not one line per event", async () => {
    let settled = false;
    const h = harness(() => ({ settling: !settled }));
    const answers = [h.ask('e1'), h.ask('e2')];
    await h.clock.advance(500);
    answers.push(h.ask('e3'));
    await h.clock.advance(20_000);
    settled = true;
    await h.clock.advance(20_000);
    await Promise.all(answers);
    expect(h.done).toHaveLength(1);
    expect(h.done[0]!.triggers.map((t) => t.id).sort()).toEqual(['e1', 'e2', 'e3']);
    expect(h.done[0]!.report.passes).toBe(h.passes.length);
    expect(h.done[0]!.report.mutations).toBe(h.passes.length);
  });

  it('a hold that ends within the budget is waited for (one more pass then); one that ends later is not', async () => {
    const h = harness((n, startedAt) => (n === 1 ? { nextLookAt: startedAt + 30_000 } : {}));
    const a = h.ask('a');
    await h.clock.advance(40_000);
    expect((await a).answeredAt - (await a).arrivedAt).toBe(31_000);
    expect(h.passes).toHaveLength(2);
    const late = harness((_, startedAt) => ({ nextLookAt: startedAt + BUDGET + 1 }));
    const b = late.ask('b');
    await late.clock.advance(2_000);
    expect((await b).incomplete).toBe(false);
    expect(late.passes).toHaveLength(1);
  });

  it('an event arriving during the last pass gets a fresh pass of its own', async () => {
    const h = harness(() => ({}));
    const a = h.ask('a');
    await h.clock.advance(500);
    const b = h.ask('b');
    await h.clock.advance(5_000);
    expect((await a).incomplete).toBe(false);
    expect((await b).incomplete).toBe(false);
    expect(h.passes).toEqual([h.passes[0], h.passes[0]! + 1_000]);
  });

  it('a pass still in flight at the deadline does not hold the event: it is answered incomplete, on time', async () => {
    const h = harness(() => ({}), BUDGET + 60_000);
    const a = h.ask('slow');
    await h.clock.advance(BUDGET);
    expect(await a).toMatchObject({ incomplete: true, answeredAt: h.clock.now() });
    await h.clock.advance(60_000);
    expect(h.done).toHaveLength(1);
  });

  it('a pass that throws a permanent error is one failed report that says no retry can help', async () => {
    const h = harness(() => new ConfigError('network vpc-a has no peering named psa'));
    const answers = [h.ask('a'), h.ask('b')];
    await h.clock.advance(1_000);
    const [a] = await Promise.all(answers);
    expect(a!.report).toMatchObject({
      status: 'failed',
      error: { transient: false, message: expect.stringMatching(/no peering named psa/) },
    });
    expect(h.done).toHaveLength(1);
  });
});
