/**
 * One policy's sync under its claim, its pure decisions (shared/plan/allowlist-sync.ts): whether the
 * labels need a write, the plan on a look, when a converging sync gives up on a failed step, and how
 * the run it ended with is judged — stale, superseded, failed, refused, degraded, or recorded.
 */
import { describe, expect, it } from 'vitest';
import {
  afterApply,
  endedMidApply,
  judgeLook,
  labelsBehind,
  planUnderClaim,
  readBack,
  recordedReport,
  replan,
  outclaimedReport,
  superseded,
  type Planned,
} from '../../shared/plan/allowlist-sync.js';
import { CLAIM_LABEL, GENERATION_LABEL, RUN_LABEL, SOURCE_LABEL } from '../../shared/plan/allowlist-claim.js';
import { emptyPolicyReport, type PolicyReport } from '../../shared/plan/allowlist-report.js';
import type { StepSummary } from '../../shared/plan/allowlist-steps.js';
import type { Replan } from '../../shared/plan/allowlist-verify.js';
import { planAllowlist, type PolicyRule } from '../../shared/plan/allowlist.js';
import type { Applied, StepResult as KernelResult } from '../../shared/reconcile/apply.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { DEFAULT_RULE, desired, planAndApply } from '../allowlist/helpers.js';

const EGRESS = '203.0.113.5/32';
const GEN = '1700000000000002';
const SOURCE = 'a1b2c3d4e5f60718';
const RUN = 'r-0123456789ab';
const want = desired({ egress: [EGRESS] });
const policyReplan: Replan = (rules) => planAllowlist(want, rules, { force: true });
/** The policy holding the file already. */
const HOLDING = planAndApply(want, [DEFAULT_RULE]).rules;

const labelled = (labels: Record<string, string>, rules: readonly PolicyRule[] = [DEFAULT_RULE]) => ({
  labels,
  rules: [...rules],
});
const claimedBy = (run: string, rules?: readonly PolicyRule[]) =>
  labelled({ [CLAIM_LABEL]: GEN, [RUN_LABEL]: `${run}-1700000000` }, rules);

const summary = (kind: StepSummary['kind'], priority: number): StepSummary => ({
  kind,
  priority,
  list: 'egress',
  ranges: kind === 'removeRule' ? 0 : 1,
  added: [],
  removed: [],
});
const kernel = (
  kind: StepSummary['kind'],
  priority: number,
  outcome: Partial<KernelResult<StepSummary>> = {},
): KernelResult<StepSummary> => ({
  id: `0 ${kind}@${priority}`,
  kind,
  detail: summary(kind, priority),
  ok: true,
  ms: 5,
  ...outcome,
});
const report = (extra: Partial<PolicyReport> = {}): PolicyReport => ({
  ...emptyPolicyReport('edge'),
  passes: 3,
  ...extra,
});

describe('labelsBehind: whether a sync with no step still writes the labels', () => {
  const holds = labelled({ [GENERATION_LABEL]: GEN, [SOURCE_LABEL]: SOURCE });

  it('a generation sync: behind unless the labels name its generation and source', () => {
    const p = { record: 'generation', generation: GEN } as const;
    expect(labelsBehind(p, holds, SOURCE)).toBe(false);
    expect(labelsBehind(p, holds, 'ffffffffffffffff')).toBe(true);
    expect(labelsBehind({ ...p, generation: '1700000000000003' }, holds, SOURCE)).toBe(true);
    expect(labelsBehind(p, labelled({ [SOURCE_LABEL]: SOURCE }), SOURCE)).toBe(true);
    expect(labelsBehind(p, {}, SOURCE)).toBe(true);
  });

  it('a sync without a generation labels nothing, so is never behind', () => {
    expect(labelsBehind({ record: 'generation' }, {}, SOURCE)).toBe(false);
    expect(labelsBehind({ record: 'generation' }, labelled({ [SOURCE_LABEL]: 'other' }), SOURCE)).toBe(false);
  });

  it('a release: behind while any of netreflex’s labels is still on the policy', () => {
    const p = { record: 'release' } as const;
    expect(labelsBehind(p, {}, SOURCE)).toBe(false);
    expect(labelsBehind(p, labelled({ team: 'inference', 'x-netreflex-allowlist-run': 'r-1' }), SOURCE)).toBe(false);
    expect(labelsBehind(p, labelled({ team: 'inference', [RUN_LABEL]: 'not a run' }), SOURCE)).toBe(true);
    // A label that only starts like netreflex's is someone else's: a release leaves it, so it is never behind for it.
    expect(labelsBehind(p, labelled({ 'netreflex-allowlist-owner': 'security' }), SOURCE)).toBe(false);
    expect(labelsBehind(p, holds, SOURCE)).toBe(true);
  });

  it('a policy that records nothing is never behind', () => {
    expect(labelsBehind({ record: 'none', generation: GEN }, {}, SOURCE)).toBe(false);
    expect(labelsBehind({ record: 'none', generation: GEN }, holds, 'other')).toBe(false);
  });
});

