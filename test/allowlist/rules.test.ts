/** How the planner reads Cloud Armor rules: their ranges, what they allow, and which ones netreflex owns. */
import { describe, expect, it } from 'vitest';
import {
  allowedBy,
  ownedRules,
  OWNER_MARKER,
  partitionRules,
  ruleRanges,
  type PolicyRule,
} from '../../shared/plan/allowlist-rules.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { toCidrs } from '../../shared/net/cidr.js';

const BAND = { from: 1000, to: 1999 };
const src = (ranges: string[], extra: Partial<PolicyRule> = {}): PolicyRule => ({
  priority: 1000,
  action: 'allow',
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } },
  ...extra,
});
const cidrs = (rule: PolicyRule) => ruleRanges(rule).map((r) => r.cidr);

describe('ruleRanges', () => {
  it('parses each source range, trimmed; `*` is both families; text that is no range is skipped', () => {
    expect(cidrs(src([' 10.0.0.0/8 ', '2001:db8::1', 'nope']))).toEqual(['10.0.0.0/8', '2001:db8::1/128']);
    expect(cidrs(src(['*']))).toEqual(['0.0.0.0/0', '::/0']);
    expect(cidrs(src([' * ']))).toEqual(['0.0.0.0/0', '::/0']);
  });

  it('has nothing to say about a rule that does not match on source ranges', () => {
    expect(
      cidrs({ priority: 1, action: 'deny(403)', match: { expr: { expression: "origin.region_code == 'XX'" } } }),
    ).toEqual([]);
    expect(cidrs({ priority: 1, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1' } })).toEqual([]);
    expect(cidrs({ priority: 1, action: 'allow' })).toEqual([]);
  });
});

describe('allowedBy', () => {
  it('is the union of the enforced allow rules: preview and deny rules let nobody through', () => {
    const rules = [
      src(['10.0.0.0/25']),
      src(['10.0.0.128/25']),
      src(['10.1.0.0/16'], { preview: true }),
      src(['10.2.0.0/16'], { action: 'deny(403)' }),
    ];
    expect(toCidrs(allowedBy(rules))).toEqual(['10.0.0.0/24']);
  });
});

describe('ownership', () => {
  const marked = (priority: number, description = `${OWNER_MARKER} partners`) =>
    src(['192.0.2.0/28'], { priority, description });

  it('owns marked rules inside the band, edges included, sorted by priority, each range once', () => {
    const rules = [
      marked(1999),
      {
        ...marked(1000),
        match: { versionedExpr: 'SRC_IPS_V1' as const, config: { srcIpRanges: ['192.0.2.0/28', '192.0.2.0/28 '] } },
      },
      marked(1500, `${OWNER_MARKER} partners (kept by netreflex, do not edit)`),
    ];
    const owned = ownedRules(rules, BAND);
    expect(owned.map((o) => [o.priority, o.list, o.ranges])).toEqual([
      [1000, 'partners', ['192.0.2.0/28']],
      [1500, 'partners', ['192.0.2.0/28']],
      [1999, 'partners', ['192.0.2.0/28']],
    ]);
  });

  it('ignores every rule outside the band without the marker, one without any description too', () => {
    expect(
      partitionRules(
        [src(['10.0.0.0/8'], { priority: 500 }), src(['10.0.0.0/8'], { priority: 2147483647, description: 'default' })],
        BAND,
      ),
    ).toEqual({ owned: [], conflicts: [] });
  });

  it('says which rule is in conflict and how to resolve it', () => {
    const { owned, conflicts } = partitionRules(
      [
        src(['10.0.0.0/8'], { priority: 1500 }),
        marked(500),
        marked(1001, `${OWNER_MARKER} Bad`),
        marked(1002, `${OWNER_MARKER} partners!`),
        marked(1003, `${OWNER_MARKER} Bad, copied from ${OWNER_MARKER} partners`),
        marked(1004),
      ],
      BAND,
    );
    expect(owned.map((o) => o.priority)).toEqual([1004]);
    expect(conflicts).toEqual([
      'rule at priority 1500 ("") sits in the owned band 1000–1999 without the "netreflex:allowlist" marker: move it out of the band, or move the band (priorities) away from it',
      'rule at priority 500 ("netreflex:allowlist partners") carries the "netreflex:allowlist" marker outside the band 1000–1999: delete it, or move the band back over it',
      'rule at priority 1001 ("netreflex:allowlist Bad") has a malformed marker (expected "netreflex:allowlist <list-name>"): fix the description or delete the rule',
      'rule at priority 1002 ("netreflex:allowlist partners!") has a malformed marker (expected "netreflex:allowlist <list-name>"): fix the description or delete the rule',
      'rule at priority 1003 ("netreflex:allowlist Bad, copied from netreflex:allowlist partners") has a malformed marker (expected "netreflex:allowlist <list-name>"): fix the description or delete the rule',
    ]);
  });

  it('ownedRules refuses the whole plan on any conflict, listing each', () => {
    let err: unknown;
    try {
      ownedRules([marked(1000), marked(500)], BAND);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AllowlistSafetyError);
    expect(err).toMatchObject({
      refusal: 'ownership-conflict',
      details: [expect.stringMatching(/^rule at priority 500 /)],
    });
    expect((err as Error).message).toMatch(
      /^The policy has rules whose ownership is ambiguous; nothing was changed\. Resolve each:\n {2}- rule at priority 500 /,
    );
  });
});
