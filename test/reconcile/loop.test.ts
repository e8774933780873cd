/**
 * The kernel's loop over a toy reconciler (a set of wanted names against a set of existing ones): a
 * dry run plans and verifies but applies nothing, the policy filters the plan, a guard's re-plan
 * plans again from the look it hands over (or a new one) at most `replans` times, every apply's
 * results are kept, and verify sees the run the loop ended with.
 */
import { describe, expect, it } from 'vitest';
import { GO, type Guard } from '../../shared/reconcile/apply.js';
import { reconcile, type Adapter } from '../../shared/reconcile/loop.js';
import { phase, type Policy } from '../../shared/reconcile/plan.js';

interface World {
  existing: Set<string>;
}
type ToyPlan = { add: string[]; remove: string[] };

/** A toy reconciler: `want` is what should exist; `moves` are foreign writes the guard sees, one per apply. */
function toy(world: World, want: string[], moves: ((w: World) => void)[] = []) {
  const log: string[] = [];
  let looks = 0;
  const look = async () => {
    looks += 1;
    return new Set(world.existing);
  };
  const adapter: Adapter<Set<string>, ToyPlan, string, string[]> = {
    observe: look,
    plan: (seen) => ({ add: want.filter((n) => !seen.has(n)), remove: [...seen].filter((n) => !want.includes(n)) }),
    phases: (plan) => ({
      phases: [
        phase(
          'adds',
          plan.add.map((n) => ({
            id: `add ${n}`,
            kind: 'add',
            detail: n,
            run: async () => void (log.push(`add ${n}`), world.existing.add(n)),
          })),
        ),
        phase(
          'removes',
          plan.remove.map((n) => ({
            id: `remove ${n}`,
            kind: 'remove',
            detail: n,
            run: async () => void (log.push(`remove ${n}`), world.existing.delete(n)),
          })),
          { destructive: true },
        ),
      ],
    }),
    guard: (_plan, seen): Guard<string> => {
      let asked = false;
      return async ({ phase: p, step }) => {
        if (step || !p.destructive || asked) return GO;
        asked = true;
        const move = moves.shift();
        if (!move) return GO;
        move(world);
        seen(await look());
        return { kind: 'replan', why: 'someone moved' };
      };
    },
    planned: (seen, plan) => log.push(`plan from ${[...seen].sort().join(',')}: +${plan.add} -${plan.remove}`),
    verify: async () => [...world.existing].filter((n) => !want.includes(n)),
  };
  return { adapter, log, looks: () => looks };
}

const run = (adapter: Adapter<Set<string>, ToyPlan, string, string[]>, policy: Policy, replans = 1) =>
  reconcile(adapter, { policy, replans });