describe('planUnderClaim and replan: the plan on a look', () => {
  it('still this run’s claim: the file’s plan on the rules read, from those very rules', () => {
    const policy = claimedBy(RUN);
    const planned = planUnderClaim({ replan: policyReplan }, policy, RUN);
    expect(planned).toEqual({ from: [DEFAULT_RULE], steps: policyReplan([DEFAULT_RULE]).steps });
    expect(planned.from).toBe(policy.rules);
    expect(planned.steps.map((s) => `${s.kind}@${s.priority}`)).toEqual(['addRule@1000']);
  });

  it('another run claimed it, or no run at all: nothing planned, superseded, the planner not asked', () => {
    const never: Replan = () => {
      throw new Error('not asked');
    };
    for (const policy of [claimedBy('r-ffff'), labelled({}), { rules: [DEFAULT_RULE] }]) {
      const planned = planUnderClaim({ replan: never }, policy, RUN);
      expect(planned).toEqual({ from: [DEFAULT_RULE], steps: [], superseded: true });
      expect(planned.from).toBe(policy.rules);
    }
  });

  it('the planner’s refusal is the plan’s reason; nothing planned', () => {
    const refuse: Replan = () => {
      throw new AllowlistSafetyError('band-full', 'The band is full', ['1000-1999']);
    };
    const policy = claimedBy(RUN);
    expect(planUnderClaim({ replan: refuse }, policy, RUN)).toEqual({
      from: [DEFAULT_RULE],
      steps: [],
      refused: 'The band is full\n  - 1000-1999',
    });
    expect(replan({ replan: refuse }, policy).from).toBe(policy.rules);
  });

  it('any other error is not a refusal: it is thrown on', () => {
    const broken: Replan = () => {
      throw new TypeError('bug');
    };
    expect(() => replan({ replan: broken }, { rules: [] })).toThrow(new TypeError('bug'));
  });

  it('a policy holding the file: an empty plan', () => {
    expect(replan({ replan: policyReplan }, { rules: HOLDING })).toEqual({ from: HOLDING, steps: [] });
  });
});

describe('outclaimedReport: a newer generation holds or claims the policy', () => {
  it('names the newer generation, this sync’s and the policy', () => {
    const stale = outclaimedReport(report(), '1700000000000009', { name: 'edge', generation: GEN });
    expect(stale).toEqual({
      ...report(),
      status: 'stale',
      reason:
        'generation 1700000000000009 is newer than 1700000000000002 and already holds or is being applied to edge; that sync finishes the job',
    });
    expect(Object.keys(stale)).toEqual([...Object.keys(report()), 'reason']);
  });

  it('a sync without a generation is “this file”', () => {
    expect(outclaimedReport(report(), '17', { name: 'edge' }).reason).toBe(
      'generation 17 is newer than this file and already holds or is being applied to edge; that sync finishes the job',
    );
  });
});

