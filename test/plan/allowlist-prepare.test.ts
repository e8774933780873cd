/**
 * What an allowlist sync decides without reading anything (shared/plan/allowlist-prepare.ts): the
 * rule counts, the policies the file stopped targeting and what it wants there, a prepared policy,
 * the checked quota, the file capped by the kernel's policy, and every report, refusal and message
 * the sync writes — field by field, in the order a report's JSON lists them.
 */
import { describe, expect, it } from 'vitest';
import {
  capMode,
  cappedModeWarning,
  checkedQuota,
  fileReport,
  invalidFileRefusal,
  lastAppliedFile,
  lastAppliedRefusedWarning,
  lostReport,
  missingFileRefusal,
  missingFileReport,
  missingPolicy,
  noFileReport,
  preparedPolicy,
  refusedReport,
  reportBase,
  ruleCounts,
  safetyRefusal,
  staleReport,
  stalledReport,
  supersededReport,
  untargeted,
  untargetedDesired,
  untargetedKeptWarning,
  untargetedPlan,
} from '../../shared/plan/allowlist-prepare.js';
import { SOURCE_LABEL } from '../../shared/plan/allowlist-claim.js';
import { planAllowlist, type AllowlistPlan, type PolicyRule } from '../../shared/plan/allowlist.js';
import type { Replan } from '../../shared/plan/allowlist-verify.js';
import type { AllowlistReport, Refusal } from '../../shared/plan/allowlist-report.js';
import type { SecurityPolicy } from '../../shared/gcp/security-policies.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { parseAllowlist } from '../../shared/allowlist/parse.js';
import type { Problem } from '../../shared/allowlist/problems.js';
import { DEFAULT_RULE, allowlistOf, desired, planAndApply } from '../allowlist/helpers.js';

const PARTNER = '198.51.100.0/24';
const SOURCE = 'a1b2c3d4e5f60718';
const URL = 'gs://allowlists/allowlist.yaml';

const YAML = `
version: 1
policies: [inference-policy]
lists:
  partners:
    entries:
      - { cidr: ${PARTNER}, description: partner A }
`;
const FILE = allowlistOf(YAML);

function securityPolicy(name: string, rules: PolicyRule[] = [DEFAULT_RULE], labels?: Record<string, string>) {
  return { name, fingerprint: 'f', rules, ...(labels ? { labels } : {}) } as SecurityPolicy;
}

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('nothing was thrown');
}

describe('ruleCounts: what each policy counts against the project quota', () => {
  it('every rule, and those matched by an advanced expression apart; a policy read without rules counts none', () => {
    const cel: PolicyRule = { priority: 10, action: 'deny(403)', match: { expr: { expression: 'true' } } };
    const emptyExpr: PolicyRule = { priority: 11, action: 'deny(403)', match: { expr: {} } };
    const noMatch: PolicyRule = { priority: 12, action: 'allow' };
    expect(
      ruleCounts([
        securityPolicy('inference-policy', [cel, DEFAULT_RULE, emptyExpr, noMatch]),
        securityPolicy('plain'),
        { name: 'bare' } as SecurityPolicy,
      ]),
    ).toStrictEqual([
      { policy: 'inference-policy', rules: 4, advanced: 2 },
      { policy: 'plain', rules: 1, advanced: 0 },
      { policy: 'bare', rules: 0, advanced: 0 },
    ]);
    expect(ruleCounts([])).toStrictEqual([]);
  });
});

describe('untargeted: the policies an earlier file of this object was applied to', () => {
  it('those carrying this source label that the file no longer targets, in the order listed', () => {
    const ours = (name: string) => securityPolicy(name, [DEFAULT_RULE], { [SOURCE_LABEL]: SOURCE });
    const dropped = ours('dropped');
    const alsoDropped = ours('also-dropped');
    const policies = [
      ours('inference-policy'),
      dropped,
      securityPolicy('theirs', [DEFAULT_RULE], { [SOURCE_LABEL]: 'ffffffffffffffff' }),
      securityPolicy('unlabelled'),
      alsoDropped,
    ];
    const found = untargeted(policies, FILE, SOURCE);
    expect(found.map((p) => p.name)).toEqual(['dropped', 'also-dropped']);
    expect(found[0]).toBe(dropped);
    expect(found[1]).toBe(alsoDropped);
    expect(untargeted(policies, FILE, 'other')).toEqual([]);
  });
});

