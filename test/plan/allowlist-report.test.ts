/**
 * The allowlist sync's report (shared/plan/allowlist-report.ts): how policy statuses rank into the
 * sync's, the kernel's envelope, a policy's planned and dry-run report, the overruled verdict, the
 * expired entries worth naming, when a stall began and what fixes it.
 */
import { describe, expect, it } from 'vitest';
import {
  dryRunReport,
  emptyPolicyReport,
  envelope,
  expiredNow,
  overallStatus,
  overruled,
  plannedReport,
  stallBegan,
  stallOf,
  type AllowlistReport,
  type PolicyPlan,
  type PolicyReport,
  type PolicyStatus,
} from '../../shared/plan/allowlist-report.js';
import { CLAIM_LABEL, GENERATION_LABEL, RUN_LABEL } from '../../shared/plan/allowlist-claim.js';
import { allowRule } from '../../shared/plan/allowlist-rules.js';
import { applyAllowlistSteps } from '../../shared/plan/allowlist-check.js';
import type { Replan } from '../../shared/plan/allowlist-verify.js';
import {
  desiredAllowlist,
  planAllowlist,
  type DesiredAllowlist,
  type PolicyRule,
} from '../../shared/plan/allowlist.js';
import type { Allowlist, AllowlistEntry } from '../../shared/allowlist/model.js';
import { DEFAULT_RULE, SAFETY, desired, planAndApply } from '../allowlist/helpers.js';

const EGRESS = '203.0.113.5/32';
const PARTNER = '198.51.100.0/24';

const withStatus = (status: PolicyStatus, extra: Partial<PolicyReport> = {}): PolicyReport => ({
  ...emptyPolicyReport(`p-${status}`),
  status,
  ...extra,
});

/** A policy's sync as prepare.ts hands it over: the policy read, the file's desired state, its plan and replan. */
function policyPlan(
  want: DesiredAllowlist,
  rules: readonly PolicyRule[],
  extra: Partial<Omit<PolicyPlan, 'desired'>> = {},
): PolicyPlan {
  const replan: Replan = (r) => planAllowlist(want, r, { force: true });
  return {
    name: 'inference-policy',
    role: 'target',
    policy: { rules: [...rules] },
    desired: want,
    plan: planAllowlist(want, rules),
    replan,
    ...extra,
  };
}

const deny = (priority: number, ranges: string[]): PolicyRule => ({
  priority,
  action: 'deny(403)',
  description: 'hand-written block',
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } },
});

describe('emptyPolicyReport', () => {
  it('an unchanged target with nothing planned, run or counted', () => {
    expect(emptyPolicyReport('edge')).toEqual({
      policy: 'edge',
      status: 'unchanged',
      role: 'target',
      steps: [],
      results: [],
      mutations: 0,
      passes: 0,
    });
  });

  it('takes the role it is given', () => {
    expect(emptyPolicyReport('edge', 'last-applied')).toEqual({
      policy: 'edge',
      status: 'unchanged',
      role: 'last-applied',
      steps: [],
      results: [],
      mutations: 0,
      passes: 0,
    });
  });
});

