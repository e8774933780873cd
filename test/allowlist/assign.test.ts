/**
 * assignRules on hand-built rules: which rule ends up holding which range. What it pins is what a
 * user sees in the plan — how many rules change, which priorities new rules take, which refusal and
 * what it says — so each case names the rules it expects, range by range.
 */
import { describe, expect, it } from 'vitest';
import { assignRules, type RuleState } from '../../shared/plan/allowlist-assign.js';
import { allowRule, ownedRules, ownerDescription, type PolicyRule } from '../../shared/plan/allowlist-rules.js';
import type { DesiredAllowlist } from '../../shared/plan/allowlist-desired.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { desired, hosts } from './helpers.js';

function assign(
  lists: Record<string, string[]>,
  rules: readonly PolicyRule[],
  extra: Partial<DesiredAllowlist> = {},
): RuleState[] {
  const want = desired(lists, extra);
  return assignRules(want, ownedRules(rules, want.priorities));
}

/** priority → what the rule holds after the plan: list, kept ranges, added ranges, preview. */
function held(
  states: readonly RuleState[],
): Record<number, { list: string; kept: string[]; added: string[]; preview: boolean }> {
  return Object.fromEntries(
    states.map((s) => [s.priority, { list: s.list, kept: s.kept, added: s.added, preview: s.preview }]),
  );
}

const rule = (priority: number, list: string, ranges: readonly string[], preview = false) =>
  allowRule(priority, list, ranges, preview);

function refusal(fn: () => unknown): AllowlistSafetyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const [h0, h1, h2, h3, h4, h5, h6, h7, , h9] = hosts(10) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];

describe('assignRules: what stays where', () => {
  it("keeps each wanted range in the rule that holds it, in the rule's order, and drops the rest", () => {
    const states = assign({ a: [h1, h2, h4] }, [rule(1000, 'a', [h2, h3, h1])]);
    expect(held(states)).toEqual({ 1000: { list: 'a', kept: [h2, h1], added: [h4], preview: false } });
  });

  it('gives a range two lists want to each list, in its own rule', () => {
    const states = assign({ a: [h1], b: [h1] }, [rule(1000, 'a', [h1])]);
    expect(held(states)).toEqual({
      1000: { list: 'a', kept: [h1], added: [], preview: false },
      1001: { list: 'b', kept: [], added: [h1], preview: false },
    });
  });

  it('moves what an over-full rule holds beyond ten into a new rule, from every over-full rule of the list, once each', () => {
    const [first, second] = [hosts(11, 100), hosts(11, 200)];
    const states = assign({ a: [...first, ...second] }, [rule(1000, 'a', first), rule(1001, 'a', second)]);
    expect(held(states)).toEqual({
      1000: { list: 'a', kept: first.slice(0, 10), added: [], preview: false },
      1001: { list: 'a', kept: second.slice(0, 10), added: [], preview: false },
      1002: { list: 'a', kept: [], added: [first[10]!, second[10]!], preview: false },
    });
  });

  it('upsert-only moves what an over-full rule holds beyond ten too, wanted or not: it never drops a range', () => {
    const eleven = hosts(11, 100);
    const states = assign({ a: [h1] }, [rule(1000, 'a', eleven)], { mode: 'upsert-only' });
    expect(held(states)).toEqual({
      1000: { list: 'a', kept: eleven.slice(0, 10), added: [], preview: false },
      1001: { list: 'a', kept: [], added: [eleven[10]!, h1], preview: false },
    });
  });

  it("sync: a list's preview setting applies to its rules; a rule of a list gone from the file keeps nothing", () => {
    const states = assign({ a: [h1] }, [rule(1000, 'a', [h1]), rule(1001, 'gone', [h2], true)], {
      lists: [{ name: 'a', preview: true, cidrs: [h1] }],
    });
    expect(held(states)).toEqual({
      1000: { list: 'a', kept: [h1], added: [], preview: true },
      1001: { list: 'gone', kept: [], added: [], preview: true },
    });
  });

  it("upsert-only keeps every range, never turns an enforced rule into preview, and leaves a gone list's rule as it is", () => {
    const lists = [
      { name: 'a', preview: true, cidrs: [h1] }, // enforced rule, list now in preview: stays enforced
      { name: 'b', preview: true, cidrs: [h3] }, // preview rule, list in preview: stays preview
      { name: 'c', preview: false, cidrs: [h5] }, // preview rule, list enforced: enforced
    ];
    const states = assign(
      {},
      [
        rule(1000, 'a', [h1, h2]),
        rule(1001, 'b', [h3], true),
        rule(1002, 'c', [h4], true),
        rule(1003, 'gone', [h6], true),
      ],
      { mode: 'upsert-only', lists },
    );
    expect(held(states)).toEqual({
      1000: { list: 'a', kept: [h1, h2], added: [], preview: false },
      1001: { list: 'b', kept: [h3], added: [], preview: true },
      1002: { list: 'c', kept: [h4], added: [h5], preview: false },
      1003: { list: 'gone', kept: [h6], added: [], preview: true },
    });
  });
});