describe('a policy the file stopped targeting', () => {
  it('upsert-only keeps its rules and says how to remove them', () => {
    expect(untargetedKeptWarning('old-policy')).toBe(
      'security policy old-policy is no longer targeted by the file; mode upsert-only keeps its rules ' +
        '(remove them by hand, or sync once with mode: sync)',
    );
  });

  it('wants nothing there, under the file mode, band and safety rules', () => {
    const want = untargetedDesired('old-policy', FILE);
    expect(want).toStrictEqual({
      policy: 'old-policy',
      mode: 'sync',
      priorities: FILE.priorities,
      safety: FILE.safety,
      lists: [],
      expiredEntries: 0,
      expired: [],
      expiredCidrs: [],
    });
    expect(Object.keys(want)).toEqual([
      'policy',
      'mode',
      'priorities',
      'safety',
      'lists',
      'expiredEntries',
      'expired',
      'expiredCidrs',
    ]);
    expect(untargetedDesired('old-policy', { ...FILE, mode: 'upsert-only' }).mode).toBe('upsert-only');
  });

  it('its plan removes the rules when the removal share lets it', () => {
    const { rules } = planAndApply(desired({ partners: [PARTNER] }), [DEFAULT_RULE]);
    const want = untargetedDesired('inference-policy', FILE);
    const replan: Replan = (r) => planAllowlist(want, r, { force: true });
    const plan = untargetedPlan(replan, securityPolicy('inference-policy', rules));
    expect(plan.steps.map((s) => s.kind)).toEqual(['removeRule']);
  });

  it('a refusal of that plan says the file no longer targets the policy, same kind and details', () => {
    const { rules } = planAndApply(desired({ partners: [PARTNER] }), [DEFAULT_RULE]);
    const want = untargetedDesired('inference-policy', FILE);
    const err = thrown(() =>
      untargetedPlan((r) => planAllowlist(want, r), securityPolicy('inference-policy', rules)),
    ) as AllowlistSafetyError;
    expect(err).toBeInstanceOf(AllowlistSafetyError);
    expect(err.refusal).toBe('removal-share');
    expect(err.message).toMatch(
      /^The file no longer targets security policy inference-policy, so its netreflex rules would go: \S/,
    );
    // Each detail of the planner's refusal is listed once under it.
    expect(err.details.length).toBeGreaterThan(0);
    expect(err.message.split('\n')).toHaveLength(1 + err.details.length);

    const inner = new AllowlistSafetyError('band-full', 'no room', ['one more rule']);
    const rethrown = thrown(() =>
      untargetedPlan(() => {
        throw inner;
      }, securityPolicy('old-policy')),
    ) as AllowlistSafetyError;
    expect(rethrown).not.toBe(inner);
    expect(rethrown.refusal).toBe('band-full');
    expect(rethrown.details).toEqual(['one more rule']);
    // The details are listed once, under the re-worded message.
    expect(rethrown.message).toBe(
      'The file no longer targets security policy old-policy, so its netreflex rules would go: no room\n' +
        '  - one more rule',
    );
    expect(rethrown.headline).toBe(
      'The file no longer targets security policy old-policy, so its netreflex rules would go: no room',
    );
  });

  it('anything else the planner throws goes through as it is', () => {
    const bug = new Error('a bug');
    expect(
      thrown(() =>
        untargetedPlan(() => {
          throw bug;
        }, securityPolicy('old-policy')),
      ),
    ).toBe(bug);
  });
});

describe('checkedQuota: the project rule count along the prepared plans', () => {
  const counts = [
    { policy: 'inference-policy', rules: 1, advanced: 0 },
    { policy: 'other', rules: 3, advanced: 1 },
  ];
  const plan = planAllowlist(desired({ partners: [PARTNER] }), [DEFAULT_RULE]);

  it('a peak at the budget passes, with each policy after the sync', () => {
    expect(checkedQuota(counts, [{ name: 'inference-policy', plan }], { project: 'proj-a', budget: 5 })).toStrictEqual({
      budget: 5,
      now: 4,
      advanced: 1,
      peak: 5,
      after: 5,
      policies: [
        { policy: 'inference-policy', rules: 1, advanced: 0, after: 2 },
        { policy: 'other', rules: 3, advanced: 1, after: 3 },
      ],
    });
  });

  it('a peak over it refuses the sync, naming the project and the policies that grow', () => {
    const err = thrown(() =>
      checkedQuota(counts, [{ name: 'inference-policy', plan }], { project: 'proj-a', budget: 4 }),
    ) as AllowlistSafetyError;
    expect(err.refusal).toBe('quota');
    expect(err.message).toMatch(/^This sync needs 5 security policy rules in project proj-a at its peak/);
    expect(err.details).toEqual(['inference-policy: 1 → 2 rules']);
  });
});