describe('afterApply: when a converging sync gives up on a failed step', () => {
  it('no step failed: plan again, nothing remembered', () => {
    expect(afterApply([kernel('addRule', 1000)], 2, { key: 'addRule@1000', apply: 1 })).toEqual({ gaveUp: false });
    expect(afterApply([], 1, undefined)).toEqual({ gaveUp: false });
  });

  it('a refused step is tried again on a fresh plan, and remembered as this apply’s failure', () => {
    const results = [
      kernel('addRule', 1000),
      kernel('patchRule', 1001, { ok: false, error: 'rule conflicts' }),
      kernel('removeRule', 1002, { ok: false, error: 'later' }),
    ];
    expect(afterApply(results, 2, undefined)).toEqual({ failure: { key: 'patchRule@1001', apply: 2 }, gaveUp: false });
  });

  it('a transient failure gives up (the event is retried)', () => {
    expect(afterApply([kernel('addRule', 1000, { ok: false, transient: true, error: '503' })], 1, undefined)).toEqual({
      failure: { key: 'addRule@1000', apply: 1 },
      gaveUp: true,
    });
    expect(afterApply([kernel('addRule', 1000, { ok: false, transient: false })], 1, undefined).gaveUp).toBe(false);
  });

  it('a quota refusal gives up: Cloud Armor says no', () => {
    const quota = "Quota 'SECURITY_POLICY_RULES' exceeded.  Limit: 200.0 globally.";
    expect(afterApply([kernel('addRule', 1000, { ok: false, error: quota })], 1, undefined)).toEqual({
      failure: { key: 'addRule@1000', apply: 1 },
      gaveUp: true,
    });
    expect(
      afterApply([kernel('addRule', 1000, { ok: false, error: "Quota 'rules' exceeded" })], 1, undefined).gaveUp,
    ).toBe(false);
    expect(afterApply([kernel('addRule', 1000, { ok: false })], 1, undefined).gaveUp).toBe(false);
  });

  it('the same step failing in two applies running gives up; a different step, or not the apply before, does not', () => {
    const failing = [kernel('addRule', 1000, { ok: false, error: 'refused' })];
    expect(afterApply(failing, 3, { key: 'addRule@1000', apply: 2 })).toEqual({
      failure: { key: 'addRule@1000', apply: 3 },
      gaveUp: true,
    });
    expect(afterApply(failing, 3, { key: 'addRule@1000', apply: 1 }).gaveUp).toBe(false);
    expect(afterApply(failing, 3, { key: 'addRule@1001', apply: 2 }).gaveUp).toBe(false);
    expect(afterApply(failing, 3, { key: 'patchRule@1000', apply: 2 }).gaveUp).toBe(false);
    expect(afterApply(failing, 3, undefined).gaveUp).toBe(false);
  });
});

describe('endedMidApply: a run that ended before a look', () => {
  const done = report({ mutations: 2 });
  const applied = (results: KernelResult<StepSummary>[], stopped?: Applied<StepSummary>['stopped']) => ({
    results,
    held: [],
    ...(stopped ? { stopped } : {}),
  });

  it('the guard stopped it for a newer claim: superseded, whatever failed', () => {
    const stop = applied([kernel('addRule', 1000, { ok: false, transient: true })], {
      kind: 'stop',
      why: 'a newer sync claimed the policy',
    });
    for (const gaveUp of [true, false]) {
      const ended = endedMidApply(done, stop, gaveUp);
      expect(ended).toEqual({
        ...done,
        status: 'superseded',
        reason: 'a newer sync claimed the policy mid-apply; it finishes the job',
      });
      expect(Object.keys(ended!)).toEqual([...Object.keys(done), 'reason']);
    }
  });

  it('gave up on a failed step: failed, that step named, a retry only when transient', () => {
    const results = [kernel('addRule', 1000), kernel('patchRule', 1001, { ok: false, error: '503 backend' })];
    expect(endedMidApply(done, applied(results, { kind: 'failed' }), true)).toEqual({
      ...done,
      status: 'failed',
      retry: false,
      reason:
        'step patchRule at 1001 failed: 503 backend; later steps were not applied (the revocations before it were)',
    });
    const transient = [kernel('removeRule', 1002, { ok: false, transient: true, error: 'timeout' })];
    const ended = endedMidApply(done, applied(transient), true);
    expect(ended).toEqual({
      ...done,
      status: 'failed',
      retry: true,
      reason: 'step removeRule at 1002 failed: timeout; later steps were not applied (the revocations before it were)',
    });
    expect(Object.keys(ended!)).toEqual([...Object.keys(done), 'retry', 'reason']);
  });

  it('a failure it did not give up on, no failure, a replan or no apply at all: it ended on a look', () => {
    const failing = applied([kernel('addRule', 1000, { ok: false })]);
    expect(endedMidApply(done, failing, false)).toBeUndefined();
    expect(endedMidApply(done, applied([kernel('addRule', 1000)]), true)).toBeUndefined();
    expect(endedMidApply(done, applied([], { kind: 'replan', why: 'moved' }), true)).toBeUndefined();
    expect(endedMidApply(done, undefined, true)).toBeUndefined();
  });
});

