/**
 * The one-line story of an allowlist sync (shared/plan/allowlist-describe.ts), as the function
 * logs it and the CLI prints it last: a refused file, a sync with a why, and the normal line with
 * each policy's role, counts, held generation, expired entries, verify and overruled verdicts.
 */
import { describe, expect, it } from 'vitest';
import { describeReport } from '../../shared/plan/allowlist-describe.js';
import {
  dryRunReport,
  emptyPolicyReport,
  envelope,
  plannedReport,
  type AllowlistReport,
  type PolicyPlan,
  type PolicyReport,
} from '../../shared/plan/allowlist-report.js';
import { planAllowlist, type DesiredAllowlist, type PolicyRule } from '../../shared/plan/allowlist.js';
import { DEFAULT_RULE, desired, hosts, planAndApply } from '../allowlist/helpers.js';

const SOURCE = 'gs://allowlists/armor.yaml#1700000000000002';
const EGRESS = '203.0.113.5/32';
const PARTNER = '198.51.100.0/24';

function policyPlan(want: DesiredAllowlist, rules: readonly PolicyRule[], name = 'edge'): PolicyPlan {
  return {
    name,
    role: 'target',
    policy: { rules: [...rules] },
    desired: want,
    plan: planAllowlist(want, rules),
    replan: (r) => planAllowlist(want, r, { force: true }),
  };
}

function report(policies: PolicyReport[], extra: Partial<AllowlistReport> = {}): AllowlistReport {
  return envelope({
    status: 'unchanged',
    source: SOURCE,
    dryRun: false,
    reasons: [],
    warnings: [],
    results: [],
    mutations: 0,
    retry: false,
    policies,
    ...extra,
  });
}

const unchanged = (name: string, extra: Partial<PolicyReport> = {}): PolicyReport => ({
  ...emptyPolicyReport(name),
  ...extra,
});

describe('describeReport: the normal line', () => {
  it('a sync that applied a plan: status, source, the policy with its counts and held generation, the mutations', () => {
    // Two lists on a policy holding only one of them, a third range dropped: one rule added, one patched.
    const want = desired({ egress: [EGRESS], partners: [PARTNER] });
    const held = planAndApply(desired({ egress: [EGRESS, '192.0.2.1/32'] }), [DEFAULT_RULE]).rules;
    const planned = plannedReport(policyPlan(want, held));
    const done: PolicyReport = { ...planned, status: 'ok', holds: '1700000000000002', mutations: 3 };
    expect(describeReport(report([done]))).toBe(
      `ok: ${SOURCE}: edge ok (+1 ~1 -0 rules; allows +1 -1 ranges) holds #1700000000000002; 3 mutations`,
    );
  });

  it('a policy removed from: the removal counts', () => {
    // 3 of 7 addresses go: within the removal share.
    const held = planAndApply(desired({ egress: hosts(4, 50), partners: hosts(3) }), [DEFAULT_RULE]).rules;
    const planned = plannedReport(policyPlan(desired({ egress: hosts(4, 50) }), held));
    expect(describeReport(report([{ ...planned, status: 'ok', mutations: 1 }]))).toBe(
      `ok: ${SOURCE}: edge ok (+0 ~0 -1 rules; allows +0 -3 ranges); 1 mutations`,
    );
  });

  it('several policies, each with its role, joined by semicolons; no summary, no counts', () => {
    const policies = [
      unchanged('edge'),
      unchanged('old-edge', { role: 'untargeted', status: 'ok', mutations: 1 }),
      unchanged('api', { role: 'last-applied', holds: '17' }),
    ];
    expect(describeReport(report(policies))).toBe(
      `ok: ${SOURCE}: edge unchanged; old-edge (no longer targeted) ok; api (kept at its last applied file) unchanged holds #17; 1 mutations`,
    );
  });

  it('no policy targeted', () => {
    expect(describeReport(report([]))).toBe(`unchanged: ${SOURCE}: no policy targeted; 0 mutations`);
  });

  it('a dry run says so, and the project’s rule count against the budget when the sync got that far', () => {
    const want = desired({ egress: [EGRESS] });
    const p = dryRunReport(policyPlan(want, [DEFAULT_RULE]));
    const quota = { budget: 200, now: 12, advanced: 1, peak: 14, after: 13, policies: [] };
    expect(describeReport(report([p], { dryRun: true, quota }))).toBe(
      `planned: ${SOURCE} (dry run): edge planned (+1 ~0 -0 rules; allows +1 -0 ranges); 0 mutations; project rules 12 → 13 (peak 14) of 200`,
    );
  });

  it('a policy with a reason: after everything else, behind a colon', () => {
    const failed = unchanged('edge', {
      status: 'failed',
      reason: 'addRule 1000 failed: 503 backend error',
      retry: true,
    });
    expect(describeReport(report([failed]))).toBe(
      `failed: ${SOURCE}: edge failed: addRule 1000 failed: 503 backend error; 0 mutations`,
    );
  });
});

