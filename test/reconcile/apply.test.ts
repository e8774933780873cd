/**
 * The one runner, by scenario: upserts before destructive steps, "deploys failed, skipping
 * deletes", a destructive step that waits only for its own replacement, ordered phases that stop
 * at their first failure, the guard's three answers, and the policies as filters over the plan.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/errors.js';
import { applyPlan, GO, mutationsOf, type Guard } from '../../shared/reconcile/apply.js';
import {
  applyPolicy,
  isEmpty,
  orderedPhases,
  phase,
  stepsOf,
  type Plan,
  type Step,
} from '../../shared/reconcile/plan.js';

/** A fake cloud that records calls; a step named in `fail` throws the given error. */
function cloud(fail: Record<string, Error> = {}, noop: string[] = []) {
  const calls: string[] = [];
  const step = (id: string, kind = id.split(' ')[0]!, after?: string[]): Step<string> => ({
    id,
    kind,
    detail: id,
    ...(after ? { after } : {}),
    run: async () => {
      calls.push(id);
      if (fail[id]) throw fail[id];
      return noop.includes(id);
    },
  });
  return { calls, step };
}

const boom = () => new ApiError(503, 'UNAVAILABLE', 'try later');
const refused = () => new ApiError(400, 'INVALID_ARGUMENT', 'no');