describe('overallStatus: the worst policy decides', () => {
  const ORDER: PolicyStatus[] = ['failed', 'refused', 'degraded', 'ok', 'planned', 'superseded', 'stale', 'unchanged'];
  const SYNC: string[] = ['failed', 'refused', 'degraded', 'ok', 'planned', 'ignored', 'ignored', 'unchanged'];

  it('each status outranks every one after it, whatever order the policies come in', () => {
    ORDER.forEach((status, i) => {
      const rest = ORDER.slice(i + 1).map((s) => withStatus(s));
      const policies = [...rest.slice(0, 1), withStatus(status), ...rest.slice(1)].reverse();
      expect([status, overallStatus(policies, false)]).toEqual([status, SYNC[i]]);
      expect([status, overallStatus([withStatus(status), ...rest], false)]).toEqual([status, SYNC[i]]);
      expect([status, overallStatus([...rest, withStatus(status)], false)]).toEqual([status, SYNC[i]]);
    });
  });

  it('two policies of the same status: that status', () => {
    expect(overallStatus([withStatus('degraded'), withStatus('degraded')], false)).toBe('degraded');
    expect(overallStatus([withStatus('ok'), withStatus('ok')], false)).toBe('ok');
  });

  it('no policy at all is unchanged, in a dry run too', () => {
    expect(overallStatus([], false)).toBe('unchanged');
    expect(overallStatus([], true)).toBe('unchanged');
  });

  it('a stale or superseded policy beside unchanged ones makes the sync ignored; unchanged alone stays unchanged', () => {
    expect(overallStatus([withStatus('unchanged'), withStatus('stale')], false)).toBe('ignored');
    expect(overallStatus([withStatus('superseded'), withStatus('unchanged')], false)).toBe('ignored');
    expect(overallStatus([withStatus('stale')], false)).toBe('ignored');
    expect(overallStatus([withStatus('superseded')], false)).toBe('ignored');
    expect(overallStatus([withStatus('unchanged'), withStatus('unchanged')], false)).toBe('unchanged');
  });

  it('a policy that did something outranks an ignored one beside it', () => {
    expect(overallStatus([withStatus('stale'), withStatus('ok')], false)).toBe('ok');
    expect(overallStatus([withStatus('superseded'), withStatus('planned')], false)).toBe('planned');
    expect(overallStatus([withStatus('stale'), withStatus('failed')], false)).toBe('failed');
  });

  it('a dry run reports ok as planned, and nothing else changes', () => {
    expect(overallStatus([withStatus('ok'), withStatus('unchanged')], true)).toBe('planned');
    expect(overallStatus([withStatus('planned')], true)).toBe('planned');
    expect(overallStatus([withStatus('degraded'), withStatus('ok')], true)).toBe('degraded');
    expect(overallStatus([withStatus('unchanged')], true)).toBe('unchanged');
    expect(overallStatus([withStatus('stale')], true)).toBe('ignored');
    expect(overallStatus([withStatus('unchanged'), withStatus('stale')], true)).toBe('ignored');
  });

  it('does not reorder the policies it is given', () => {
    const policies = [withStatus('ok'), withStatus('failed')];
    overallStatus(policies, false);
    expect(policies.map((p) => p.status)).toEqual(['ok', 'failed']);
  });
});

