/**
 * Cloud Armor security policies on the local Google Cloud through the official
 * @google-cloud/compute client: Cloud Armor's validation (10 ranges per rule, unique priorities,
 * the default rule), fingerprints, operations — and the runtime wrapper on the same wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { startEmulator, type Emulator } from '../../emulator/server.js';
import { SAMPLE } from '../../emulator/topology.js';
import { computeClients, PROJECT, type ComputeClients } from '../helpers/compute.js';
import { Transport } from '../../shared/gcp/transport.js';
import { addSecurityPolicyRule, DEFAULT_RULE_PRIORITY, getSecurityPolicy, getSecurityPolicyRule, patchSecurityPolicyRule, removeSecurityPolicyRule, setSecurityPolicyLabels } from '../../shared/gcp/security-policies.js';

let emu: Emulator;
let c: ComputeClients;
let policies: InstanceType<typeof compute.SecurityPoliciesClient>;
const POLICY = SAMPLE.armor.policy;

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: number; message?: string }) => `${e.code}: ${e.message}`);
const allow = (priority: number, ranges: string[], extra: Record<string, unknown> = {}) => ({ priority, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } }, ...extra });
const ips = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i}/32`);

beforeAll(async () => {
  emu = await startEmulator({ settings: { operationLatencyMs: 10 } });
  c = computeClients(emu.port);
  policies = new compute.SecurityPoliciesClient({ apiEndpoint: '127.0.0.1', port: emu.port, protocol: 'http', authClient: new PassThroughClient() } as unknown as ConstructorParameters<typeof compute.SecurityPoliciesClient>[0]);
});

afterAll(async () => {
  await emu?.close();
});

describe('the seeded inference-policy', () => {
  it('has only the default rule, denying everyone with 403', async () => {
    const [policy] = await policies.get({ project: PROJECT, securityPolicy: POLICY });
    expect(policy.rules).toHaveLength(1);
    expect(policy.rules![0]).toMatchObject({ priority: DEFAULT_RULE_PRIORITY, action: 'deny(403)', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } }, preview: false });
    expect(policy.fingerprint).toBeTruthy();
    const [list] = await policies.list({ project: PROJECT });
    expect(list.map((p) => p.name)).toContain(POLICY);
  });
});

describe('policies', () => {
  it('inserts a policy with an allow default rule when none is given, and refuses a duplicate name', async () => {
    await c.wait(await policies.insert({ project: PROJECT, securityPolicyResource: { name: 'scratch-policy', description: 'tests' } }));
    const [policy] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    expect(policy.rules!.map((r) => [r.priority, r.action])).toEqual([[DEFAULT_RULE_PRIORITY, 'allow']]);
    expect(await code(policies.insert({ project: PROJECT, securityPolicyResource: { name: 'scratch-policy' } }))).toMatch(/^409: .*The resource 'projects\/netreflex-demo\/global\/securityPolicies\/scratch-policy' already exists/);
    expect(await code(policies.get({ project: PROJECT, securityPolicy: 'nope' }))).toMatch(/^404: .*The resource 'projects\/netreflex-demo\/global\/securityPolicies\/nope' was not found/);
  });

  it('patches policy fields with the current fingerprint, refuses a stale one with 412, and never changes rules', async () => {
    const [before] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    await c.wait(await policies.patch({ project: PROJECT, securityPolicy: 'scratch-policy', securityPolicyResource: { description: 'patched', fingerprint: before.fingerprint } }));
    const [after] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    expect(after.description).toBe('patched');
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(await code(policies.patch({ project: PROJECT, securityPolicy: 'scratch-policy', securityPolicyResource: { description: 'stale', fingerprint: before.fingerprint } }))).toMatch(/^412: .*Supplied fingerprint does not match/);
    expect(await code(policies.patch({ project: PROJECT, securityPolicy: 'scratch-policy', securityPolicyResource: { rules: [allow(10, ['10.0.0.0/8'])] } }))).toMatch(/^400: .*patch cannot change the rules/);
  });
});

describe('rules', () => {
  it('adds, gets, patches and removes rules by priority, each a global operation that changes the fingerprint', async () => {
    const fingerprints = new Set<string>();
    const fp = async () => fingerprints.add((await policies.get({ project: PROJECT, securityPolicy: POLICY }))[0].fingerprint!);
    await fp();
    await c.wait(await policies.addRule({ project: PROJECT, securityPolicy: POLICY, securityPolicyRuleResource: allow(1000, ['203.0.113.5/32'], { description: 'netreflex:allowlist pipelines' }) }));
    await fp();
    const [rule] = await policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 1000 });
    expect(rule).toMatchObject({ priority: 1000, action: 'allow', description: 'netreflex:allowlist pipelines', preview: false, match: { config: { srcIpRanges: ['203.0.113.5/32'] } } });
    await c.wait(await policies.patchRule({ project: PROJECT, securityPolicy: POLICY, priority: 1000, securityPolicyRuleResource: allow(1000, ['203.0.113.5/32', '2001:db8::/48'], { preview: true }) }));
    await fp();
    expect((await policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 1000 }))[0]).toMatchObject({ preview: true, match: { config: { srcIpRanges: ['203.0.113.5/32', '2001:db8::/48'] } } });
    await c.wait(await policies.patchRule({ project: PROJECT, securityPolicy: POLICY, priority: 1000, securityPolicyRuleResource: { priority: 1001 } }));
    await fp();
    expect(await code(policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 1000 }))).toMatch(/^400: .*does not contain a rule at priority 1000/);
    await c.wait(await policies.removeRule({ project: PROJECT, securityPolicy: POLICY, priority: 1001 }));
    await fp();
    expect(fingerprints.size).toBe(5);
    const [policy] = await policies.get({ project: PROJECT, securityPolicy: POLICY });
    expect(policy.rules!.map((r) => r.priority)).toEqual([DEFAULT_RULE_PRIORITY]);
  });

  it('keeps rules sorted by priority', async () => {
    await c.wait(await policies.addRule({ project: PROJECT, securityPolicy: 'scratch-policy', securityPolicyRuleResource: allow(20, ['10.0.0.0/8']) }));
    await c.wait(await policies.addRule({ project: PROJECT, securityPolicy: 'scratch-policy', securityPolicyRuleResource: allow(10, ['10.1.0.0/16']) }));
    const [policy] = await policies.get({ project: PROJECT, securityPolicy: 'scratch-policy' });
    expect(policy.rules!.map((r) => r.priority)).toEqual([10, 20, DEFAULT_RULE_PRIORITY]);
  });
});

describe("Cloud Armor's validation", () => {
  const add = (rule: Record<string, unknown>) => code(policies.addRule({ project: PROJECT, securityPolicy: POLICY, securityPolicyRuleResource: rule }));

  it('takes 10 source ranges in a SRC_IPS_V1 rule and refuses 11', async () => {
    await c.wait(await policies.addRule({ project: PROJECT, securityPolicy: POLICY, securityPolicyRuleResource: allow(2000, ips(10)) }));
    expect((await policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 2000 }))[0].match!.config!.srcIpRanges).toHaveLength(10);
    expect(await add(allow(2001, ips(11)))).toMatch(/^400: .*srcIpRanges.*at most 10 source IP ranges/);
  });

  it('refuses a priority already in use, out of range, or a bad range or action', async () => {
    expect(await add(allow(2000, ['192.0.2.0/24']))).toMatch(/^400: .*Cannot have rules with the same priorities/);
    expect(await add(allow(-1, ['192.0.2.0/24']))).toMatch(/^400: .*priority/);
    expect(await add(allow(2002, ['192.0.2.300/32']))).toMatch(/^400: .*srcIpRanges\[0\].*'192\.0\.2\.300\/32'/);
    expect(await add(allow(2002, ['10.0.0.0/33']))).toMatch(/^400: /);
    expect(await add({ ...allow(2002, ['192.0.2.0/24']), action: 'deny(418)' })).toMatch(/^400: .*action/);
    await c.wait(await policies.addRule({ project: PROJECT, securityPolicy: POLICY, securityPolicyRuleResource: { ...allow(2002, ['192.0.2.0/24']), action: 'deny' } }));
    expect((await policies.getRule({ project: PROJECT, securityPolicy: POLICY, priority: 2002 }))[0].action).toBe('deny(403)');
  });

  it('never removes the default rule, but lets its action change', async () => {
    expect(await code(policies.removeRule({ project: PROJECT, securityPolicy: POLICY, priority: DEFAULT_RULE_PRIORITY }))).toMatch(/^400: .*default rule cannot be removed/);
    expect(await code(policies.patchRule({ project: PROJECT, securityPolicy: POLICY, priority: DEFAULT_RULE_PRIORITY, securityPolicyRuleResource: allow(DEFAULT_RULE_PRIORITY, ['10.0.0.0/8']) }))).toMatch(/^400: .*default rule/);
    await c.wait(await policies.patchRule({ project: PROJECT, securityPolicy: 'scratch-policy', priority: DEFAULT_RULE_PRIORITY, securityPolicyRuleResource: { action: 'deny(404)' } }));
    expect((await policies.getRule({ project: PROJECT, securityPolicy: 'scratch-policy', priority: DEFAULT_RULE_PRIORITY }))[0].action).toBe('deny(404)');
  });

  it('fails the second of two concurrent addRules at one priority in its operation', async () => {
    const ops = await Promise.all([1, 2].map((i) => policies.addRule({ project: PROJECT, securityPolicy: POLICY, securityPolicyRuleResource: allow(3000, [`192.0.2.${i}/32`]) })));
    const done = await Promise.all(ops.map((op) => c.wait(op)));
    const errors = done.map((op) => (op as { error?: { errors?: { message?: string }[] } }).error?.errors?.[0]?.message).filter(Boolean);
    expect(errors).toEqual([expect.stringMatching(/Cannot have rules with the same priorities/)]);
  });
});

describe('shared/gcp/security-policies (the runtime wrapper)', () => {
  it('reads the policy and changes one rule at a time, each call returning once the rule is in force', async () => {
    const t = new Transport({ emulatorHost: emu.url });
    await addSecurityPolicyRule(t, PROJECT, POLICY, { priority: 1500, action: 'allow', description: 'netreflex', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.64/27'] } } });
    expect(await getSecurityPolicyRule(t, PROJECT, POLICY, 1500)).toMatchObject({ priority: 1500, action: 'allow' });
    await patchSecurityPolicyRule(t, PROJECT, POLICY, 1500, { priority: 1500, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['198.51.100.64/27', '198.51.100.0/26'] } } });
    expect((await getSecurityPolicy(t, PROJECT, POLICY)).rules.find((r) => r.priority === 1500)?.match.config?.srcIpRanges).toEqual(['198.51.100.64/27', '198.51.100.0/26']);
    await removeSecurityPolicyRule(t, PROJECT, POLICY, 1500);
    expect((await getSecurityPolicy(t, PROJECT, POLICY)).rules.some((r) => r.priority === 1500)).toBe(false);
    await expect(removeSecurityPolicyRule(t, PROJECT, POLICY, DEFAULT_RULE_PRIORITY)).rejects.toMatchObject({ code: 400 });
    await expect(addSecurityPolicyRule(t, PROJECT, POLICY, { priority: 1600, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ips(11) } } })).rejects.toMatchObject({ code: 400 });
  });
});

describe('setLabels', () => {
  it('replaces the labels under labelFingerprint: the official client sets them, a stale fingerprint is a 412', async () => {
    const [before] = await policies.get({ project: PROJECT, securityPolicy: POLICY });
    await c.wait(await policies.setLabels({ project: PROJECT, resource: POLICY, globalSetLabelsRequestResource: { labels: { team: 'ml' }, labelFingerprint: before.labelFingerprint } }));
    const [after] = await policies.get({ project: PROJECT, securityPolicy: POLICY });
    expect(after.labels).toEqual({ team: 'ml' });
    expect(after.labelFingerprint).not.toBe(before.labelFingerprint);
    expect(after.rules).toEqual(before.rules);
    expect(await code(policies.setLabels({ project: PROJECT, resource: POLICY, globalSetLabelsRequestResource: { labels: {}, labelFingerprint: before.labelFingerprint } }))).toMatch(/^412: /);
    expect(await code(policies.setLabels({ project: PROJECT, resource: POLICY, globalSetLabelsRequestResource: { labels: { Team: 'x' }, labelFingerprint: after.labelFingerprint } }))).toMatch(/^400: .*Label keys/);
  });

  it('lets exactly one of two wrapper calls with the same fingerprint through', async () => {
    const t = new Transport({ emulatorHost: emu.url });
    const { labelFingerprint } = await getSecurityPolicy(t, PROJECT, POLICY);
    const results = await Promise.allSettled(['a', 'b'].map((run) => setSecurityPolicyLabels(t, PROJECT, POLICY, { run }, labelFingerprint)));
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    // The loser was checked again when its operation applied: a failed operation, not a 412 answer.
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ status: 'CONDITIONNOTMET' });
  });
});
