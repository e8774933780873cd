/**
 * Cloud Armor security policies on the local Google Cloud through the official
 * @google-cloud/compute client: Cloud Armor's validation (10 ranges per rule, unique priorities,
 * the default rule), fingerprints, operations — and the runtime wrapper on the same wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, type ComputeClients } from '../helpers/compute.js';
import { Transport } from '../../shared/gcp/transport.js';
import { controlFaults } from '../helpers/faults.js';
import { ManualClock } from '../helpers/emulator-clock.js';
import {
  addSecurityPolicyRule,
  DEFAULT_RULE_PRIORITY,
  getSecurityPolicy,
  getSecurityPolicyRule,
  patchSecurityPolicyRule,
  removeSecurityPolicyRule,
  setSecurityPolicyLabels,
} from '../../shared/gcp/security-policies.js';

let emu: Emulator;
let c: ComputeClients;
let policies: InstanceType<typeof compute.SecurityPoliciesClient>;
const POLICY = SAMPLE.armor.policy;

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: number; message?: string }) => `${e.code}: ${e.message}`,
  );
const allow = (priority: number, ranges: string[], extra: Record<string, unknown> = {}) => ({
  priority,
  action: 'allow',
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } },
  ...extra,
});
const ips = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i}/32`);

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 10 } });
  c = computeClients(emu.port);
  policies = new compute.SecurityPoliciesClient({
    apiEndpoint: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    authClient: new PassThroughClient(),
  } as unknown as ConstructorParameters<typeof compute.SecurityPoliciesClient>[0]);
});

afterAll(async () => {
  await emu?.close();
});

describe('the seeded inference-policy', () => {
  it('has only the default rule, denying everyone with 403', async () => {
    const [policy] = await policies.get({ project: PROJECT, securityPolicy: POLICY });
    expect(policy.rules).toHaveLength(1);
    expect(policy.rules![0]).toMatchObject({
      priority: DEFAULT_RULE_PRIORITY,
      action: 'deny(403)',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
      preview: false,
    });
    expect(policy.fingerprint).toBeTruthy();
    const [list] = await policies.list({ project: PROJECT });
    expect(list.map((p) => p.name)).toContain(POLICY);
  });
});

describe('policies', () => {
  it('inserts a policy with an allow default rule when none is given, and refuses a duplicate name', async () => {
    await c.wait(
      await policies.insert({
        project: PROJECT,
        securityPolicyResource: { name: 'scratch-policy', description: 'tests' },
      }),
    );
    const [policy] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    expect(policy.rules!.map((r) => [r.priority, r.action])).toEqual([[DEFAULT_RULE_PRIORITY, 'allow']]);
    expect(
      await code(policies.insert({ project: PROJECT, securityPolicyResource: { name: 'scratch-policy' } })),
    ).toMatch(
      /^409: .*The resource 'projects\/netreflex-demo\/global\/securityPolicies\/scratch-policy' already exists/,
    );
    expect(await code(policies.get({ project: PROJECT, securityPolicy: 'nope' }))).toMatch(
      /^404: .*The resource 'projects\/netreflex-demo\/global\/securityPolicies\/nope' was not found/,
    );
  });

  it('patches policy fields with the current fingerprint, refuses a stale one with 412, and never changes rules', async () => {
    const [before] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    await c.wait(
      await policies.patch({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        securityPolicyResource: { description: 'patched', fingerprint: before.fingerprint },
      }),
    );
    const [after] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    expect(after.description).toBe('patched');
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(
      await code(
        policies.patch({
          project: PROJECT,
          securityPolicy: 'scratch-policy',
          securityPolicyResource: { description: 'stale', fingerprint: before.fingerprint },
        }),
      ),
    ).toMatch(/^412: .*Supplied fingerprint does not match/);
    expect(
      await code(
        policies.patch({
          project: PROJECT,
          securityPolicy: 'scratch-policy',
          securityPolicyResource: { rules: [allow(10, ['10.0.0.0/8'])] },
        }),
      ),
    ).toMatch(/^400: .*patch cannot change the rules/);
  });
});

describe('rules', () => {
  it('adds, gets, patches and removes rules by priority, each a global operation that changes the fingerprint', async () => {
    const fingerprints = new Set<string>();
    const fp = async () =>
      fingerprints.add((await policies.get({ project: PROJECT, securityPolicy: POLICY }))[0].fingerprint!);
    await fp();
    await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: POLICY,
        securityPolicyRuleResource: allow(1000, ['203.0.113.5/32'], { description: 'netreflex:allowlist pipelines' }),
      }),
    );
    await fp();
    const [rule] = await policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 1000 });
    expect(rule).toMatchObject({
      priority: 1000,
      action: 'allow',
      description: 'netreflex:allowlist pipelines',
      preview: false,
      match: { config: { srcIpRanges: ['203.0.113.5/32'] } },
    });
    await c.wait(
      await policies.patchRule({
        project: PROJECT,
        securityPolicy: POLICY,
        priority: 1000,
        securityPolicyRuleResource: allow(1000, ['203.0.113.5/32', '2001:db8::/48'], { preview: true }),
      }),
    );
    await fp();
    expect((await policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 1000 }))[0]).toMatchObject({
      preview: true,
      match: { config: { srcIpRanges: ['203.0.113.5/32', '2001:db8::/48'] } },
    });
    await c.wait(
      await policies.patchRule({
        project: PROJECT,
        securityPolicy: POLICY,
        priority: 1000,
        securityPolicyRuleResource: { priority: 1001 },
      }),
    );
    await fp();
    expect(await code(policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 1000 }))).toMatch(
      /^400: .*does not contain a rule at priority 1000/,
    );
    await c.wait(await policies.removeRule({ project: PROJECT, securityPolicy: POLICY, priority: 1001 }));
    await fp();
    expect(fingerprints.size).toBe(5);
    const [policy] = await policies.get({ project: PROJECT, securityPolicy: POLICY });
    expect(policy.rules!.map((r) => r.priority)).toEqual([DEFAULT_RULE_PRIORITY]);
  });

  it('keeps rules sorted by priority', async () => {
    await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        securityPolicyRuleResource: allow(20, ['10.0.0.0/8']),
      }),
    );
    await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        securityPolicyRuleResource: allow(10, ['10.1.0.0/16']),
      }),
    );
    const [policy] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    expect(policy.rules!.map((r) => r.priority)).toEqual([10, 20, DEFAULT_RULE_PRIORITY]);
  });
});

describe("Cloud Armor's validation", () => {
  const add = (rule: Record<string, unknown>) =>
    code(policies.addRule({ project: PROJECT, securityPolicy: POLICY, securityPolicyRuleResource: rule }));

  it('takes 10 source ranges in a SRC_IPS_V1 rule and refuses 11', async () => {
    await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: POLICY,
        securityPolicyRuleResource: allow(2000, ips(10)),
      }),
    );
    expect(
      (await policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 2000 }))[0].match!.config!
        .srcIpRanges,
    ).toHaveLength(10);
    expect(await add(allow(2001, ips(11)))).toMatch(/^400: .*srcIpRanges.*at most 10 source IP ranges/);
  });

  it('refuses a priority already in use, out of range, or a bad range or action', async () => {
    expect(await add(allow(2000, ['192.0.2.0/24']))).toMatch(/^400: .*Cannot have rules with the same priorities/);
    expect(await add(allow(-1, ['192.0.2.0/24']))).toMatch(/^400: .*priority/);
    expect(await add(allow(2002, ['192.0.2.300/32']))).toMatch(/^400: .*srcIpRanges\[0\].*'192\.0\.2\.300\/32'/);
    expect(await add(allow(2002, ['10.0.0.0/33']))).toMatch(/^400: /);
    expect(await add({ ...allow(2002, ['192.0.2.0/24']), action: 'deny(418)' })).toMatch(/^400: .*action/);
    await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: POLICY,
        securityPolicyRuleResource: { ...allow(2002, ['192.0.2.0/24']), action: 'deny' },
      }),
    );
    expect((await policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 2002 }))[0].action).toBe(
      'deny(403)',
    );
  });

  it('never removes the default rule, but lets its action change', async () => {
    expect(
      await code(policies.removeRule({ project: PROJECT, securityPolicy: POLICY, priority: DEFAULT_RULE_PRIORITY })),
    ).toMatch(/^400: .*default rule cannot be removed/);
    expect(
      await code(
        policies.patchRule({
          project: PROJECT,
          securityPolicy: POLICY,
          priority: DEFAULT_RULE_PRIORITY,
          securityPolicyRuleResource: allow(DEFAULT_RULE_PRIORITY, ['10.0.0.0/8']),
        }),
      ),
    ).toMatch(/^400: .*default rule/);
    await c.wait(
      await policies.patchRule({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        priority: DEFAULT_RULE_PRIORITY,
        securityPolicyRuleResource: { action: 'deny(404)' },
      }),
    );
    expect(
      (
        await policies.getRule({ project: PROJECT, securityPolicy: 'scratch-policy', priority: DEFAULT_RULE_PRIORITY })
      )[0].action,
    ).toBe('deny(404)');
  });
});

describe('two concurrent addRules at one priority', () => {
  // Both calls are accepted against the same rule set before either operation lands, however slowly
  // the machine answers them: on an emulator whose clock only the test moves, no operation lands
  // until both answers are in.
  const clock = new ManualClock();
  let held: Emulator;
  beforeAll(async () => {
    held = await startSampleEmulator({ clock, settings: { operationLatencyMs: 10 } });
  });
  afterAll(() => held?.close());

  it('fails the second in its operation', async () => {
    const client = new compute.SecurityPoliciesClient({
      apiEndpoint: '127.0.0.1',
      port: held.port,
      protocol: 'http',
      authClient: new PassThroughClient(),
    } as unknown as ConstructorParameters<typeof compute.SecurityPoliciesClient>[0]);
    const ops = await Promise.all(
      [1, 2].map((i) =>
        client.addRule({
          project: PROJECT,
          securityPolicy: POLICY,
          securityPolicyRuleResource: allow(3000, [`192.0.2.${i}/32`]),
        }),
      ),
    );
    expect(ops.map(([op]) => (op.latestResponse as { status?: string }).status)).toEqual(['RUNNING', 'RUNNING']);
    const waits = ops.map((op) => computeClients(held.port).wait(op));
    await clock.advance(10);
    const errors = (await Promise.all(waits))
      .map((op) => (op as { error?: { errors?: { message?: string }[] } }).error?.errors?.[0]?.message)
      .filter(Boolean);
    expect(errors).toEqual([expect.stringMatching(/Cannot have rules with the same priorities/)]);
  });
});

describe('shared/gcp/security-policies (the runtime wrapper)', () => {
  it('reads the policy and changes one rule at a time, each call returning once the rule is in force', async () => {
    const t = new Transport({ emulatorHost: emu.url });
    await addSecurityPolicyRule(t, PROJECT, POLICY, {
      priority: 1500,
      action: 'allow',
      description: 'netreflex',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.64/27'] } },
    });
    expect(await getSecurityPolicyRule(t, PROJECT, POLICY, 1500)).toMatchObject({ priority: 1500, action: 'allow' });
    await patchSecurityPolicyRule(t, PROJECT, POLICY, 1500, {
      priority: 1500,
      action: 'allow',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.64/27', '198.51.100.0/26'] } },
    });
    expect(
      (await getSecurityPolicy(t, PROJECT, POLICY)).rules.find((r) => r.priority === 1500)?.match?.config?.srcIpRanges,
    ).toEqual(['198.51.100.64/27', '198.51.100.0/26']);
    await removeSecurityPolicyRule(t, PROJECT, POLICY, 1500);
    expect((await getSecurityPolicy(t, PROJECT, POLICY)).rules.some((r) => r.priority === 1500)).toBe(false);
    await expect(removeSecurityPolicyRule(t, PROJECT, POLICY, DEFAULT_RULE_PRIORITY)).rejects.toMatchObject({
      code: 400,
    });
    await expect(
      addSecurityPolicyRule(t, PROJECT, POLICY, {
        priority: 1600,
        action: 'allow',
        match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ips(11) } },
      }),
    ).rejects.toMatchObject({ code: 400 });
  });
});

describe('setLabels', () => {
  it('replaces the labels under labelFingerprint: the official client sets them, a stale fingerprint is a 412', async () => {
    const [before] = await policies.get({ project: PROJECT, securityPolicy: POLICY });
    await c.wait(
      await policies.setLabels({
        project: PROJECT,
        resource: POLICY,
        globalSetLabelsRequestResource: { labels: { team: 'ml' }, labelFingerprint: before.labelFingerprint },
      }),
    );
    const [after] = await policies.get({ project: PROJECT, securityPolicy: POLICY });
    expect(after.labels).toEqual({ team: 'ml' });
    expect(after.labelFingerprint).not.toBe(before.labelFingerprint);
    expect(after.rules).toEqual(before.rules);
    expect(
      await code(
        policies.setLabels({
          project: PROJECT,
          resource: POLICY,
          globalSetLabelsRequestResource: { labels: {}, labelFingerprint: before.labelFingerprint },
        }),
      ),
    ).toMatch(/^412: /);
    expect(
      await code(
        policies.setLabels({
          project: PROJECT,
          resource: POLICY,
          globalSetLabelsRequestResource: { labels: { Team: 'x' }, labelFingerprint: after.labelFingerprint },
        }),
      ),
    ).toMatch(/^400: .*Label keys/);
  });

  it('lets exactly one of two wrapper calls with the same fingerprint through', async () => {
    const t = new Transport({ emulatorHost: emu.url });
    const { labelFingerprint } = await getSecurityPolicy(t, PROJECT, POLICY);
    const results = await Promise.allSettled(
      ['a', 'b'].map((run) => setSecurityPolicyLabels(t, PROJECT, POLICY, { run }, labelFingerprint)),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    // The loser is refused at once (412) when the winner's operation already landed, else when its own
    // operation applies (a failed CONDITION_NOT_MET operation): which one depends on timing, both are the CAS.
    const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as {
      code: number;
      status: string;
    };
    expect(reason.code === 412 || reason.status === 'CONDITION_NOT_MET').toBe(true);
  });
});

describe("Cloud Armor's project quotas (settable through the control API)", () => {
  const control = () => controlFaults(emu.url);
  const usage = () => {
    const all = emu.store.list(`projects/${PROJECT}/global/securityPolicies`);
    return { policies: all.length, rules: all.reduce((n, p) => n + (p.rules as unknown[]).length, 0) };
  };
  type Op = {
    status?: string;
    httpErrorStatusCode?: number;
    error?: {
      errors?: { code?: string; message?: string; errorDetails?: { quotaInfo?: Record<string, unknown> }[] }[];
    };
  };
  const firstError = (op: unknown) => (op as Op).error?.errors?.[0];

  afterAll(async () => {
    await control().settings({
      securityPolicyRulesQuota: 200,
      securityPoliciesQuota: 10,
      securityPolicyAdvancedRulesQuota: 20,
    });
  });

  it('counts SECURITY_POLICY_RULES across every policy of the project: the rule that passes the limit in another policy fails its operation', async () => {
    const { rules } = usage();
    await control().settings({ securityPolicyRulesQuota: rules + 1 });
    await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        securityPolicyRuleResource: allow(4000, ['192.0.2.10/32']),
      }),
    );
    const op = await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: POLICY,
        securityPolicyRuleResource: allow(4001, ['192.0.2.11/32']),
      }),
    );
    expect((op as Op).httpErrorStatusCode).toBe(403);
    expect(firstError(op)).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      message: `Quota 'SECURITY_POLICY_RULES' exceeded.  Limit: ${rules + 1}.0 globally.`,
      errorDetails: [
        {
          quotaInfo: {
            metricName: 'compute.googleapis.com/security_policy_rules',
            limitName: 'SECURITY-POLICY-RULES-per-project',
            dimensions: { global: 'global' },
            limit: rules + 1,
          },
        },
      ],
    });
    expect(await code(policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 4001 }))).toMatch(
      /^400: /,
    );
    expect(usage().rules).toBe(rules + 1);
  });

  it('frees quota when a rule is removed, and lets patches that keep the count through at the limit', async () => {
    await c.wait(
      await policies.patchRule({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        priority: 4000,
        securityPolicyRuleResource: allow(4000, ['192.0.2.12/32']),
      }),
    );
    await c.wait(await policies.removeRule({ project: PROJECT, securityPolicy: 'scratch-policy', priority: 4000 }));
    const op = await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: POLICY,
        securityPolicyRuleResource: allow(4001, ['192.0.2.11/32']),
      }),
    );
    expect(firstError(op)).toBeUndefined();
  });

  it('the runtime wrapper reports the failed operation as a permanent 403 QUOTA_EXCEEDED', async () => {
    const t = new Transport({ emulatorHost: emu.url });
    const err = await addSecurityPolicyRule(t, PROJECT, POLICY, {
      priority: 4002,
      action: 'allow',
      match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['192.0.2.13/32'] } },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 403,
      status: 'QUOTA_EXCEEDED',
      message: expect.stringMatching(/Quota 'SECURITY_POLICY_RULES' exceeded/),
      transient: false,
    });
  });

  it('counts a new policy and its rules: SECURITY_POLICIES and SECURITY_POLICY_RULES', async () => {
    const { policies: count, rules } = usage();
    await control().settings({ securityPolicyRulesQuota: rules + 1, securityPoliciesQuota: count + 1 });
    const tooMany = await c.wait(
      await policies.insert({
        project: PROJECT,
        securityPolicyResource: {
          name: 'two-rules',
          rules: [allow(10, ['10.0.0.0/8']), { ...allow(DEFAULT_RULE_PRIORITY, ['*']), action: 'deny(403)' }],
        },
      }),
    );
    expect(firstError(tooMany)).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      message: expect.stringMatching(/^Quota 'SECURITY_POLICY_RULES' exceeded\. {2}Limit: /),
    });
    expect(await code(policies.get({ project: PROJECT, securityPolicy: 'two-rules' }))).toMatch(/^404: /);
    await c.wait(await policies.insert({ project: PROJECT, securityPolicyResource: { name: 'one-rule' } }));
    await control().settings({ securityPolicyRulesQuota: 200 });
    const eleventh = await c.wait(
      await policies.insert({ project: PROJECT, securityPolicyResource: { name: 'one-too-many' } }),
    );
    expect(firstError(eleventh)).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      message: `Quota 'SECURITY_POLICIES' exceeded.  Limit: ${count + 1}.0 globally.`,
      errorDetails: [
        {
          quotaInfo: {
            metricName: 'compute.googleapis.com/security_policies',
            limitName: 'SECURITY-POLICIES-per-project',
          },
        },
      ],
    });
    await c.wait(await policies.delete({ project: PROJECT, securityPolicy: 'one-rule' }));
  });

  it('counts rules with advanced (CEL) match conditions against SECURITY_POLICY_CEVAL_RULES too', async () => {
    await control().settings({ securityPolicyAdvancedRulesQuota: 1 });
    const cel = (priority: number) => ({
      priority,
      action: 'deny(403)',
      match: { expr: { expression: "origin.region_code == 'XX'" } },
    });
    expect(
      firstError(
        await c.wait(
          await policies.addRule({
            project: PROJECT,
            securityPolicy: 'scratch-policy',
            securityPolicyRuleResource: cel(30),
          }),
        ),
      ),
    ).toBeUndefined();
    expect(
      firstError(
        await c.wait(
          await policies.addRule({ project: PROJECT, securityPolicy: POLICY, securityPolicyRuleResource: cel(31) }),
        ),
      ),
    ).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      message: expect.stringMatching(/^Quota 'SECURITY_POLICY_CEVAL_RULES' exceeded/),
    });
    // Turning a basic rule into an advanced one adds an advanced rule as well.
    expect(
      firstError(
        await c.wait(
          await policies.patchRule({
            project: PROJECT,
            securityPolicy: 'scratch-policy',
            priority: 10,
            securityPolicyRuleResource: { match: { expr: { expression: "origin.region_code == 'YY'" } } },
            updateMask: 'match.versionedExpr,match.config',
          }),
        ),
      ),
    ).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    await c.wait(await policies.removeRule({ project: PROJECT, securityPolicy: 'scratch-policy', priority: 30 }));
  });

  it('the limits are whole numbers ≥ 0 on the control API, and 0 (a trial project) refuses every new rule', async () => {
    await expect(control().settings({ securityPolicyRulesQuota: 1.5 })).rejects.toThrow(/400.*whole number/);
    await expect(control().settings({ securityPolicyRulesQuota: -1 })).rejects.toThrow(/400/);
    await control().settings({ securityPolicyRulesQuota: 0 });
    expect(
      firstError(
        await c.wait(
          await policies.addRule({
            project: PROJECT,
            securityPolicy: POLICY,
            securityPolicyRuleResource: allow(4003, ['192.0.2.14/32']),
          }),
        ),
      ),
    ).toMatchObject({ message: "Quota 'SECURITY_POLICY_RULES' exceeded.  Limit: 0.0 globally." });
  });
});

describe('patchRule query parameters', () => {
  it('updateMask clears the named fields the body leaves out; validateOnly changes nothing', async () => {
    await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        securityPolicyRuleResource: allow(50, ['10.5.0.0/16'], { description: 'to clear', preview: true }),
      }),
    );
    await c.wait(
      await policies.patchRule({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        priority: 50,
        securityPolicyRuleResource: { action: 'allow' },
        updateMask: 'description,preview',
      }),
    );
    expect(
      (await policies.getRule({ project: PROJECT, securityPolicy: 'scratch-policy', priority: 50 }))[0],
    ).toMatchObject({ description: '', preview: false, match: { config: { srcIpRanges: ['10.5.0.0/16'] } } });
    const before = (await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' }))[0].fingerprint;
    await c.wait(
      await policies.patchRule({
        project: PROJECT,
        securityPolicy: 'scratch-policy',
        priority: 50,
        securityPolicyRuleResource: allow(50, ['10.6.0.0/16']),
        validateOnly: true,
      }),
    );
    const [after] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    expect([after.fingerprint, after.rules!.find((r) => r.priority === 50)!.match!.config!.srcIpRanges]).toEqual([
      before,
      ['10.5.0.0/16'],
    ]);
    expect(
      await code(
        policies.patchRule({
          project: PROJECT,
          securityPolicy: 'scratch-policy',
          priority: 50,
          securityPolicyRuleResource: { action: 'allow' },
          updateMask: 'description,,x y',
        }),
      ),
    ).toMatch(/^400: .*updateMask/);
  });
});
