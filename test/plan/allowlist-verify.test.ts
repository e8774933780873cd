/** Verify (shared/plan/allowlist-verify.ts): the policy read back, judged converged / missing / extra / overruled / problem. */
import { describe, expect, it } from 'vitest';
import { verifyPolicy, type Replan } from '../../shared/plan/allowlist-verify.js';
import { allowRule } from '../../shared/plan/allowlist-rules.js';
import { planAllowlist, type DesiredAllowlist, type PolicyRule } from '../../shared/plan/allowlist.js';
import type { SecurityPolicy } from '../../shared/gcp/security-policies.js';
import { DEFAULT_RULE, desired, hosts, planAndApply } from '../allowlist/helpers.js';

const policyOf = (rules: readonly PolicyRule[]): SecurityPolicy => ({
  name: 'inference-policy',
  fingerprint: 'fp-1',
  rules: rules.map((r) => ({ ...r })),
});

const EGRESS = '203.0.113.5/32';
const PARTNER = '198.51.100.0/24';

describe('verifyPolicy on a policy the sync left as the file wants', () => {
  it('converged, nothing missing, extra or overruled, no problem key', () => {
    const want = desired({ egress: [EGRESS], partners: [PARTNER] });
    const report = verifyPolicy(policyOf(planAndApply(want, [DEFAULT_RULE]).rules), want);
    expect(report).toEqual({ converged: true, missing: [], extra: [], overruled: [] });
    expect('problem' in report).toBe(false);
  });

  it('a preview list is not wanted yet: its rule allows nothing and nothing is missing for it', () => {
    const base = desired({ egress: [EGRESS] });
    const want: DesiredAllowlist = {
      ...base,
      lists: [...base.lists, { name: 'canary', preview: true, cidrs: [PARTNER] }],
    };
    const rules = planAndApply(want, [DEFAULT_RULE]).rules;
    expect(rules.filter((r) => r.preview === true).map((r) => r.match?.config?.srcIpRanges)).toEqual([[PARTNER]]);
    expect(verifyPolicy(policyOf(rules), want)).toEqual({ converged: true, missing: [], extra: [], overruled: [] });
  });
});

describe('verifyPolicy on a policy that is not as the file wants', () => {
  it('no owned rules yet: not converged, every wanted address missing and denied by the default rule', () => {
    const want = desired({ egress: [EGRESS] });
    expect(verifyPolicy(policyOf([DEFAULT_RULE]), want)).toEqual({
      converged: false,
      missing: [EGRESS],
      extra: [],
      overruled: [`${EGRESS}: denied by rule 2147483647 (deny(403))`],
    });
  });

  it('a policy with no rule matching the wanted address: overruled as denied by no matching rule', () => {
    const want = desired({ egress: [EGRESS] });
    expect(verifyPolicy(policyOf([]), want)).toEqual({
      converged: false,
      missing: [EGRESS],
      extra: [],
      overruled: [`${EGRESS}: denied by no matching rule`],
    });
  });

  it('owned rules allowing more than the file: extra names the surplus (aggregated), nothing missing', () => {
    const want = desired({ partners: ['198.51.100.0/25'] });
    const rules = [
      allowRule(1000, 'partners', ['198.51.100.0/25', '198.51.100.128/25', '192.0.2.1/32'], false),
      DEFAULT_RULE,
    ];
    expect(verifyPolicy(policyOf(rules), want)).toEqual({
      converged: false,
      missing: [],
      extra: ['192.0.2.1/32', '198.51.100.128/25'],
      overruled: [],
    });
  });

  it('a replan that would remove most of what is allowed is still judged (the removal-share guard is forced off), not a problem', () => {
    const want = desired({ partners: hosts(1) });
    const rules = [allowRule(1000, 'partners', hosts(10), false), DEFAULT_RULE];
    const report = verifyPolicy(policyOf(rules), want);
    expect(report).toEqual({ converged: false, missing: [], extra: hosts(9, 1), overruled: [] });
    expect('problem' in report).toBe(false);
  });

  it('an owned rule in preview allows nothing: its ranges are missing, and the default rule overrules them', () => {
    const want = desired({ egress: [EGRESS] });
    const rules = [allowRule(1000, 'egress', [EGRESS], true), DEFAULT_RULE];
    expect(verifyPolicy(policyOf(rules), want)).toEqual({
      converged: false,
      missing: [EGRESS],
      extra: [],
      overruled: [`${EGRESS}: denied by rule 2147483647 (deny(403))`],
    });
  });
});

describe('verifyPolicy with its own replan', () => {
  const want = desired({ egress: [EGRESS] });
  const synced = planAndApply(want, [DEFAULT_RULE]).rules;

  it('converged is whether the replan on the read-back rules is empty, and it is given all the policy rules', () => {
    const seen: (readonly PolicyRule[])[] = [];
    const nonEmpty: Replan = (rules) => {
      seen.push(rules);
      return planAllowlist(want, [DEFAULT_RULE]);
    };
    const policy = policyOf(synced);
    expect(verifyPolicy(policy, want, nonEmpty)).toEqual({ converged: false, missing: [], extra: [], overruled: [] });
    expect(seen).toEqual([policy.rules]);
    expect(seen[0]).toBe(policy.rules);
  });

  it('a replan that throws an Error: not converged, empty lists, the message as the problem', () => {
    const refuse: Replan = () => {
      throw new Error('band-full: no free priority');
    };
    expect(verifyPolicy(policyOf(synced), want, refuse)).toEqual({
      converged: false,
      missing: [],
      extra: [],
      overruled: [],
      problem: 'band-full: no free priority',
    });
  });

  it('a replan that throws a non-Error: the thrown value as text', () => {
    const refuse: Replan = () => {
      throw 'quota';
    };
    expect(verifyPolicy(policyOf(synced), want, refuse)).toEqual({
      converged: false,
      missing: [],
      extra: [],
      overruled: [],
      problem: 'quota',
    });
  });
});

describe('verifyPolicy when the default replan refuses', () => {
  it('an unmarked rule inside the band (ownership conflict): not converged, empty lists, the refusal as the problem', () => {
    const want = desired({ egress: [EGRESS] });
    const foreign: PolicyRule = {
      priority: 1500,
      action: 'allow',
      description: 'hand-written',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: [PARTNER] } },
    };
    expect(verifyPolicy(policyOf([...planAndApply(want, [DEFAULT_RULE]).rules, foreign]), want)).toEqual({
      converged: false,
      missing: [],
      extra: [],
      overruled: [],
      problem:
        'The policy has rules whose ownership is ambiguous; nothing was changed. Resolve each:\n' +
        '  - rule at priority 1500 ("hand-written") sits in the owned band 1000–1999 without the ' +
        '"netreflex:allowlist" marker: move it out of the band, or move the band (priorities) away from it',
    });
  });
});
