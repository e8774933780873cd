/**
 * The workflow's allowlist check and `netreflex status` judge a Cloud Armor policy the same way:
 * for any rule set and egress IP, the workflow's first_matching_rule (run on the local engine from
 * workflows/vertex-pipeline-run.yaml itself) allows, denies or cannot judge exactly when
 * evaluateIp does — so a CEL rule that could decide first fails the run closed, as status reports
 * UNKNOWN, instead of reading as "allowed".
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { evaluateIp } from '../../shared/armor-allowlist/egress-verdict.js';
import type { SecurityPolicyRule } from '../../shared/gcp/security-policies.js';
import { result, run } from '../emulator/workflows/helpers.js';
import type { Value } from '../../emulator/workflows/index.js';

const repo = parse(readFileSync(new URL('../../workflows/vertex-pipeline-run.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;
/** The repository's subworkflows under a main that only judges one IP. */
const JUDGE = stringify({
  ...repo,
  main: { params: ['input'], steps: [{ judge: { call: 'first_matching_rule', args: { rules: '${input.rules}', ip: '${input.ip}' }, result: 'rule' } }, { done: { return: '${rule}' } }] },
});

type Decision = 'allow' | 'deny' | 'unknown';

async function workflowDecision(rules: SecurityPolicyRule[], ip: string): Promise<{ decision: Decision; priority?: number }> {
  const r = (await result(JUDGE, { rules, ip } as unknown as Value)) as { unjudged?: boolean; priority: number; action: string } | null;
  if (r === null) return { decision: 'deny' };
  if (r.unjudged) return { decision: 'unknown', priority: r.priority };
  return { decision: /^allow/.test(r.action) ? 'allow' : 'deny', priority: r.priority };
}

function statusDecision(rules: SecurityPolicyRule[], ip: string): { decision: Decision; priority?: number } {
  const v = evaluateIp({ rules }, ip);
  return { decision: v.decision, ...(v.rule ? { priority: v.rule.priority } : {}) };
}

const IP = '203.0.113.5';
const srcIps = (priority: number, action: string, ranges: string[], preview = false): SecurityPolicyRule => ({ priority, action, preview, match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } } });
const cel = (priority: number, action: string, preview = false): SecurityPolicyRule => ({ priority, action, preview, match: { expr: { expression: "origin.region_code == 'JP'" } } });
const DEFAULT = srcIps(2147483647, 'deny(403)', ['*']);

describe('the allowlist check of vertex-pipeline-run.yaml', () => {
  it.each([
    ['an allow rule for the IP', [srcIps(1000, 'allow', ['203.0.113.0/28']), DEFAULT], 'allow'],
    ['only the default deny', [DEFAULT], 'deny'],
    ['a CEL deny ahead of the allow rule: cannot be judged, fails closed', [cel(500, 'deny(403)'), srcIps(1000, 'allow', ['203.0.113.0/28']), DEFAULT], 'unknown'],
    ['a CEL allow ahead of the default deny: still cannot be judged', [cel(500, 'allow'), DEFAULT], 'unknown'],
    ['a CEL rule after the allow rule does not matter', [srcIps(1000, 'allow', ['203.0.113.5/32']), cel(1500, 'deny(403)'), DEFAULT], 'allow'],
    ['a CEL rule in preview only logs', [cel(10, 'deny(403)', true), srcIps(1000, 'allow', ['203.0.113.0/28']), DEFAULT], 'allow'],
  ] as const)('%s', async (_name, rules, decision) => {
    expect((await workflowDecision([...rules], IP)).decision).toBe(decision);
    expect(statusDecision([...rules], IP).decision).toBe(decision);
  });

  it('agrees with netreflex status on every rule set (property)', async () => {
    const cidr = fc.constantFrom('203.0.113.0/28', '203.0.113.5/32', '198.51.100.0/24', '0.0.0.0/0', '*', '203.0.113.128/25');
    const rule = fc.record({
      priority: fc.integer({ min: 0, max: 3000 }),
      action: fc.constantFrom('allow', 'deny(403)', 'deny(404)'),
      preview: fc.boolean(),
      kind: fc.constantFrom('src', 'src', 'cel'),
      ranges: fc.array(cidr, { minLength: 1, maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(rule, { selector: (r) => r.priority, maxLength: 6 }), async (specs) => {
        const rules = [...specs.map((s) => (s.kind === 'cel' ? cel(s.priority, s.action, s.preview) : srcIps(s.priority, s.action, s.ranges, s.preview))), DEFAULT];
        expect(await workflowDecision(rules, IP)).toEqual(statusDecision(rules, IP));
      }),
      { seed: 20261201, numRuns: 150 },
    );
  });
});

describe('check_egress_allowed', () => {
  const CHECK = stringify({
    ...repo,
    main: { params: ['input'], steps: [{ check: { call: 'check_egress_allowed', args: { project: 'netreflex-demo', policy: 'inference-policy', ips: [IP] }, result: 'allowed' } }, { done: { return: '${allowed}' } }] },
  });
  const withPolicy = (rules: SecurityPolicyRule[]) => ({
    connector: async (name: string) => {
      if (name !== 'googleapis.compute.v1.securityPolicies.get') throw new Error(`unexpected connector ${name}`);
      return { name: 'inference-policy', rules } as unknown as Value;
    },
  });

  it('fails the run closed at check_allowlist when a CEL rule could decide first, naming the rule', async () => {
    const outcome = await run(CHECK, null, withPolicy([cel(500, 'deny(403)'), srcIps(1000, 'allow', ['203.0.113.0/28']), DEFAULT]));
    expect(outcome.state).toBe('FAILED');
    expect(outcome.errorValue).toMatchObject({ step: 'check_allowlist', priority: 500, message: expect.stringMatching(/inference-policy cannot be judged for egress IP 203\.0\.113\.5: rule 500 uses an expression this check cannot evaluate.*failing closed/) });
  });

  it('passes with the rule that allows, when no CEL rule comes first', async () => {
    expect(await result(CHECK, null, withPolicy([srcIps(1000, 'allow', ['203.0.113.0/28']), cel(1500, 'deny(403)'), DEFAULT]))).toEqual({ [IP]: 1000 });
  });
});
