/**
 * A rule ahead of the allowlist's band that decides a file address (a deny, or a CEL rule the
 * verdict cannot judge) makes the sync degraded, on the local Google Cloud: the owned rules hold
 * the file and carry its generation, but callers see something else, so the report says which rule
 * overrules which address, as `netreflex status` and the workflow's check see it — and no retry,
 * since netreflex does not own that rule.
 */
import { describe, expect, it } from 'vitest';
import { httpStatus } from '../../shared/reconcile/report.js';
import { allowlistCloud, allowlistFile, GEN, type Scene } from '../helpers/allowlist.js';

const cloud = allowlistCloud();

const FILE = allowlistFile(
  { partners: ['{ cidr: 198.51.100.0/24, description: Partner A }', '{ ip: 203.0.113.5, description: NAT }'] },
  { policies: ['edge'] },
);

async function ahead(s: Scene, match: Record<string, unknown>) {
  await s.wait(
    await cloud.client.addRule({
      project: s.project,
      securityPolicy: 'edge',
      securityPolicyRuleResource: { priority: 10, action: 'deny(403)', description: 'security team', match },
    }),
  );
}

describe('a rule ahead of the allowlist decides a file address', () => {
  it('a SRC_IPS deny over part of a range: degraded, names the rule and the part, no retry; the generation is recorded', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    s.upload(FILE);
    expect((await s.sync()).status).toBe('ok');
    await ahead(s, { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.128/25'] } });
    const generation = s.upload(FILE.replace('NAT }', 'NAT egress }'));
    const report = await s.sync();
    expect(report).toMatchObject({ status: 'degraded', retry: false });
    expect(report.policies[0]).toMatchObject({
      policy: 'edge',
      status: 'degraded',
      retry: false,
      holds: generation,
      reason: expect.stringMatching(
        /rules ahead of the allow rules of edge decide addresses the file allows \(198\.51\.100\.128\/25: denied by rule 10 \(deny\(403\)\)\).*move them after the allowlist/,
      ),
    });
    expect(report.reasons).toEqual([
      expect.stringMatching(/^edge: rules ahead .*198\.51\.100\.128\/25: denied by rule 10/),
    ]);
    expect(httpStatus(report)).toBe(422);
    expect((await s.labels('edge'))[GEN]).toBe(generation);
    // Nothing to change, still overruled: every sync says so.
    expect(await s.sync()).toMatchObject({ status: 'degraded', mutations: 0 });
    cloud.watcher.assertHolds();
  });

  it('a CEL rule ahead that the verdict cannot judge: degraded, as status reports the address UNKNOWN', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    await ahead(s, { expr: { expression: "origin.region_code == 'JP'" } });
    s.upload(FILE);
    const report = await s.sync();
    expect(report.policies[0]).toMatchObject({
      status: 'degraded',
      reason: expect.stringMatching(/203\.0\.113\.5\/32: rule 10 uses an expression this check cannot evaluate/),
    });
  });

  it('a dry run judges the policy as its plan would leave it: overruled degrades it, a pending add does not', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    s.upload(FILE);
    // Nothing applied yet: the plan adds every address; none of them is overruled by that alone.
    const planned = await s.sync({ dryRun: true });
    expect(planned).toMatchObject({ status: 'planned', mutations: 0 });
    expect(planned.policies[0]).toMatchObject({ status: 'planned', verify: { converged: true, overruled: [] } });
    await ahead(s, { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.128/25'] } });
    const overruled = await s.sync({ dryRun: true });
    expect(overruled).toMatchObject({ status: 'degraded', retry: false, mutations: 0 });
    expect(overruled.policies[0]).toMatchObject({
      status: 'degraded',
      reason: expect.stringMatching(/198\.51\.100\.128\/25: denied by rule 10 \(deny\(403\)\)/),
    });
    // A dry run changes nothing: the real sync still applies the file, and is degraded the same way.
    expect(await s.sync()).toMatchObject({ status: 'degraded' });
  });

  it('once the rule ahead is gone, the next sync is ok again', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    await ahead(s, { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/24'] } });
    s.upload(FILE);
    expect((await s.sync()).status).toBe('degraded');
    await s.wait(await cloud.client.removeRule({ project: s.project, securityPolicy: 'edge', priority: 10 }));
    expect(await s.sync()).toMatchObject({ status: 'unchanged', reasons: [] });
  });
});