describe('superseded and judgeLook: the look a run ended on', () => {
  const looked = report({ passes: 4 });
  const plan = (extra: Partial<Planned> = {}): Planned => ({ from: [], steps: [], ...extra });

  it('superseded: the claim’s run and generation named, or ? for what the labels do not say', () => {
    expect(superseded(looked, claimedBy('r-ffff'), { name: 'edge' })).toEqual({
      ...looked,
      status: 'superseded',
      reason: 'another sync (run r-ffff, generation 1700000000000002) claimed edge; it applies the newer state',
    });
    expect(superseded(looked, {}, { name: 'edge' }).reason).toBe(
      'another sync (run ?, generation ?) claimed edge; it applies the newer state',
    );
  });

  it('a superseded plan is judged superseded, before a refusal', () => {
    const run = { observed: claimedBy('r-ffff'), plan: plan({ superseded: true, refused: 'no' }) };
    expect(judgeLook(looked, run, { name: 'edge' })).toEqual(superseded(looked, run.observed, { name: 'edge' }));
  });

  it('a refused plan: refused, the planner’s reason', () => {
    const run = { observed: claimedBy(RUN), plan: plan({ refused: 'The band is full' }) };
    expect(judgeLook(looked, run, { name: 'edge' })).toEqual({
      ...looked,
      status: 'refused',
      reason: 'The band is full',
    });
  });

  it('steps still planned: not converged, a retry, the passes counted', () => {
    const run = { observed: claimedBy(RUN), plan: plan({ steps: policyReplan([DEFAULT_RULE]).steps }) };
    const judged = judgeLook(looked, run, { name: 'edge' });
    expect(judged).toEqual({
      ...looked,
      status: 'failed',
      retry: true,
      reason: 'edge did not converge after 4 passes (is another writer changing its rules?); retrying later',
    });
    expect(Object.keys(judged!)).toEqual([...Object.keys(looked), 'retry', 'reason']);
  });

  it('a look that needs nothing: left to the sync to verify and record', () => {
    expect(judgeLook(looked, { observed: claimedBy(RUN), plan: plan() }, { name: 'edge' })).toBeUndefined();
  });
});

describe('readBack: the policy read back before anything is recorded', () => {
  const p = { name: 'edge', desired: want, replan: policyReplan };
  const step = summary('addRule', 1000);
  const CONVERGED = { converged: true, missing: [], extra: [], overruled: [] };

  it('holding the file: ok when a step changed it, else unchanged, with the verify', () => {
    const changed = report({ results: [{ step, ok: true, ms: 5 }] });
    const done = readBack(changed, { rules: HOLDING }, p);
    expect(done).toEqual({ ...changed, status: 'ok', verify: CONVERGED });
    expect(Object.keys(done)).toEqual([...Object.keys(changed), 'verify']);
    const noops = report({
      results: [
        { step, ok: true, noop: true, ms: 5 },
        { step, ok: false, ms: 5 },
      ],
    });
    expect(readBack(noops, { rules: HOLDING }, p)).toEqual({ ...noops, status: 'unchanged', verify: CONVERGED });
    expect(readBack(report({ status: 'planned' }), { rules: HOLDING }, p).status).toBe('unchanged');
  });

  it('not holding it: degraded, what is missing named, nothing recorded', () => {
    const done = readBack(report(), { rules: [DEFAULT_RULE] }, p);
    expect(done).toEqual({
      ...report(),
      status: 'degraded',
      verify: {
        converged: false,
        missing: [EGRESS],
        extra: [],
        overruled: [`${EGRESS}: denied by rule 2147483647 (deny(403))`],
      },
      reason:
        'read back, edge does not hold what the file wants: 203.0.113.5/32 not allowed; its generation is not recorded, the next sync tries again',
    });
    expect(Object.keys(done)).toEqual([...Object.keys(report()), 'verify', 'reason']);
    const two = desired({ egress: [EGRESS], partners: ['198.51.100.0/24'] });
    const both: Replan = (rules) => planAllowlist(two, rules, { force: true });
    expect(readBack(report(), { rules: [DEFAULT_RULE] }, { name: 'edge', desired: two, replan: both }).reason).toBe(
      'read back, edge does not hold what the file wants: 198.51.100.0/24, 203.0.113.5/32 not allowed; its generation is not recorded, the next sync tries again',
    );
  });

  it('a plan left that misses no address, or a planner that fails: the problem named, no missing list', () => {
    const never: Replan = () => planAllowlist(want, [DEFAULT_RULE]);
    expect(readBack(report(), { rules: HOLDING }, { ...p, replan: never }).reason).toBe(
      'read back, edge does not hold what the file wants; its generation is not recorded, the next sync tries again',
    );
    const broken: Replan = () => {
      throw new Error('no plan');
    };
    expect(readBack(report(), { rules: HOLDING }, { ...p, replan: broken })).toEqual({
      ...report(),
      status: 'degraded',
      verify: { converged: false, missing: [], extra: [], overruled: [], problem: 'no plan' },
      reason:
        'read back, edge does not hold what the file wants (no plan); its generation is not recorded, the next sync tries again',
    });
  });
});