describe('preparedPolicy: one policy sync as prepared', () => {
  const policy = securityPolicy('inference-policy');
  const want = desired({ partners: [PARTNER] });

  it('plans on the rules observed when no plan is given, and claims the generation', () => {
    const seen: (readonly PolicyRule[])[] = [];
    const planned = planAllowlist(want, [DEFAULT_RULE]);
    const replan: Replan = (rules) => {
      seen.push(rules);
      return planned;
    };
    const p = preparedPolicy(policy, 'target', want, replan, '1700000000000001', 'generation');
    expect(seen).toEqual([policy.rules]);
    expect(seen[0]).toBe(policy.rules);
    expect(p).toStrictEqual({
      name: 'inference-policy',
      role: 'target',
      policy,
      desired: want,
      plan: planned,
      replan,
      generation: '1700000000000001',
      record: 'generation',
    });
    expect(Object.keys(p)).toEqual(['name', 'role', 'policy', 'desired', 'plan', 'replan', 'generation', 'record']);
  });

  it('takes the plan given, and names no generation without one', () => {
    const replan: Replan = () => {
      throw new Error('not called');
    };
    const plan = { policy: 'inference-policy', mode: 'sync', steps: [], summary: {} } as unknown as AllowlistPlan;
    const p = preparedPolicy(policy, 'untargeted', want, replan, undefined, 'release', plan);
    expect(p).toStrictEqual({
      name: 'inference-policy',
      role: 'untargeted',
      policy,
      desired: want,
      plan,
      replan,
      record: 'release',
    });
    expect('generation' in preparedPolicy(policy, 'last-applied', want, replan, '', 'none', plan)).toBe(false);
  });
});

describe('missingPolicy: a target the project does not have', () => {
  it('refuses the upload and says where to create the policy', () => {
    const err = missingPolicy('inference-policy', 'proj-a');
    expect(err).toBeInstanceOf(AllowlistSafetyError);
    expect(err.refusal).toBe('missing-policy');
    expect(err.details).toEqual([]);
    expect(err.message).toBe(
      'Security policy inference-policy does not exist in project proj-a; nothing was changed. Create it ' +
        '(terraform-bootstrap/armor.tf) or fix `policies` in the file.',
    );
  });
});

describe('capMode and its warning: the file under the kernel policy', () => {
  const upsert = { ...FILE, mode: 'upsert-only' as const };

  it('upsert-only makes a sync file upsert-only, nothing else changed', () => {
    const capped = capMode(FILE, 'upsert-only');
    expect(capped).toStrictEqual(upsert);
    expect(FILE.mode).toBe('sync');
    expect(cappedModeWarning('upsert-only', FILE, URL)).toBe(
      `NETREFLEX_ALLOWLIST_POLICY=upsert-only: ${URL} (mode sync) is applied as mode upsert-only, so nothing is removed`,
    );
  });

  it('an upsert-only file, or another policy, leaves the file as it is and warns of nothing', () => {
    expect(capMode(upsert, 'upsert-only')).toBe(upsert);
    expect(capMode(FILE, 'sync')).toBe(FILE);
    expect(capMode(FILE, 'dry-run')).toBe(FILE);
    expect(cappedModeWarning('upsert-only', upsert, URL)).toBeUndefined();
    expect(cappedModeWarning('sync', FILE, URL)).toBeUndefined();
    expect(cappedModeWarning('dry-run', FILE, URL)).toBeUndefined();
  });
});