describe('describeReport: expired entries', () => {
  const expired = {
    list: 'partners',
    entry: '198.51.100.200',
    description: 'Partner B',
    expires: '2030-03-31T00:00:00.000Z',
    cidrs: ['198.51.100.200/32'],
    where: 'armor.yaml:14:9',
  };

  it('each by its path, or where it is when it has none; removed or STILL ALLOWED', () => {
    const p = unchanged('edge', {
      status: 'ok',
      expired: [
        { ...expired, path: 'lists.partners.entries[2]', stillAllowed: false },
        { ...expired, entry: 'cloudNat nat-router/nat-egress', description: 'pipelines', stillAllowed: true },
      ],
    });
    expect(describeReport(report([p]))).toBe(
      `ok: ${SOURCE}: edge ok; expired: lists.partners.entries[2] 198.51.100.200 (Partner B) expired 2030-03-31T00:00:00.000Z, removed; armor.yaml:14:9 cloudNat nat-router/nat-egress (pipelines) expired 2030-03-31T00:00:00.000Z, STILL ALLOWED; 0 mutations`,
    );
  });

  it('an empty list of expired entries says nothing', () => {
    expect(describeReport(report([unchanged('edge', { expired: [] })]))).toBe(
      `unchanged: ${SOURCE}: edge unchanged; 0 mutations`,
    );
  });
});

describe('describeReport: verify', () => {
  const verified = { converged: true, missing: [], extra: [], overruled: [] };

  it('a converged verify says nothing', () => {
    expect(describeReport(report([unchanged('edge', { status: 'ok', verify: verified })]))).toBe(
      `ok: ${SOURCE}: edge ok; 0 mutations`,
    );
  });

  it('NOT verified, with what is missing and the problem when there are', () => {
    const line = (verify: PolicyReport['verify']) =>
      describeReport(report([unchanged('edge', { status: 'degraded', verify })]));
    expect(line({ ...verified, converged: false })).toBe(
      `degraded: ${SOURCE}: edge degraded; NOT verified; 0 mutations`,
    );
    expect(line({ ...verified, converged: false, missing: [EGRESS, PARTNER] })).toBe(
      `degraded: ${SOURCE}: edge degraded; NOT verified, missing ${EGRESS}, ${PARTNER}; 0 mutations`,
    );
    expect(line({ ...verified, converged: false, problem: 'band-full: no free priority' })).toBe(
      `degraded: ${SOURCE}: edge degraded; NOT verified, band-full: no free priority; 0 mutations`,
    );
    expect(line({ ...verified, converged: false, missing: [EGRESS], problem: 'quota' })).toBe(
      `degraded: ${SOURCE}: edge degraded; NOT verified, missing ${EGRESS}, quota; 0 mutations`,
    );
  });

  it('overruled by rules ahead: each verdict, then the degraded reason (a dry run of a deny ahead)', () => {
    const deny: PolicyRule = {
      priority: 500,
      action: 'deny(403)',
      description: 'hand-written block',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.0/25', '198.51.100.128/26'] } },
    };
    const p = dryRunReport(policyPlan(desired({ partners: [PARTNER] }), [deny, DEFAULT_RULE]));
    expect(describeReport(report([p], { dryRun: true }))).toBe(
      `degraded: ${SOURCE} (dry run): edge degraded (+1 ~0 -0 rules; allows +1 -0 ranges)` +
        '; overruled by rules ahead: 198.51.100.0/25: denied by rule 500 (deny(403)); 198.51.100.128/26: denied by rule 500 (deny(403))' +
        ': rules ahead of the allow rules of edge decide addresses the file allows (198.51.100.0/25: denied by rule 500 (deny(403)); 198.51.100.128/26: denied by rule 500 (deny(403))); netreflex does not change rules outside its band: move them after the allowlist (a priority number above 1999) or narrow them, or remove the entries from the file' +
        '; 0 mutations',
    );
  });

  it('a verify that is neither converged nor clear: NOT verified, then overruled, in that order', () => {
    const verify = {
      converged: false,
      missing: [EGRESS],
      extra: [],
      overruled: [`${EGRESS}: denied by rule 2147483647 (deny(403))`],
    };
    expect(describeReport(report([unchanged('edge', { status: 'degraded', verify })]))).toBe(
      `degraded: ${SOURCE}: edge degraded; NOT verified, missing ${EGRESS}; overruled by rules ahead: ${EGRESS}: denied by rule 2147483647 (deny(403)); 0 mutations`,
    );
  });
});