describe('reconcile (the kernel loop)', () => {
  it('sync: observes once, applies adds then removes, verifies what it ended with', async () => {
    const world = { existing: new Set(['a', 'x']) };
    const t = toy(world, ['a', 'b']);
    const r = await run(t.adapter, 'sync');
    expect(t.log).toEqual(['plan from a,x: +b -x', 'add b', 'remove x']);
    expect(r.results.map((s) => [s.id, s.ok])).toEqual([
      ['add b', true],
      ['remove x', true],
    ]);
    expect(r.replanned).toBe(0);
    expect(r.verified).toEqual([]);
    expect(t.looks()).toBe(1);
  });

  it('dry-run: plans and verifies, applies nothing, has no apply', async () => {
    const world = { existing: new Set(['x']) };
    const t = toy(world, ['b']);
    const r = await run(t.adapter, 'dry-run');
    expect(t.log).toEqual(['plan from x: +b -x']);
    expect([...world.existing]).toEqual(['x']);
    expect(r.applied).toBeUndefined();
    expect(r.results).toEqual([]);
    expect(r.verified).toEqual(['x']);
  });

  it('upsert-only: the destructive phase is filtered out', async () => {
    const world = { existing: new Set(['x']) };
    const t = toy(world, ['b']);
    const r = await run(t.adapter, 'upsert-only');
    expect(t.log).toEqual(['plan from x: +b -x', 'add b']);
    expect(r.verified).toEqual(['x']);
  });

  it("a guard's re-plan plans again from the look it handed over, and keeps every apply's results", async () => {
    const world = { existing: new Set(['x']) };
    // Mid-apply another writer adds y and takes x away: the remove of x is no longer wanted.
    const t = toy(world, ['b'], [(w) => (w.existing.add('y'), w.existing.delete('x'))]);
    let verifiedRun: unknown;
    const r = await run({ ...t.adapter, verify: async (ended) => ((verifiedRun = ended), []) }, 'sync');
    expect(verifiedRun).toMatchObject({ plan: r.plan, results: r.results, replanned: 1 });
    expect(t.log).toEqual(['plan from x: +b -x', 'add b', 'plan from b,y: + -y', 'remove y']);
    expect(r.replanned).toBe(1);
    expect(r.results.map((s) => s.id)).toEqual(['add b', 'remove y']);
    expect(r.plan).toEqual({ add: [], remove: ['y'] });
    expect(r.applied?.stopped).toBeUndefined();
    expect(t.looks()).toBe(2);
    expect([...world.existing].sort()).toEqual(['b']);
  });

  it('re-plans at most `replans` times; then the run ends stopped with the reason, unverified steps held', async () => {
    const world = { existing: new Set(['x']) };
    const again = (w: World) => void w.existing.add(`z${w.existing.size}`);
    const t = toy(world, ['b'], [again, again, again]);
    const r = await run(t.adapter, 'sync', 1);
    expect(r.replanned).toBe(1);
    expect(r.applied?.stopped).toEqual({ kind: 'replan', why: 'someone moved' });
    expect(r.applied?.held.map((h) => h.step.id).length).toBeGreaterThan(0);
    expect(t.log.filter((l) => l.startsWith('remove'))).toEqual([]);
    const none = await run(toy({ existing: new Set(['x']) }, ['b'], [again]).adapter, 'sync', 0);
    expect(none.replanned).toBe(0);
    expect(none.applied?.stopped?.kind).toBe('replan');
  });

  it('a re-plan without a handed-over look observes again', async () => {
    const world = { existing: new Set(['x']) };
    const t = toy(world, ['b']);
    let once = true;
    const adapter: typeof t.adapter = {
      ...t.adapter,
      guard:
        () =>
        async ({ step }) => {
          if (step || !once) return GO;
          once = false;
          return { kind: 'replan', why: 'look again' };
        },
    };
    const r = await run(adapter, 'sync');
    expect(t.looks()).toBe(2);
    expect(r.replanned).toBe(1);
    expect(world.existing).toEqual(new Set(['b']));
  });

  it('an adapter that converges looks again after an apply, applies what a foreign write undid, and ends on a look that needs nothing', async () => {
    const world = { existing: new Set(['x']) };
    const t = toy(world, ['a', 'b']);
    // Right after the first apply another writer takes a away again: the next look needs it once more.
    let undone = false;
    const adapter: typeof t.adapter = {
      ...t.adapter,
      again: () => {
        if (!undone) {
          undone = true;
          world.existing.delete('a');
        }
        return true;
      },
    };
    const r = await run(adapter, 'sync', 3);
    expect(t.log).toEqual([
      'plan from x: +a,b -x',
      'add a',
      'add b',
      'remove x',
      'plan from b: +a -',
      'add a',
      'plan from a,b: + -',
    ]);
    expect(r.replanned).toBe(2);
    expect(r.plan).toEqual({ add: [], remove: [] });
    expect(r.results.map((s) => s.id)).toEqual(['add a', 'add b', 'remove x', 'add a']);
    expect(r.verified).toEqual([]);
  });

  it("`again` is not asked after the guard's stop, and a converging run still ends at the bound", async () => {
    let asked = 0;
    const stopped = toy({ existing: new Set(['x']) }, ['b']);
    const r = await run(
      {
        ...stopped.adapter,
        guard: () => async () => ({ kind: 'stop', why: 'someone newer owns this' }),
        again: () => ((asked += 1), true),
      },
      'sync',
      3,
    );
    expect(r.applied?.stopped).toEqual({ kind: 'stop', why: 'someone newer owns this' });
    expect(asked).toBe(0);
    const world = { existing: new Set<string>() };
    const fighting = toy(world, ['b']);
    const bound = await run({ ...fighting.adapter, again: () => (world.existing.delete('b'), true) }, 'sync', 2);
    // Three applies, and a look after the last one: the run ends on what is still missing.
    expect(fighting.looks()).toBe(4);
    expect(bound.replanned).toBe(2);
    expect(bound.results.map((s) => s.id)).toEqual(['add b', 'add b', 'add b']);
    expect(bound.plan).toEqual({ add: ['b'], remove: [] });
  });

  it('an initial look is planned from as it is (no observe), and an empty plan is never applied', async () => {
    const world = { existing: new Set(['b']) };
    const t = toy(world, ['b']);
    let guarded = 0;
    const r = await reconcile(
      { ...t.adapter, guard: () => ((guarded += 1), async () => GO), again: () => true },
      { policy: 'sync', replans: 3, initial: { observed: new Set(['b']), plan: { add: [], remove: [] } } },
    );
    expect(t.looks()).toBe(0);
    expect(t.log).toEqual([]);
    expect(guarded).toBe(0);
    expect(r.applied).toBeUndefined();
    expect(r.replanned).toBe(0);
  });

  it("a guard's re-plan whose fresh look needs nothing ends the run as an empty apply: no stop, nothing held", async () => {
    const world = { existing: new Set(['x']) };
    // Mid-apply another writer takes x away: the remove is no longer needed, and b is already there.
    const t = toy(world, ['b'], [(w) => void w.existing.delete('x')]);
    const r = await run(t.adapter, 'sync', 2);
    expect(r.replanned).toBe(1);
    expect(r.plan).toEqual({ add: [], remove: [] });
    expect(r.applied).toEqual({ results: [], held: [] });
    expect(r.results.map((s) => s.id)).toEqual(['add b']);
  });

  it("a converging run's look at the bound that needs nothing ends it as an empty apply too", async () => {
    const world = { existing: new Set(['x']) };
    // Mid-apply another writer takes x away; the guard re-plans with no re-plan left: the bound look.
    const t = toy(world, ['b'], [(w) => void w.existing.delete('x')]);
    const r = await run({ ...t.adapter, again: () => true }, 'sync', 0);
    expect(r.replanned).toBe(0);
    expect(r.plan).toEqual({ add: [], remove: [] });
    expect(r.applied).toEqual({ results: [], held: [] });
    expect(r.results.map((s) => s.id)).toEqual(['add b']);
  });

  it('verify undefined leaves the run without `verified`', async () => {
    const t = toy({ existing: new Set() }, []);
    const r = await reconcile({ ...t.adapter, verify: async () => undefined }, { policy: 'sync', replans: 0 });
    expect('verified' in r).toBe(false);
  });
});