describe('envelope: the kernel fields of a finished sync', () => {
  const step = { kind: 'addRule' as const, priority: 1000, list: 'egress', preview: false, ranges: 1, removed: [] };
  const base = (policies: PolicyReport[], extra: Partial<AllowlistReport> = {}): AllowlistReport => ({
    status: 'unchanged',
    source: 'gs://allowlists/armor.yaml#1700000000000001',
    dryRun: false,
    reasons: [],
    warnings: ['a warning stays'],
    results: [],
    mutations: 0,
    retry: false,
    policies,
    ...extra,
  });

  it('an applied sync: ok, every result with its policy in policy order, the mutations summed, no reason, no retry', () => {
    const edge: PolicyReport = {
      ...emptyPolicyReport('edge'),
      status: 'ok',
      results: [
        { step: { ...step, added: [EGRESS] }, ok: true, ms: 12 },
        { step: { ...step, priority: 1001, added: [PARTNER] }, ok: true, noop: true, ms: 3 },
      ],
      mutations: 2,
    };
    const api: PolicyReport = {
      ...emptyPolicyReport('api'),
      status: 'unchanged',
      results: [{ step: { ...step, added: [PARTNER] }, ok: true, ms: 7 }],
      mutations: 3,
    };
    expect(envelope(base([edge, api]))).toEqual({
      ...base([edge, api]),
      status: 'ok',
      reasons: [],
      results: [
        { policy: 'edge', step: { ...step, added: [EGRESS] }, ok: true, ms: 12 },
        { policy: 'edge', step: { ...step, priority: 1001, added: [PARTNER] }, ok: true, noop: true, ms: 3 },
        { policy: 'api', step: { ...step, added: [PARTNER] }, ok: true, ms: 7 },
      ],
      mutations: 5,
      retry: false,
    });
  });

  it('a dry run whose policies would change: planned', () => {
    expect(envelope(base([withStatus('ok')], { dryRun: true })).status).toBe('planned');
  });

  it('the reasons: each failed, refused or degraded policy with a reason, in order; not a stale one, not one without a reason', () => {
    const policies = [
      withStatus('failed', { policy: 'a', reason: 'step 1000 failed: 503', retry: true }),
      withStatus('stale', { policy: 'b', reason: 'generation 1 is older than generation 2' }),
      withStatus('degraded', { policy: 'c', reason: 'overruled' }),
      withStatus('failed', { policy: 'd' }),
      withStatus('refused', { policy: 'e', reason: 'expired entries cannot be removed' }),
      withStatus('ok', { policy: 'f', reason: 'not a trouble' }),
    ];
    expect(envelope(base(policies))).toEqual({
      ...base(policies),
      status: 'failed',
      reasons: ['a: step 1000 failed: 503', 'c: overruled', 'e: expired entries cannot be removed'],
      retry: true,
    });
  });

  it('retry only when a failed policy asks for it: not for a degraded one that does, nor a failed one that does not', () => {
    expect(
      envelope(base([withStatus('failed', { retry: false }), withStatus('degraded', { retry: true })])).retry,
    ).toBe(false);
    expect(envelope(base([withStatus('failed')])).retry).toBe(false);
    expect(envelope(base([withStatus('ok'), withStatus('failed', { retry: true })])).retry).toBe(true);
  });

  it('a refused file stays refused whatever its policies did; its message comes first among the reasons', () => {
    const refusal = { kind: 'invalid-file' as const, message: 'armor.yaml is not a valid allowlist' };
    const policies = [
      withStatus('ok', { role: 'last-applied', mutations: 1 }),
      withStatus('failed', { policy: 'x', reason: 'read failed', retry: true }),
    ];
    expect(envelope(base(policies, { status: 'refused', refusal, why: 'not a reason here' }))).toEqual({
      ...base(policies, { status: 'refused', refusal, why: 'not a reason here' }),
      status: 'refused',
      reasons: ['armor.yaml is not a valid allowlist', 'x: read failed'],
      mutations: 1,
      retry: true,
    });
  });

  it('an ignored sync stays ignored and says why; a why does not count as a reason otherwise', () => {
    const why = 'generation 1 is superseded by live generation 2; that upload is applied instead';
    expect(envelope(base([], { status: 'ignored', why }))).toEqual({
      ...base([], { status: 'ignored', why }),
      status: 'ignored',
      reasons: [why],
      mutations: 0,
      retry: false,
    });
    expect(envelope(base([withStatus('ok')], { status: 'ignored' }))).toMatchObject({ status: 'ignored', reasons: [] });
    expect(envelope(base([withStatus('ok')], { why }))).toMatchObject({ status: 'ok', reasons: [] });
  });

  it('a refusal on a report that is not refused (a missing file kept at its last file, then ignored) is still a reason', () => {
    const refusal = { kind: 'missing-file' as const, message: 'There is no allowlist object' };
    expect(envelope(base([], { status: 'ignored', refusal, why: 'no allowlist object' })).reasons).toEqual([
      'There is no allowlist object',
      'no allowlist object',
    ]);
  });
});