describe('describeReport: a refused file and a sync with a why', () => {
  const refusal = { kind: 'invalid-file' as const, message: 'armor.yaml is not a valid allowlist: 2 problems.' };

  it('refused with no policy kept: the policies are unchanged', () => {
    expect(describeReport(report([], { status: 'refused', refusal }))).toBe(
      `refused ${SOURCE} (invalid-file); nothing of it is applied. armor.yaml is not a valid allowlist: 2 problems. The policies are unchanged.`,
    );
  });

  it('refused while policies are kept at their last applied file: what they did meanwhile, and the mutations', () => {
    const kept = unchanged('edge', {
      role: 'last-applied',
      status: 'ok',
      holds: '1700000000000001',
      mutations: 1,
      expired: [
        {
          list: 'partners',
          entry: '192.0.2.10',
          description: 'Contractor',
          expires: '2026-02-01T00:00:00.000Z',
          cidrs: ['192.0.2.10/32'],
          where: 'armor.yaml:14:9',
          path: 'lists.partners.entries[1]',
          stillAllowed: false,
        },
      ],
    });
    const api = unchanged('api', {
      role: 'last-applied',
      status: 'refused',
      reason: 'expired entries cannot be removed from api: gone',
    });
    expect(describeReport(report([kept, api], { status: 'refused', refusal, why: 'not shown' }))).toBe(
      `refused ${SOURCE} (invalid-file); nothing of it is applied. armor.yaml is not a valid allowlist: 2 problems. Meanwhile: ` +
        'edge (kept at its last applied file) ok holds #1700000000000001; expired: lists.partners.entries[1] 192.0.2.10 (Contractor) expired 2026-02-01T00:00:00.000Z, removed; ' +
        'api (kept at its last applied file) refused: expired entries cannot be removed from api: gone; 1 mutations.',
    );
  });

  it('a why replaces the line: the status and why', () => {
    const why = 'generation 1 is superseded by live generation 2; that upload is applied instead';
    expect(describeReport(report([], { status: 'ignored', why }))).toBe(`ignored: ${why}`);
  });

  it('a refusal on a report that is not refused does not tell the refusal’s story', () => {
    const missing = { kind: 'missing-file' as const, message: 'There is no allowlist object' };
    expect(describeReport(report([], { status: 'ignored', refusal: missing, why: 'no allowlist object' }))).toBe(
      'ignored: no allowlist object',
    );
  });

  it('refused without a refusal (a refused policy) is a normal line, or its why', () => {
    const refused = unchanged('edge', { status: 'refused', reason: 'ownership conflict' });
    expect(describeReport(report([refused]))).toBe(`refused: ${SOURCE}: edge refused: ownership conflict; 0 mutations`);
    expect(describeReport(report([], { status: 'refused', why: 'the band is full' }))).toBe(
      'refused: the band is full',
    );
  });
});