describe('recordedReport: the verified policy once its labels were written', () => {
  const VERIFIED = { converged: true, missing: [], extra: [], overruled: [] };
  const done = report({ status: 'unchanged', holds: '1700000000000001', mutations: 1, verify: VERIFIED });
  const p = (record: 'generation' | 'release' | 'none', generation?: string) => ({
    name: 'edge',
    desired: want,
    record,
    ...(generation ? { generation } : {}),
  });

  it('lost: a newer sync took the claim first and records its own', () => {
    expect(recordedReport(done, 'lost', p('generation', GEN))).toEqual({
      ...done,
      status: 'superseded',
      reason: 'a newer sync claimed the policy before its generation was recorded; it records its own',
    });
  });

  it('written: the label write counted, ok, holding the generation recorded (in place of the one before)', () => {
    const recorded = recordedReport(done, 'written', p('generation', GEN));
    expect(recorded).toEqual({ ...done, status: 'ok', holds: GEN, mutations: 2 });
    expect(Object.keys(recorded)).toEqual(Object.keys(done));
    expect(done).toEqual(report({ status: 'unchanged', holds: '1700000000000001', mutations: 1, verify: VERIFIED }));
  });

  it('unchanged labels: ok only when a step changed the policy', () => {
    expect(recordedReport(done, 'unchanged', p('generation', GEN))).toEqual({ ...done, holds: GEN });
    expect(recordedReport({ ...done, status: 'ok' }, 'unchanged', p('none'))).toEqual({ ...done, status: 'ok' });
    expect(recordedReport(done, 'unchanged', p('none'))).toEqual(done);
  });

  it('a holds label recorded where there was none comes last', () => {
    const { holds: _h, ...fresh } = done;
    expect(Object.keys(recordedReport(fresh, 'written', p('generation', GEN)))).toEqual([
      ...Object.keys(fresh),
      'holds',
    ]);
  });

  it('released: holds nothing', () => {
    const released = recordedReport(done, 'written', p('release'));
    expect(released).toEqual({ ...report({ status: 'ok', mutations: 2, verify: VERIFIED }) });
    expect('holds' in released).toBe(false);
  });

  it('a rule ahead that decides a file address degrades it, the generation recorded all the same', () => {
    const verify = { ...VERIFIED, overruled: [`${EGRESS}: denied by rule 500 (deny(403))`] };
    expect(recordedReport({ ...done, verify }, 'written', p('generation', GEN))).toEqual({
      ...done,
      verify,
      holds: GEN,
      mutations: 2,
      status: 'degraded',
      retry: false,
      reason:
        'rules ahead of the allow rules of edge decide addresses the file allows (203.0.113.5/32: denied by rule 500 (deny(403))); netreflex does not change rules outside its band: move them after the allowlist (a priority number above 1999) or narrow them, or remove the entries from the file',
    });
  });
});