describe('plannedReport: a policy planned, not applied', () => {
  const want = desired({ egress: [EGRESS] });

  it('a fresh policy: planned, the steps as people read them, the mode and summary of the plan, nothing held', () => {
    const p = policyPlan(want, [DEFAULT_RULE]);
    expect(plannedReport(p)).toEqual({
      policy: 'inference-policy',
      status: 'planned',
      role: 'target',
      mode: 'sync',
      steps: [
        { kind: 'addRule', priority: 1000, list: 'egress', preview: false, ranges: 1, added: [EGRESS], removed: [] },
      ],
      results: [],
      mutations: 0,
      passes: 0,
      summary: {
        rulesAdded: 1,
        rulesPatched: 0,
        rulesRemoved: 0,
        allowedAdded: [EGRESS],
        allowedRemoved: [],
        expiredEntries: 0,
      },
    });
  });

  it('a policy already as the file wants: unchanged, with the role it is prepared for and the mode of the file', () => {
    const upsert = desired({ egress: [EGRESS] }, { mode: 'upsert-only' });
    const p = policyPlan(upsert, planAndApply(upsert, [DEFAULT_RULE]).rules, { role: 'untargeted', name: 'edge' });
    expect(plannedReport(p)).toEqual({
      policy: 'edge',
      status: 'unchanged',
      role: 'untargeted',
      mode: 'upsert-only',
      steps: [],
      results: [],
      mutations: 0,
      passes: 0,
      summary: {
        rulesAdded: 0,
        rulesPatched: 0,
        rulesRemoved: 0,
        allowedAdded: [],
        allowedRemoved: [],
        expiredEntries: 0,
      },
    });
  });

  it('holds the generation its labels record; a claim of that same generation is not an apply in progress', () => {
    const p = policyPlan(want, [DEFAULT_RULE], {
      policy: {
        rules: [DEFAULT_RULE],
        labels: { [GENERATION_LABEL]: '1700000000000001', [CLAIM_LABEL]: '1700000000000001', [RUN_LABEL]: 'r-ab-1' },
      },
    });
    const report = plannedReport(p);
    expect([report.holds, report.applying]).toEqual(['1700000000000001', undefined]);
    expect('applying' in report).toBe(false);
  });

  it('a claim of another generation is being applied: its generation, and since when the run label says', () => {
    const p = policyPlan(want, [DEFAULT_RULE], {
      policy: {
        rules: [DEFAULT_RULE],
        labels: {
          [GENERATION_LABEL]: '1700000000000001',
          [CLAIM_LABEL]: '1700000000000002',
          [RUN_LABEL]: 'r-0123456789ab-1767225600',
        },
      },
    });
    const report = plannedReport(p);
    expect([report.holds, report.applying]).toEqual([
      '1700000000000001',
      { generation: '1700000000000002', since: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it('a claim on a policy that holds nothing yet, by a run label without a time: applying, no since, no holds', () => {
    const p = policyPlan(want, [DEFAULT_RULE], {
      policy: { rules: [DEFAULT_RULE], labels: { [CLAIM_LABEL]: '1700000000000002', [RUN_LABEL]: 'r-00ff' } },
    });
    const report = plannedReport(p);
    expect(report.applying).toEqual({ generation: '1700000000000002' });
    expect('holds' in report).toBe(false);
    expect('since' in report.applying!).toBe(false);
  });

  it('labels with no claim of ours: nothing held, nothing applying', () => {
    const report = plannedReport(
      policyPlan(want, [DEFAULT_RULE], { policy: { rules: [DEFAULT_RULE], labels: { team: 'inference' } } }),
    );
    expect(['holds' in report, 'applying' in report]).toEqual([false, false]);
  });
});

describe('dryRunReport: the policy judged as its plan would leave it', () => {
  it('an address the plan would add is not reported missing or overruled by the default deny', () => {
    const want = desired({ egress: [EGRESS], partners: [PARTNER] });
    const p = policyPlan(want, [DEFAULT_RULE]);
    expect(dryRunReport(p)).toEqual({
      ...plannedReport(p),
      verify: { converged: true, missing: [], extra: [], overruled: [] },
    });
    expect(dryRunReport(p).status).toBe('planned');
  });

  it('a deny ahead over a file address: degraded, no retry, the rule named, even though the plan holds the file', () => {
    const want = desired({ partners: [PARTNER] });
    const p = policyPlan(want, [deny(500, ['198.51.100.0/25']), DEFAULT_RULE]);
    expect(dryRunReport(p)).toEqual({
      ...plannedReport(p),
      status: 'degraded',
      retry: false,
      verify: {
        converged: true,
        missing: [],
        extra: [],
        overruled: ['198.51.100.0/25: denied by rule 500 (deny(403))'],
      },
      reason:
        'rules ahead of the allow rules of inference-policy decide addresses the file allows (198.51.100.0/25: denied by rule 500 (deny(403))); netreflex does not change rules outside its band: move them after the allowlist (a priority number above 1999) or narrow them, or remove the entries from the file',
    });
  });

  it('judges with the policy’s own replan, on the rules after the plan’s steps', () => {
    const want = desired({ egress: [EGRESS] });
    const seen: (readonly PolicyRule[])[] = [];
    const never: Replan = (rules) => {
      seen.push(rules);
      return planAllowlist(want, [DEFAULT_RULE]);
    };
    const p = policyPlan(want, [DEFAULT_RULE], { replan: never });
    expect(dryRunReport(p).verify).toEqual({ converged: false, missing: [], extra: [], overruled: [] });
    expect(seen).toEqual([applyAllowlistSteps([DEFAULT_RULE], p.plan.steps)]);
    expect(seen[0]).toEqual([allowRule(1000, 'egress', [EGRESS], false), DEFAULT_RULE]);
  });

  it('an unchanged policy: unchanged, verified as read', () => {
    const want = desired({ egress: [EGRESS] });
    const p = policyPlan(want, planAndApply(want, [DEFAULT_RULE]).rules);
    expect(dryRunReport(p)).toMatchObject({
      status: 'unchanged',
      steps: [],
      verify: { converged: true, missing: [], extra: [], overruled: [] },
    });
    expect('reason' in dryRunReport(p)).toBe(false);
  });
});

describe('overruled: rules ahead that decide a file address', () => {
  const want = desired({ partners: [PARTNER] }, { priorities: { from: 3000, to: 3999 } });
  const done = withStatus('ok', { policy: 'edge', mutations: 2, retry: true });

  it('no verify, or nothing overruled: the report as it is', () => {
    expect(overruled(done, { name: 'edge', desired: want })).toBe(done);
    const verified = { ...done, verify: { converged: true, missing: [], extra: [], overruled: [] } };
    expect(overruled(verified, { name: 'edge', desired: want })).toBe(verified);
  });

  it('degraded, not a retry, every overruled address named and the band’s upper end given', () => {
    const verify = {
      converged: true,
      missing: [],
      extra: [],
      overruled: [
        '198.51.100.0/25: denied by rule 500 (deny(403))',
        "198.51.100.128/25: a CEL rule at 900 ('expr'), ahead of the allow rules",
      ],
    };
    expect(overruled({ ...done, verify }, { name: 'edge', desired: want })).toEqual({
      ...done,
      verify,
      status: 'degraded',
      retry: false,
      reason:
        "rules ahead of the allow rules of edge decide addresses the file allows (198.51.100.0/25: denied by rule 500 (deny(403)); 198.51.100.128/25: a CEL rule at 900 ('expr'), ahead of the allow rules); netreflex does not change rules outside its band: move them after the allowlist (a priority number above 3999) or narrow them, or remove the entries from the file",
    });
  });
});

describe('expiredNow: the expired entries worth naming', () => {
  const NOW = new Date('2026-03-01T00:00:00Z');
  const BEFORE = new Date('2026-01-01T00:00:00Z');
  const CONTRACTOR = '192.0.2.10/32';
  const entry = (cidr: string, extra: Partial<AllowlistEntry> = {}): AllowlistEntry =>
    ({
      kind: 'static',
      input: cidr,
      cidrs: [cidr],
      description: cidr,
      where: 'armor.yaml:9:9',
      ...extra,
    }) as AllowlistEntry;
  const file: Allowlist = {
    version: 1,
    source: 'armor.yaml',
    mode: 'sync',
    priorities: { from: 1000, to: 1999 },
    safety: SAFETY,
    lists: [
      {
        name: 'partners',
        policies: ['inference-policy'],
        preview: false,
        entries: [
          entry('198.51.100.0/25', { description: 'Partner A' }),
          entry(CONTRACTOR, {
            description: 'Contractor',
            expires: new Date('2026-02-01T00:00:00Z'),
            where: 'armor.yaml:14:9',
            path: 'lists.partners.entries[1]',
          }),
          // Expired, but the egress list still allows the same address: it does not leave.
          entry(EGRESS, {
            description: 'Old egress',
            expires: new Date('2026-02-15T00:00:00Z'),
            where: 'armor.yaml:18:9',
          }),
        ],
      },
      {
        name: 'egress',
        policies: ['inference-policy'],
        preview: false,
        entries: [entry(EGRESS, { description: 'NAT' })],
      },
    ],
  };
  const CONTRACTOR_ENTRY = {
    list: 'partners',
    entry: CONTRACTOR,
    description: 'Contractor',
    expires: '2026-02-01T00:00:00.000Z',
    cidrs: [CONTRACTOR],
    where: 'armor.yaml:14:9',
    path: 'lists.partners.entries[1]',
  };
  const OLD_EGRESS_ENTRY = {
    list: 'partners',
    entry: EGRESS,
    description: 'Old egress',
    expires: '2026-02-15T00:00:00.000Z',
    cidrs: [EGRESS],
    where: 'armor.yaml:18:9',
  };
  const before = desiredAllowlist(file, { policy: 'inference-policy', now: BEFORE });
  const now = desiredAllowlist(file, { policy: 'inference-policy', now: NOW });
  /** The policy as the file left it before anything expired. */
  const held = planAndApply(before, [DEFAULT_RULE]).rules;
  const p = policyPlan(now, held);
  const after = applyAllowlistSteps(held, p.plan.steps);
  const planned = plannedReport(p);

  it('the fixture: both entries expired, the contractor’s address is what this sync removes', () => {
    expect(before.expired).toEqual([]);
    expect(now.expired).toEqual([CONTRACTOR_ENTRY, OLD_EGRESS_ENTRY]);
    expect(planned.summary?.allowedRemoved).toEqual([CONTRACTOR]);
  });

  it('no expired entry: nothing to name, whatever the rules and the role', () => {
    const fresh = policyPlan(before, held, { role: 'last-applied' });
    expect(expiredNow(fresh, held, plannedReport(fresh))).toBeUndefined();
  });

  it('removed by this sync: named, no longer allowed; an expired address another entry still wants is not named', () => {
    expect(expiredNow(p, after, planned)).toEqual([{ ...CONTRACTOR_ENTRY, stillAllowed: false }]);
  });

  it('still let through (the sync stopped before its steps ran): named as still allowed', () => {
    expect(expiredNow(p, held, planned)).toEqual([{ ...CONTRACTOR_ENTRY, stillAllowed: true }]);
    expect(expiredNow(p, held, emptyPolicyReport(p.name))).toEqual([{ ...CONTRACTOR_ENTRY, stillAllowed: true }]);
  });

  it('any enforced allow rule counts, one outside the band too; a preview or deny rule does not', () => {
    const outside: PolicyRule = { ...allowRule(500, 'hand', [CONTRACTOR], false), description: 'hand-written' };
    expect(expiredNow(p, [outside, ...after], emptyPolicyReport(p.name))).toEqual([
      { ...CONTRACTOR_ENTRY, stillAllowed: true },
    ]);
    const preview = { ...outside, preview: true };
    expect(expiredNow(p, [preview, deny(600, [CONTRACTOR]), ...after], emptyPolicyReport(p.name))).toBeUndefined();
  });

  it('gone before this sync and not allowed: not named for a target', () => {
    const later = policyPlan(now, after);
    expect(later.plan.steps).toEqual([]);
    expect(expiredNow(later, after, plannedReport(later))).toBeUndefined();
    expect(expiredNow({ ...later, role: 'untargeted' }, after, plannedReport(later))).toBeUndefined();
  });

  it('a policy kept at its last applied file names every expired entry, the one still wanted too', () => {
    const later = policyPlan(now, after, { role: 'last-applied' });
    expect(expiredNow(later, after, plannedReport(later))).toEqual([
      { ...CONTRACTOR_ENTRY, stillAllowed: false },
      { ...OLD_EGRESS_ENTRY, stillAllowed: false },
    ]);
  });

  it('an entry only partly wanted elsewhere: the rest of it counts', () => {
    const wide: Allowlist = {
      ...file,
      lists: [
        {
          name: 'partners',
          policies: ['inference-policy'],
          preview: false,
          entries: [
            entry('198.51.100.0/25', { description: 'Partner A' }),
            entry(PARTNER, { description: 'Partner block', expires: new Date('2026-02-01T00:00:00Z') }),
          ],
        },
      ],
    };
    const wantNow = desiredAllowlist(wide, { policy: 'inference-policy', now: NOW });
    const rules = planAndApply(desiredAllowlist(wide, { policy: 'inference-policy', now: BEFORE }), [
      DEFAULT_RULE,
    ]).rules;
    const q = policyPlan(wantNow, rules);
    expect(expiredNow(q, rules, emptyPolicyReport(q.name))).toEqual([
      {
        list: 'partners',
        entry: PARTNER,
        description: 'Partner block',
        expires: '2026-02-01T00:00:00.000Z',
        cidrs: [PARTNER],
        where: 'armor.yaml:9:9',
        stillAllowed: true,
      },
    ]);
    const trimmed = [allowRule(1000, 'partners', ['198.51.100.0/25'], false), DEFAULT_RULE];
    expect(expiredNow(q, trimmed, emptyPolicyReport(q.name))).toBeUndefined();
  });
});

describe('stallBegan: when the newest generation a policy held stopped being live', () => {
  it('the newest by int64 order, not text order or insertion order', () => {
    const ended = new Map([
      ['10', '2026-01-10T00:00:00Z'],
      ['100', '2026-01-30T00:00:00Z'],
      ['9', '2026-01-09T00:00:00Z'],
    ]);
    expect(stallBegan(ended, '2026-02-01T00:00:00Z')).toBe('2026-01-30T00:00:00Z');
    const big = new Map([
      ['9007199254740993', '2026-01-02T00:00:00Z'],
      ['9007199254740992', '2026-01-01T00:00:00Z'],
    ]);
    expect(stallBegan(big, undefined)).toBe('2026-01-02T00:00:00Z');
    expect(stallBegan(new Map([...big].reverse()), undefined)).toBe('2026-01-02T00:00:00Z');
  });

  it('the newest one without a timeDeleted (it is the live one): the fallback, not an older one’s time', () => {
    const ended = new Map<string, string | undefined>([
      ['20', undefined],
      ['10', '2026-01-10T00:00:00Z'],
    ]);
    expect(stallBegan(ended, '2026-02-01T00:00:00Z')).toBe('2026-02-01T00:00:00Z');
    expect(stallBegan(ended, undefined)).toBeUndefined();
  });

  it('nothing read: the fallback, or nothing', () => {
    expect(stallBegan(new Map(), '2026-02-01T00:00:00Z')).toBe('2026-02-01T00:00:00Z');
    expect(stallBegan(new Map(), undefined)).toBeUndefined();
  });
});

describe('stallOf: which stall, since when, what fixes it', () => {
  const report = { source: 'gs://allowlists/armor.yaml#1700000000000002' };

  it('an invalid file: fix it and upload it again', () => {
    expect(stallOf(report, { kind: 'invalid-file', message: 'bad' }, '2026-02-01T00:00:00Z')).toEqual({
      source: 'gs://allowlists/armor.yaml#1700000000000002',
      kind: 'invalid-file',
      since: '2026-02-01T00:00:00Z',
      fix: 'fix the file (`netreflex validate` lists every problem) and upload it again',
    });
  });

  it('a missing file: upload it to its place again; no since when none is known', () => {
    const stall = stallOf(
      { source: 'gs://allowlists/armor.yaml' },
      { kind: 'missing-file', message: 'gone' },
      undefined,
    );
    expect(stall).toEqual({
      source: 'gs://allowlists/armor.yaml',
      kind: 'missing-file',
      fix: 'upload the allowlist to gs://allowlists/armor.yaml again',
    });
    expect('since' in stall).toBe(false);
  });

  it('a refused file: the refusal’s own message says what to do', () => {
    const message = 'This sync needs 210 security policy rules …; raise the quota';
    expect(stallOf(report, { kind: 'quota', message }, '')).toEqual({
      source: 'gs://allowlists/armor.yaml#1700000000000002',
      kind: 'quota',
      fix: message,
    });
  });
});
