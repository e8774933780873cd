/**
 * armorAllowlist converges on the kernel's loop while another writer changes the policy under it,
 * on the local Google Cloud: a rule another team adds between two of netreflex's steps makes the
 * guard re-plan from its own look, and the same sync ends with the file in force and the team's
 * rule kept; a writer that changes the rules on every read never lets a plan start, so the sync
 * gives up after its passes, asks to be retried, and has taken nothing away from anyone.
 */
import { describe, expect, it } from 'vitest';
import type { Request } from '../../emulator/http.js';
import { allowlistCloud, allowlistFile, GEN, hostEntries, type Scene } from '../helpers/allowlist.js';

const cloud = allowlistCloud();

let writing = false;

/** Runs another team's call with the official Compute client and waits for its operation; the hooks let it through. */
async function asForeign(s: Scene, call: () => Promise<Parameters<Scene['wait']>[0]>): Promise<void> {
  writing = true;
  try {
    await s.wait(await call());
  } finally {
    writing = false;
  }
}

/** Another team's deny rule ahead of the allowlist, added with the official Compute client. */
const foreignRule = (s: Scene, priority: number) =>
  asForeign(s, () =>
    cloud.client.addRule({
      project: s.project,
      securityPolicy: 'edge',
      securityPolicyRuleResource: {
        priority,
        action: 'deny(403)',
        description: 'security team: known scanner',
        match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: [`198.51.100.${priority % 256}/32`] } },
      },
    }),
  );

/** Another team rewords the policy's default rule with the official Compute client (addRule stays netreflex's alone). */
const foreignPatch = (s: Scene, description: string) =>
  asForeign(s, () =>
    cloud.client.patchRule({
      project: s.project,
      securityPolicy: 'edge',
      priority: 2147483647,
      securityPolicyRuleResource: { description },
    }),
  );

/** Runs `write` before netreflex's calls of `methodId` in the scene's project that `when` picks (counting from 1). */
function onCall(s: Scene, methodId: string, when: (n: number) => boolean, write: () => Promise<void>): void {
  let n = 0;
  cloud.emu.router.addHook(async (id, req: Request) => {
    if (writing || id !== methodId || !req.path.includes(`/projects/${s.project}/`)) return 'continue';
    n += 1;
    if (when(n)) await write();
    return 'continue';
  });
}

describe('armorAllowlist converges while another writer changes the policy', () => {
  it('a rule added between two steps: the guard re-plans from its look, the file ends in force in the same sync, and the rule stays', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const generation = s.upload(allowlistFile({ partners: hostEntries(25, 7) }, { policies: ['edge'] }));
    onCall(
      s,
      'compute.securityPolicies.addRule',
      (n) => n === 2,
      () => foreignRule(s, 100),
    );
    const report = await s.sync();
    expect(report.policies[0]).toMatchObject({ status: 'ok', holds: generation });
    // Claim, the apply the guard stopped, the apply of the rest, the look that needs nothing.
    expect(report.policies[0]!.passes).toBe(4);
    expect(await s.allowed('edge')).toHaveLength(25);
    expect((await s.rules('edge')).find((r) => r.priority === 100)).toMatchObject({
      description: 'security team: known scanner',
    });
    expect((await s.labels('edge'))[GEN]).toBe(generation);
    cloud.watcher.assertHolds();
  });

  it('a writer that changes the rules on every read: no plan starts, the sync fails with retry after its passes and removes nothing', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const g1 = s.upload(allowlistFile({ partners: hostEntries(6, 8) }, { policies: ['edge'] }));
    expect((await s.sync()).policies[0]).toMatchObject({ status: 'ok', holds: g1 });
    const before = await s.allowed('edge');
    s.upload(allowlistFile({ partners: hostEntries(4, 8) }, { policies: ['edge'] }));
    let priority = 200;
    onCall(
      s,
      'compute.securityPolicies.get',
      () => priority < 300,
      () => foreignRule(s, priority++),
    );
    const report = await s.sync({ maxPasses: 4 });
    priority = 300;
    expect(report).toMatchObject({ status: 'failed', retry: true });
    expect(report.policies[0]).toMatchObject({
      status: 'failed',
      retry: true,
      reason: 'edge did not converge after 4 passes (is another writer changing its rules?); retrying later',
      results: [],
    });
    expect(await s.allowed('edge')).toEqual(before);
    expect((await s.labels('edge'))[GEN]).toBe(g1);
    // The writer stops; the next sync applies the file.
    expect((await s.sync()).policies[0]).toMatchObject({ status: 'ok' });
    expect(await s.allowed('edge')).toHaveLength(4);
    cloud.watcher.assertHolds();
  });

  it('a step refused, an apply the guard re-plans before reaching it, then the same step refused again: not twice running, so it gets another fresh plan and lands', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    s.upload(allowlistFile({ partners: hostEntries(4, 9) }, { policies: ['edge'] }));
    expect((await s.sync()).policies[0]).toMatchObject({ status: 'ok' });
    const generation = s.upload(
      allowlistFile({ partners: hostEntries(4, 9), more: hostEntries(3, 10) }, { policies: ['edge'] }),
    );
    cloud.emu.faults.failOperations('compute.securityPolicies.addRule', 2, 'backend refused the rule', 400);
    // After the first refusal: the look that re-plans, then the guard's look of the next apply, which the team's write moves.
    let adds = 0;
    let gets = 0;
    onCall(
      s,
      'compute.securityPolicies.addRule',
      () => true,
      async () => void (adds += 1),
    );
    onCall(
      s,
      'compute.securityPolicies.get',
      () => adds === 1 && ++gets === 2,
      () => foreignPatch(s, 'security team: reviewed'),
    );
    const report = await s.sync({ maxPasses: 6 });
    expect(adds).toBe(3);
    expect(report.policies[0]).toMatchObject({ status: 'ok', holds: generation, passes: 6 });
    expect(report.policies[0]!.results.map((r) => r.ok)).toEqual([false, false, true]);
    expect(await s.allowed('edge')).toHaveLength(7);
    cloud.watcher.assertHolds();
  });
});