describe('applyPlan', () => {
  it('runs upserts before destructive steps, and every step once', async () => {
    const c = cloud();
    const plan: Plan<string> = {
      phases: [
        phase('upserts', [c.step('insert a'), c.step('insert b')], { concurrency: 2 }),
        phase('deletes', [c.step('delete x')], { destructive: true }),
      ],
    };
    const applied = await applyPlan(plan);
    expect(c.calls.indexOf('delete x')).toBe(2);
    expect(applied.results.map((r) => [r.id, r.ok])).toEqual([
      ['insert a', true],
      ['insert b', true],
      ['delete x', true],
    ]);
    expect(applied.held).toEqual([]);
    expect(applied.stopped).toBeUndefined();
  });

  it('an upsert failed: destructive steps without dependencies are skipped, the failure named', async () => {
    const c = cloud({ 'insert a': boom() });
    const plan: Plan<string> = {
      phases: [
        phase('upserts', [c.step('insert a'), c.step('insert b')], { concurrency: 2 }),
        phase('deletes', [c.step('delete x')], { destructive: true }),
      ],
    };
    const applied = await applyPlan(plan);
    expect(c.calls).not.toContain('delete x');
    expect(applied.held.map((h) => [h.step.id, h.failed.map((f) => f.id)])).toEqual([['delete x', ['insert a']]]);
    expect(applied.results.find((r) => r.id === 'insert a')).toMatchObject({
      ok: false,
      transient: true,
      error: 'try later',
    });
  });

  it('a destructive step that waits for its own replacement runs when that one succeeded, whatever else failed', async () => {
    const c = cloud({ 'insert a': refused() });
    const plan: Plan<string> = {
      phases: [
        phase('upserts', [c.step('insert a'), c.step('insert b')], { concurrency: 2 }),
        phase(
          'deletes',
          [
            c.step('delete old-a', 'delete', ['insert a']),
            c.step('delete old-b', 'delete', ['insert b']),
            c.step('delete gone', 'delete', []),
          ],
          { destructive: true, concurrency: 2 },
        ),
      ],
    };
    const applied = await applyPlan(plan);
    expect(c.calls).toEqual(expect.arrayContaining(['delete old-b', 'delete gone']));
    expect(c.calls).not.toContain('delete old-a');
    expect(applied.held).toEqual([
      expect.objectContaining({
        step: expect.objectContaining({ id: 'delete old-a' }),
        failed: [expect.objectContaining({ id: 'insert a', transient: false })],
      }),
    ]);
  });

  it('an ordered phase stops at its first failure and nothing after it runs', async () => {
    const c = cloud({ second: refused() });
    const plan: Plan<string> = {
      phases: [
        phase('ordered', [c.step('first'), c.step('second'), c.step('third')], { ordered: true }),
        phase('later', [c.step('fourth')]),
      ],
    };
    const applied = await applyPlan(plan);
    expect(c.calls).toEqual(['first', 'second']);
    expect(applied.stopped).toEqual({ kind: 'failed' });
    expect(applied.held.map((h) => h.step.id)).toEqual(['third', 'fourth']);
  });

  it('an unordered phase keeps going after a failure, and so do later upserts', async () => {
    const c = cloud({ first: refused() });
    const applied = await applyPlan({
      phases: [phase('a', [c.step('first'), c.step('second')]), phase('b', [c.step('third')])],
    });
    expect(c.calls).toEqual(['first', 'second', 'third']);
    expect(applied.stopped).toBeUndefined();
  });

  it('the guard is asked before each phase and each sequential step; replan and stop end the run there', async () => {
    for (const kind of ['replan', 'stop'] as const) {
      const c = cloud();
      const asked: string[] = [];
      const guard: Guard<string> = ({ phase: p, step, applied }) => {
        asked.push(`${p.name}:${step?.id ?? '-'}:${applied}`);
        return step?.id === 'second' ? { kind, why: 'the rules moved' } : GO;
      };
      const applied = await applyPlan({ phases: [phase('p', [c.step('first'), c.step('second')])] }, { guard });
      expect(asked).toEqual(['p:-:0', 'p:first:0', 'p:second:1']);
      expect(c.calls).toEqual(['first']);
      expect(applied.stopped).toEqual({ kind, why: 'the rules moved' });
      expect(applied.held).toEqual([expect.objectContaining({ why: 'the rules moved' })]);
    }
  });

  it('a no-op is a success that changed nothing: not a mutation', async () => {
    const c = cloud({}, ['insert a']);
    const applied = await applyPlan({ phases: [phase('p', [c.step('insert a'), c.step('insert b')])] });
    expect(applied.results[0]).toMatchObject({ ok: true, noop: true });
    expect(mutationsOf(applied.results)).toBe(1);
  });

  it("keeps an API error's reason in the result", async () => {
    const c = cloud({ x: new ApiError(409, 'ALREADY_EXISTS', 'taken', 'nameTaken') });
    expect((await applyPlan({ phases: [phase('p', [c.step('x')])] })).results[0]).toMatchObject({
      ok: false,
      reason: 'nameTaken',
    });
  });

  it('passes the deadline to every step', async () => {
    const seen: (number | undefined)[] = [];
    const step: Step<null> = { id: 's', kind: 's', detail: null, run: async (ctx) => void seen.push(ctx.deadline) };
    await applyPlan({ phases: [phase('p', [step])] }, { deadline: 42 });
    expect(seen).toEqual([42]);
  });
});

describe('policies and phases', () => {
  const c = cloud();
  const plan: Plan<string> = {
    phases: [phase('upserts', [c.step('insert a')]), phase('deletes', [c.step('delete x')], { destructive: true })],
  };

  it('sync applies the plan, upsert-only drops the destructive phases, dry-run drops everything', () => {
    expect(applyPolicy(plan, 'sync')).toBe(plan);
    expect(stepsOf(applyPolicy(plan, 'upsert-only')).map((s) => s.id)).toEqual(['insert a']);
    expect(isEmpty(applyPolicy(plan, 'dry-run'))).toBe(true);
    expect(isEmpty(plan)).toBe(false);
  });

  it('orderedPhases keeps the order and groups like steps', () => {
    const steps = ['add 1', 'add 2', 'shrink 3', 'add 4', 'remove 5'].map((id) => c.step(id));
    const phases = orderedPhases(steps, (s) => !s.id.startsWith('add'));
    expect(phases.map((p) => [p.destructive, p.ordered, p.steps.map((s) => s.id)])).toEqual([
      [false, true, ['add 1', 'add 2']],
      [true, true, ['shrink 3']],
      [false, true, ['add 4']],
      [true, true, ['remove 5']],
    ]);
  });
});