describe('the reports of the file', () => {
  it('every report starts with nothing done, in fresh lists', () => {
    const base = reportBase(true);
    expect(base).toStrictEqual({
      dryRun: true,
      reasons: [],
      warnings: [],
      results: [],
      policies: [],
      mutations: 0,
      retry: false,
    });
    expect(Object.keys(base)).toEqual(['dryRun', 'reasons', 'warnings', 'results', 'policies', 'mutations', 'retry']);
    expect(reportBase(false).dryRun).toBe(false);
    expect(reportBase(false).warnings).not.toBe(reportBase(false).warnings);
  });

  it('an event of a superseded generation is ignored: the newer upload is applied', () => {
    const report = supersededReport(reportBase(false), URL, '1700000000000001', '1700000000000002');
    expect(report).toStrictEqual({
      ...reportBase(false),
      status: 'ignored',
      source: `${URL}#1700000000000001`,
      generation: '1700000000000001',
      why: 'generation 1700000000000001 is superseded by live generation 1700000000000002; that upload is applied instead',
    });
    expect(Object.keys(report).slice(-4)).toEqual(['status', 'source', 'generation', 'why']);
  });

  it('a missing object is refused while a policy holds a file of it, else ignored', () => {
    const base = reportBase(false);
    const refusal = missingFileRefusal(URL);
    expect(refusal).toStrictEqual({
      kind: 'missing-file',
      message:
        `There is no allowlist object at ${URL}; the policies keep the last file they hold, whose ` +
        `entries still leave when they expire. Upload the allowlist again (or restore its last generation).`,
    });
    const refused = missingFileReport(base, URL, refusal);
    expect(refused).toStrictEqual({ ...reportBase(false), status: 'refused', source: URL, refusal });
    expect(Object.keys(refused).slice(-3)).toEqual(['status', 'source', 'refusal']);
    // The lists are the base's: what the sync of the last applied file adds stays in both reports.
    expect(refused.warnings).toBe(base.warnings);
    const ignored = noFileReport(base, URL);
    expect(ignored).toStrictEqual({
      ...reportBase(false),
      status: 'ignored',
      source: URL,
      why: `no allowlist object at ${URL}; upload one (nothing was changed)`,
    });
    expect(Object.keys(ignored).slice(-3)).toEqual(['status', 'source', 'why']);
    expect(ignored.warnings).toBe(base.warnings);
  });

  it('a file read starts unchanged, with its generation when it has one', () => {
    const read = fileReport(reportBase(false), { source: `${URL}#7`, generation: '7' });
    expect(read).toStrictEqual({ ...reportBase(false), status: 'unchanged', source: `${URL}#7`, generation: '7' });
    expect(Object.keys(read).slice(-3)).toEqual(['status', 'source', 'generation']);
    const local = fileReport(reportBase(true), { source: 'allowlist.yaml' });
    expect(local).toStrictEqual({ ...reportBase(true), status: 'unchanged', source: 'allowlist.yaml' });
    expect('generation' in fileReport(reportBase(true), { source: 'allowlist.yaml', generation: '' })).toBe(false);
  });

  it('an invalid file is refused with every problem, located', () => {
    const problems: Problem[] = [
      {
        severity: 'error',
        message: 'is not a CIDR',
        path: 'lists.partners.entries[0].cidr',
        line: 6,
        column: 9,
        source: 'f.yaml',
      },
      { severity: 'error', message: 'version must be 1', path: '', line: 1, column: 1, source: 'f.yaml' },
    ];
    expect(invalidFileRefusal('f.yaml', problems)).toStrictEqual({
      kind: 'invalid-file',
      message:
        'The allowlist f.yaml is invalid; nothing was changed. Fix these problems (run `netreflex validate` locally):\n' +
        '  - f.yaml:6:9: lists.partners.entries[0].cidr: is not a CIDR\n' +
        '  - f.yaml:1:1: version must be 1',
      problems: ['f.yaml:6:9: lists.partners.entries[0].cidr: is not a CIDR', 'f.yaml:1:1: version must be 1'],
    });
  });

  it('a safety refusal keeps its kind and its message, details included', () => {
    const refusal = safetyRefusal(new AllowlistSafetyError('world-open', 'too wide', ['0.0.0.0/0']));
    expect(refusal).toStrictEqual({ kind: 'world-open', message: 'too wide\n  - 0.0.0.0/0' });
  });

  it('a refused file keeps everything of its report and says why', () => {
    const report: AllowlistReport = { ...fileReport(reportBase(false), { source: URL, generation: '7' }) };
    report.warnings.push('a warning');
    const refusal: Refusal = { kind: 'quota', message: 'over budget' };
    const refused = refusedReport(report, refusal);
    expect(refused).toStrictEqual({ ...report, status: 'refused', refusal });
    expect(Object.keys(refused).at(-1)).toBe('refusal');
    expect(report.status).toBe('unchanged');
  });
});