describe('assignRules: where a new range goes', () => {
  it('into a rule that changes anyway before an untouched one: it lost a range, turns preview off, or carries another description', () => {
    const lost = assign({ a: [h1, h2, h9] }, [rule(1000, 'a', [h1]), rule(1001, 'a', [h2, h3])]);
    expect(held(lost)[1001]!.added).toEqual([h9]);
    const preview = assign({ a: [h1, h2, h9] }, [rule(1000, 'a', [h1]), rule(1001, 'a', [h2], true)]);
    expect(held(preview)[1001]!.added).toEqual([h9]);
    const edited = assign({ a: [h1, h2, h9] }, [
      rule(1000, 'a', [h1]),
      { ...rule(1001, 'a', [h2]), description: `${ownerDescription('a')} (edited by hand)` },
    ]);
    expect(held(edited)[1001]!.added).toEqual([h9]);
    const untouched = assign({ a: [h1, h2, h9] }, [rule(1000, 'a', [h1]), rule(1001, 'a', [h2])]);
    expect(held(untouched)[1000]!.added).toEqual([h9]);
  });

  it('fills rules with room in that order before opening one, skipping full rules', () => {
    const full = hosts(10, 100);
    const states = assign({ a: [...full, h1, ...hosts(10, 20)] }, [rule(1000, 'a', full), rule(1001, 'a', [h1])]);
    expect(held(states)[1000]!.added).toEqual([]);
    expect(held(states)[1001]!.added).toEqual(hosts(9, 20));
    expect(held(states)[1002]!.added).toEqual(hosts(1, 29));
  });

  it('into the rule that dropped a range it overlaps, before any other: a widened, narrowed or merged range stays one patch', () => {
    // 1000 changes (drops h5) and comes first; 1001 dropped 10.1.0.0/25, which the /24 widens.
    const widened = assign({ a: [h1, h2, '10.1.0.0/24'] }, [
      rule(1000, 'a', [h1, h5]),
      rule(1001, 'a', ['10.1.0.0/25', h2]),
    ]);
    expect(held(widened)[1001]!.added).toEqual(['10.1.0.0/24']);
    expect(held(widened)[1000]!.added).toEqual([]);
    // Overlap at the edges: the dropped /32 is the last address of the new /31, or its first.
    const lastAddress = assign({ a: [h1, h2, '10.0.0.4/31'] }, [
      rule(1000, 'a', [h1, h5]),
      rule(1001, 'a', ['10.0.0.5/32', h2]),
    ]);
    expect(held(lastAddress)[1001]!.added).toEqual(['10.0.0.4/31']);
    const firstAddress = assign({ a: [h1, h2, '10.0.0.4/31'] }, [
      rule(1000, 'a', [h1, h5]),
      rule(1001, 'a', ['10.0.0.4/32', h2]),
    ]);
    expect(held(firstAddress)[1001]!.added).toEqual(['10.0.0.4/31']);
  });

  it('not into a rule whose dropped ranges do not overlap it, whatever their family or place', () => {
    // 1001 dropped a range after the new one, and one of the other family with the same numbers.
    const states = assign({ a: [h1, h2, '10.0.0.0/24'] }, [
      rule(1000, 'a', [h1, h5]),
      rule(1001, 'a', ['10.2.0.0/25', '::a00:0/120', h2]),
    ]);
    expect(held(states)[1000]!.added).toEqual(['10.0.0.0/24']);
    expect(held(states)[1001]!.added).toEqual([]);
  });

  it('not into a rule that dropped a range of the other family, even one whose numbers overlap', () => {
    // ::a00:0/120 has the numbers of 10.0.0.0/24; 1000 changes (turns preview off) and comes first.
    const states = assign({ a: [h1, h2, '10.0.0.0/24'] }, [
      rule(1000, 'a', [h1], true),
      rule(1001, 'a', ['::a00:0/120', h2]),
    ]);
    expect(held(states)[1000]!.added).toEqual(['10.0.0.0/24']);
  });

  it('finds the home of an IPv6 range past every dropped IPv4 range', () => {
    const states = assign({ a: [h1, h2, '2001:db8::/48'] }, [
      rule(1000, 'a', [h1, '10.3.0.0/24', '10.4.0.0/24']),
      rule(1001, 'a', ['2001:db8::/64', h2]),
    ]);
    expect(held(states)[1001]!.added).toEqual(['2001:db8::/48']);
  });

  it('a home with no room left is passed over for the next rule', () => {
    // 1001 holds ten and drops the /24 (room 1): the first half takes that room, the second goes on.
    const ten = [...hosts(9, 100), '10.0.0.0/24'];
    const states = assign({ a: [h1, h5, ...hosts(9, 100), '10.0.0.0/25', '10.0.0.128/26'] }, [
      rule(1000, 'a', [h1, h5, h6]),
      rule(1001, 'a', ten),
    ]);
    expect(held(states)[1001]!.added).toEqual(['10.0.0.0/25']);
    expect(held(states)[1000]!.added).toEqual(['10.0.0.128/26']);
  });
});

