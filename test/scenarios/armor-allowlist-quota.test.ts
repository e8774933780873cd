/**
 * The quota wedge, on the local Google Cloud with Cloud Armor's project-wide SECURITY_POLICY_RULES
 * quota: a file that needs more rules than the project has is refused before any change (and by
 * `netreflex validate` before upload), other policies' rules count, and when Cloud Armor itself
 * refuses a rule half-way (its quota is lower than the budget says) the revocations are done, the
 * rest stops at once, and only the policies that hold the file are labelled with it; the next tick
 * fails the same way without moving a rule, and `netreflex status` does not call it OK.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../cli/commands/validate.js';
import { allowlistSyncState } from '../../shared/status/armor.js';
import { LEASE_MS } from '../../shared/plan/allowlist-claim.js';
import { allowlistCloud, allowlistFile, GEN, hostEntries } from '../helpers/allowlist.js';

const dir = mkdtempSync(join(tmpdir(), 'netreflex-quota-'));
const PARTNER = '{ cidr: 198.51.100.0/24, description: Partner A }';

const cloud = allowlistCloud({ securityPolicyRulesQuota: 200 });

describe('the quota wedge', () => {
  it('refuses a 2,100-entry file that also revokes a partner before any change; validate refuses it first; the fixed file then applies, revocation included', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    s.upload(
      allowlistFile(
        { partners: [PARTNER, ...hostEntries(30)] },
        { policies: ['edge'], safety: '{ maxRemovalShare: 1 }' },
      ),
    );
    expect((await s.sync()).status).toBe('ok');
    const before = await s.rules('edge');
    const labels = await s.labels('edge');
    const wedge = allowlistFile(
      { partners: hostEntries(2100) },
      { policies: ['edge'], safety: '{ maxRemovalShare: 1 }' },
    );
    const path = join(dir, 'wedge.yaml');
    writeFileSync(path, wedge);
    const validated = await validateCommand(path, { now: new Date('2026-01-01T00:00:00Z') });
    expect(validated.exitCode).toBe(1);
    expect(validated.output).toMatch(
      /the file needs at least 211 security policy rules \(210 in edge, plus each policy's default rule\) but the project's budget is 200/,
    );
    s.upload(wedge);
    const report = await cloud.watcher.nothingChangesDuring('a file over the quota', () => s.sync());
    expect(report).toMatchObject({
      status: 'refused',
      refusal: {
        kind: 'quota',
        message: expect.stringMatching(
          /needs 211 security policy rules in project netreflex-scene-\d+ at its peak \(5 now across all its security policies, 211 at the end\), over the budget of 200/,
        ),
      },
    });
    expect(await s.rules('edge')).toEqual(before);
    expect(await s.labels('edge')).toEqual(labels);
    // The last valid file stays in force until a valid one comes: the partner is still allowed.
    expect(await s.allowed('edge')).toContain('198.51.100.0/24');
    const fixed = s.upload(
      allowlistFile({ partners: hostEntries(1000) }, { policies: ['edge'], safety: '{ maxRemovalShare: 1 }' }),
    );
    const applied = await s.sync();
    expect(applied).toMatchObject({ status: 'ok', quota: { now: 5, after: 101, budget: 200 } });
    expect(await s.allowed('edge')).not.toContain('198.51.100.0/24');
    expect((await s.labels('edge'))[GEN]).toBe(fixed);
    cloud.watcher.assertHolds();
  });

  it('counts the rules of every policy of the project: rules of a policy the file never touches use the same budget', async () => {
    const s = cloud.scene({ policies: ['edge', 'other-team'], ruleQuota: 20 });
    for (let i = 0; i < 12; i++)
      await s.wait(
        await cloud.client.addRule({
          project: s.project,
          securityPolicy: 'other-team',
          securityPolicyRuleResource: {
            priority: 100 + i,
            action: 'deny(403)',
            match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: [`192.0.2.${i}/32`] } },
          },
        }),
      );
    s.upload(allowlistFile({ partners: hostEntries(70) }, { policies: ['edge'] }));
    const report = await cloud.watcher.nothingChangesDuring('a file the project has no room for', () => s.sync());
    // 14 rules now (12 + two default rules) + 7 → 21 > 20, although edge alone would hold its 8.
    expect(report).toMatchObject({
      status: 'refused',
      refusal: {
        kind: 'quota',
        message: expect.stringMatching(
          /needs 21 .* \(14 now across all its security policies, 21 at the end\), over the budget of 20/,
        ),
      },
    });
    s.upload(allowlistFile({ partners: hostEntries(60) }, { policies: ['edge'] }));
    expect(await s.sync()).toMatchObject({ status: 'ok', quota: { now: 14, peak: 20, after: 20, budget: 20 } });
    cloud.watcher.assertHolds();
  });

  it('a file for two policies is refused on both when together they pass the budget', async () => {
    const s = cloud.scene({ policies: ['a', 'b'], ruleQuota: 12 });
    s.upload(allowlistFile({ first: hostEntries(60) }, { policies: ['a', 'b'] }));
    const report = await cloud.watcher.nothingChangesDuring('two policies over the budget together', () => s.sync());
    expect(report).toMatchObject({ status: 'refused', refusal: { kind: 'quota' } });
    expect(report.refusal!.message).toMatch(/needs 14 .* \(2 now across all its security policies, 14 at the end\)/);
    expect(await s.rules('a')).toHaveLength(1);
    expect(await s.rules('b')).toHaveLength(1);
  });
});

describe('when Cloud Armor refuses a rule for its quota half-way', () => {
  it('has done the revocations, stops at once, and labels only the policy that holds the file', async () => {
    const s = cloud.scene({ policies: ['a', 'b'], ruleQuota: 1000 });
    const first = s.upload(
      allowlistFile(
        { partners: [PARTNER, ...hostEntries(5)] },
        { policies: ['a', 'b'], safety: '{ maxRemovalShare: 1 }' },
      ),
    );
    expect((await s.sync()).status).toBe('ok');
    // The project's real quota is lower than the budget says: a holds room for its new rules, b does not.
    Object.assign(cloud.emu.settings, { securityPolicyRulesQuota: 4 + 3 });
    try {
      const second = s.upload(
        allowlistFile({ partners: hostEntries(40, 0) }, { policies: ['a', 'b'], safety: '{ maxRemovalShare: 1 }' }),
      );
      const calls = cloud.emu.router.calls.get('compute.securityPolicies.addRule') ?? 0;
      const report = await s.sync();
      const [a, b] = ['a', 'b'].map((p) => report.policies.find((r) => r.policy === p)!);
      expect(a).toMatchObject({ status: 'ok', holds: second });
      expect(b).toMatchObject({
        status: 'failed',
        retry: false,
        reason: expect.stringMatching(/addRule .* failed: .*Quota 'SECURITY_POLICY_RULES' exceeded/),
      });
      // The partner's revocation ran before the add that failed; nothing was tried twice.
      expect(await s.allowed('b')).not.toContain('198.51.100.0/24');
      expect((cloud.emu.router.calls.get('compute.securityPolicies.addRule') ?? 0) - calls).toBe(3 + 1);
      expect((await s.labels('a'))[GEN]).toBe(second);
      expect((await s.labels('b'))[GEN]).toBe(first);

      // netreflex status (its dry run of the sync): b does not hold the live file and a sync is stuck on it — not OK.
      const claimed = allowlistSyncState(await s.sync({ dryRun: true }));
      expect(claimed.broken).toBeUndefined();
      expect(claimed.unknown?.reason).toMatch(
        new RegExp(
          `^b is part-way to #${second}: a sync claimed it at \\S+ and has not recorded it \\(\\d+ step\\(s\\) still to apply; it holds #${first}\\) — still running, or failed part-way$`,
        ),
      );
      expect(claimed.unknown?.fix).toMatch(/Quota 'SECURITY_POLICY_RULES' exceeded.*raise the project's quota/);
      // Once no sync can still be running (the claim's lease is over), it is BROKEN.
      expect(allowlistSyncState(await s.sync({ dryRun: true }), Date.now() + LEASE_MS)).toMatchObject({
        broken: { reason: expect.stringMatching(/^b is part-way .* — it failed part-way$/) },
      });

      // The next tick: a is left alone, b is claimed again and refused at its first add; no rule moves, no label is recorded.
      const rulesA = await s.rules('a');
      const rulesB = await s.rules('b');
      const before = cloud.emu.router.calls.get('compute.securityPolicies.addRule') ?? 0;
      const tick = await s.sync();
      expect(tick).toMatchObject({ status: 'failed', retry: false });
      expect(tick.policies.find((r) => r.policy === 'a')).toMatchObject({ status: 'unchanged', mutations: 0 });
      expect(tick.policies.find((r) => r.policy === 'b')).toMatchObject({
        status: 'failed',
        retry: false,
        mutations: 1,
        reason: expect.stringMatching(/addRule .* failed: .*Quota 'SECURITY_POLICY_RULES' exceeded/),
      });
      expect((cloud.emu.router.calls.get('compute.securityPolicies.addRule') ?? 0) - before).toBe(1);
      expect(await s.rules('a')).toEqual(rulesA);
      expect(await s.rules('b')).toEqual(rulesB);
      expect((await s.labels('b'))[GEN]).toBe(first);
      expect(await s.allowed('b')).not.toContain('198.51.100.0/24');
    } finally {
      Object.assign(cloud.emu.settings, { securityPolicyRulesQuota: 200 });
    }
    cloud.watcher.assertHolds();
  });
});