describe('the reports of the policies', () => {
  it('a stale policy is left alone, naming the newer generation', () => {
    const report = staleReport({ name: 'inference-policy', generation: '9' }, '7');
    expect(report).toStrictEqual({
      policy: 'inference-policy',
      status: 'stale',
      role: 'target',
      steps: [],
      results: [],
      mutations: 0,
      passes: 0,
      reason:
        'generation 7 is older than generation 9, already applied to or being applied to inference-policy; ignored',
    });
    expect(Object.keys(report)).toEqual([
      'policy',
      'status',
      'role',
      'steps',
      'results',
      'mutations',
      'passes',
      'reason',
    ]);
  });

  it('a policy whose expired entries cannot be removed is refused, with the generation it holds', () => {
    const report = lostReport({ name: 'inference-policy', generation: '7', why: 'it is gone' });
    expect(report).toStrictEqual({
      policy: 'inference-policy',
      status: 'refused',
      role: 'last-applied',
      steps: [],
      results: [],
      mutations: 0,
      passes: 0,
      holds: '7',
      reason: 'expired entries cannot be removed from inference-policy: it is gone',
    });
    expect(Object.keys(report).slice(-2)).toEqual(['holds', 'reason']);
    const unlabelled = lostReport({ name: 'p', why: 'it carries no verified generation label' });
    expect('holds' in unlabelled).toBe(false);
    expect(unlabelled.reason).toBe('expired entries cannot be removed from p: it carries no verified generation label');
    expect('holds' in lostReport({ name: 'p', generation: '', why: 'w' })).toBe(false);
  });
});

describe('the last applied file', () => {
  const bytes = new TextEncoder().encode(YAML);
  const source = `${URL}#7`;

  it('is gone from the bucket: say so, and how to bring it back', () => {
    expect(lastAppliedFile(undefined, URL, '7', 'sync')).toBe(
      `its last applied file ${URL}#7 is no longer in the bucket (is object versioning on? were noncurrent ` +
        `versions deleted?); restore the file or upload a new one`,
    );
  });

  it('no longer parses, or is too large: upload a valid one', () => {
    const invalid = `its last applied file ${source} no longer parses; upload a valid allowlist`;
    expect(lastAppliedFile({ source, bytes: new TextEncoder().encode('version: 2\n') }, URL, '7', 'sync')).toBe(
      invalid,
    );
    const tooLarge: Problem = { severity: 'error', message: 'too large', path: '', line: 1, column: 1, source };
    expect(lastAppliedFile({ source, bytes, tooLarge }, URL, '7', 'sync')).toBe(invalid);
  });

  it('parses: the file as the sync plans it, capped under upsert-only', () => {
    const parsed = parseAllowlist(YAML, source);
    if (!parsed.ok) throw new Error('the fixture parses');
    expect(lastAppliedFile({ source, bytes }, URL, '7', 'sync')).toStrictEqual(parsed.allowlist);
    expect(lastAppliedFile({ source, bytes }, URL, '7', 'upsert-only')).toStrictEqual({
      ...parsed.allowlist,
      mode: 'upsert-only',
    });
  });

  it('its revocations refused too: a warning', () => {
    expect(lastAppliedRefusedWarning('over budget')).toBe(
      'the revocations of the last applied file are refused too: over budget',
    );
  });

  it('the stall: its refusal, since when the last applied generation stopped being live, and the fix', () => {
    const report = missingFileReport(reportBase(false), URL, missingFileRefusal(URL));
    const refusal = report.refusal!;
    const ended = new Map([
      ['7', '2026-12-01T00:00:00Z'],
      ['9', '2026-12-02T00:00:00Z'],
    ]);
    const stalled = stalledReport(report, refusal, ended, '2026-11-30T00:00:00Z');
    expect(stalled).toStrictEqual({
      ...report,
      stall: {
        source: URL,
        kind: 'missing-file',
        since: '2026-12-02T00:00:00Z',
        fix: `upload the allowlist to ${URL} again`,
      },
    });
    expect(Object.keys(stalled).at(-1)).toBe('stall');
    expect(stalledReport(report, refusal, new Map(), '2026-11-30T00:00:00Z').stall?.since).toBe('2026-11-30T00:00:00Z');
  });
});