describe('assignRules: priorities for new rules, and the band', () => {
  it('opens new rules at the lowest free priorities of the band, around the taken ones', () => {
    const states = assign({ a: [h0, ...hosts(25, 50)] }, [rule(1001, 'a', [h0]), rule(1003, 'b', [h9])]);
    expect(states.map((s) => s.priority)).toEqual([1001, 1003, 1000, 1002]);
    expect(held(states)[1001]!.added).toEqual(hosts(9, 50));
    expect(held(states)[1000]!.added).toEqual(hosts(10, 59));
    expect(held(states)[1002]!.added).toEqual(hosts(6, 69));
  });

  it('with the band full, re-uses a rule left with nothing in it (its list gone, or its ranges all moved), never one that still holds or takes ranges', () => {
    const band = { from: 1000, to: 1004 };
    const rules = [
      rule(1000, 'a', [h0]),
      rule(1001, 'b', [h1]),
      rule(1002, 'c', [h2]),
      rule(1003, 'd', [h3]),
      rule(1004, 'gone', [h4]),
    ];
    // c takes a new range into its emptied rule first; d's rule is left with nothing; a needs a second rule.
    const states = assign({ c: [h7], b: [h1], d: [], a: [h0, ...hosts(10, 50)] }, rules, { priorities: band });
    expect(held(states)).toEqual({
      1000: { list: 'a', kept: [h0], added: hosts(9, 50), preview: false },
      1001: { list: 'b', kept: [h1], added: [], preview: false },
      1002: { list: 'c', kept: [], added: [h7], preview: false },
      1003: { list: 'a', kept: [], added: hosts(1, 59), preview: false },
      1004: { list: 'gone', kept: [], added: [], preview: false },
    });
  });

  it('takes the last priority of the band when it is the only one free', () => {
    const states = assign({ a: [h0, ...hosts(10, 50)] }, [rule(1000, 'a', [h0])], {
      priorities: { from: 1000, to: 1001 },
    });
    expect(held(states)[1001]!.added).toEqual(hosts(1, 59));
  });

  it('refuses band-full before planning when even perfectly packed rules cannot fit, saying what they need and what the band holds', () => {
    const band = { from: 1000, to: 1002 };
    const err = refusal(() => assign({ a: hosts(21), b: [h9] }, [rule(1000, 'a', [h0])], { priorities: band }));
    expect(err.refusal).toBe('band-full');
    expect(err.message).toBe(
      'The allowlist needs 4 rules (22 ranges after merging, 10 per rule, one list per rule) but the band 1000–1002 holds 3 (1 in use); nothing was planned. Widen priorities, merge entries into wider ranges, or remove some.',
    );
    // Exactly as many rules as the band holds is enough.
    expect(assign({ a: hosts(20), b: [h9] }, [rule(1000, 'a', [h0])], { priorities: band })).toHaveLength(3);
  });

  it('refuses band-full when no priority is free and no rule can be re-used, and upsert-only never re-uses one', () => {
    const band = { from: 1000, to: 1001 };
    const message =
      'No free priority is left in the band 1000–1001 for list a; nothing was planned. Widen priorities (rules are only added before others are removed, so a full band needs spare room to rotate).';
    // b's two ranges would fit one rule, but each stays in the rule that holds it: a finds no room.
    const sync = refusal(() =>
      assign({ b: [h1, h2], a: [h5] }, [rule(1000, 'b', [h1]), rule(1001, 'b', [h2])], { priorities: band }),
    );
    expect([sync.refusal, sync.message]).toEqual(['band-full', message]);
    const upsert = refusal(() =>
      assign({ a: [h0, ...hosts(10, 50)] }, [rule(1000, 'a', [h0]), rule(1001, 'gone', [h1])], {
        priorities: band,
        mode: 'upsert-only',
      }),
    );
    expect([upsert.refusal, upsert.message]).toEqual(['band-full', message]);
    // Not even a rule of a gone list that holds nothing Cloud Armor could match.
    const empty = refusal(() =>
      assign({ a: [h0, ...hosts(10, 50)] }, [rule(1000, 'a', [h0]), rule(1001, 'gone', ['not a range'])], {
        priorities: band,
        mode: 'upsert-only',
      }),
    );
    expect([empty.refusal, empty.message]).toEqual(['band-full', message]);
  });
});
