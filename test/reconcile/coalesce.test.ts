/**
 * The coalescer's keys, in virtual time: triggers of one key share a pass, triggers of another
 * key get their own pass after it, and each pass is told which triggers it serves. (How settling
 * and budgets interleave is pinned by test/nat-routes/runner.test.ts, natRoutes being the
 * reconciler that settles.)
 */
import { describe, expect, it } from 'vitest';
import { Coalescer, type Trigger } from '../../shared/reconcile/coalesce.js';
import { ManualClock } from '../helpers/clock.js';

interface R {
  status: string;
  served: string[];
}

function harness() {
  const clock = new ManualClock();
  const passes: string[][] = [];
  const done: string[][] = [];
  const c = new Coalescer<R>(
    {
      pass: async (_deadline, triggers: readonly Trigger[]) => {
        passes.push(triggers.map((t) => t.id));
        await clock.sleep(1_000);
        return { status: 'ok', served: triggers.map((t) => t.id) };
      },
      merge: (_a, b) => b,
      failure: () => ({ status: 'failed', served: [] }),
      onDone: (_r, triggers) => done.push(triggers.map((t) => t.id)),
    },
    { budgetMs: 0, pollMs: 0, clock },
  );
  return { clock, passes, done, c };
}

describe('Coalescer keys', () => {
  it('one key: events that arrive during a pass share the next one', async () => {
    const h = harness();
    const a = h.c.run({ id: 'a', why: 'a', key: 'g7' });
    await h.clock.advance(10);
    const b = h.c.run({ id: 'b', why: 'b', key: 'g7' });
    const d = h.c.run({ id: 'd', why: 'd', key: 'g7' });
    await h.clock.advance(3_000);
    expect((await a).report?.served).toEqual(['a']);
    expect([(await b).report?.served, (await d).report?.served]).toEqual([
      ['b', 'd'],
      ['b', 'd'],
    ]);
    expect(h.passes).toEqual([['a'], ['b', 'd']]);
  });

  it('another key never shares a pass: keys are served in the order they first arrived, each by passes of its own', async () => {
    const h = harness();
    const a = h.c.run({ id: 'a', why: 'a', key: 'g7' });
    const b = h.c.run({ id: 'b', why: 'b', key: 'g8' });
    const c = h.c.run({ id: 'c', why: 'c', key: 'g8' });
    const d = h.c.run({ id: 'd', why: 'd', key: 'g7' });
    await h.clock.advance(5_000);
    expect([
      (await a).report?.served,
      (await b).report?.served,
      (await c).report?.served,
      (await d).report?.served,
    ]).toEqual([
      ['a', 'd'],
      ['b', 'c'],
      ['b', 'c'],
      ['a', 'd'],
    ]);
    expect(h.passes).toEqual([
      ['a', 'd'],
      ['b', 'c'],
    ]);
    expect(h.done).toEqual([
      ['a', 'd'],
      ['b', 'c'],
    ]);
  });

  it('an event of the same key arriving during a pass is not answered by it', async () => {
    const h = harness();
    const a = h.c.run({ id: 'a', why: 'a', key: 'g7' });
    await h.clock.advance(0);
    const b = h.c.run({ id: 'b', why: 'b', key: 'g7' });
    await h.clock.advance(5_000);
    expect([(await a).report?.served, (await b).report?.served]).toEqual([['a'], ['b']]);
  });
});
