/**
 * The egress check of workflows/vertex-pipeline-run.yaml (check_egress_allowed, run on the local
 * engine from the file itself) judges nothing itself: it asks armorAllowlistVerify and follows its
 * answer, failing closed. The function's answer here is the shared code's own (judgeEgress →
 * egressReport → the kernel's HTTP table), so the run proceeds exactly when the allowlist
 * reconciler's verdict allows every egress IP — the verdict `netreflex status` reports too.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { egressReport, judgeEgress } from '../../shared/status/egress-check.js';
import { httpStatus } from '../../shared/reconcile/report.js';
import type { SecurityPolicyRule } from '../../shared/gcp/security-policies.js';
import { result, run } from '../emulator/workflows/helpers.js';
import type { HttpRequest, HttpResponse } from '../../emulator/workflows/index.js';

const repo = parse(
  readFileSync(new URL('../../workflows/vertex-pipeline-run.yaml', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const IP = '203.0.113.5';
const VERIFY_URL = 'http://127.0.0.1:9/armorAllowlistVerify';
/** The repository's subworkflows under a main that only runs the egress check. */
const CHECK = stringify({
  ...repo,
  main: {
    params: ['input'],
    steps: [
      { check: { call: 'check_egress_allowed', args: { policy: 'inference-policy', ips: [IP] }, result: 'allowed' } },
      { done: { return: '${allowed}' } },
    ],
  },
});

const srcIps = (priority: number, action: string, ranges: string[], preview = false): SecurityPolicyRule => ({
  priority,
  action,
  preview,
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges } },
});
const cel = (priority: number, action: string, preview = false): SecurityPolicyRule => ({
  priority,
  action,
  preview,
  match: { expr: { expression: "origin.region_code == 'JP'" } },
});
const DEFAULT = srcIps(2147483647, 'deny(403)', ['*']);

type Http = (req: HttpRequest) => Promise<HttpResponse>;

/** armorAllowlistVerify over `rules`: what functions/armor-allowlist/verify.ts answers once it has read the policy. */
function verifier(rules: SecurityPolicyRule[], seen: HttpRequest[] = []): Http {
  return async (req) => {
    seen.push(req);
    if (req.method !== 'POST' || req.url !== VERIFY_URL) throw new Error(`unexpected http ${req.method} ${req.url}`);
    const { policy, ips } = req.body as { policy: string; ips: string[] };
    const report = egressReport(policy, judgeEgress({ name: policy, rules }, ips));
    return { code: httpStatus(report), headers: { 'content-type': 'application/json' }, body: report };
  };
}
const deps = (http: Http, env: Record<string, string> = { NETREFLEX_ARMOR_VERIFY_URL: VERIFY_URL }) => ({ http, env });

describe('check_egress_allowed of vertex-pipeline-run.yaml', () => {
  it('asks armorAllowlistVerify with the policy and the egress IPs, as the workflow (OIDC), and returns the allowing rules', async () => {
    const seen: HttpRequest[] = [];
    expect(
      await result(CHECK, null, deps(verifier([srcIps(1000, 'allow', ['203.0.113.0/28']), DEFAULT], seen))),
    ).toEqual({ [IP]: 1000 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ body: { policy: 'inference-policy', ips: [IP] }, auth: { type: 'OIDC' } });
  });

  it.each([
    [
      'only the default deny',
      [DEFAULT],
      /inference-policy does not allow egress IP 203\.0\.113\.5: rule 2147483647 \(deny\(403\)\) decides/,
    ],
    [
      'a CEL deny ahead of the allow rule',
      [cel(500, 'deny(403)'), srcIps(1000, 'allow', ['203.0.113.0/28']), DEFAULT],
      /inference-policy cannot be judged for egress IP 203\.0\.113\.5: rule 500 uses an expression .*failing closed/,
    ],
    [
      'a CEL allow ahead of the default deny',
      [cel(500, 'allow'), DEFAULT],
      /cannot be judged for egress IP 203\.0\.113\.5: rule 500/,
    ],
    [
      'an SRC_IPS deny ahead of the allow rule',
      [srcIps(10, 'deny(403)', ['203.0.113.0/24']), srcIps(1000, 'allow', ['203.0.113.5/32']), DEFAULT],
      /does not allow egress IP 203\.0\.113\.5: rule 10 \(deny\(403\)\) decides/,
    ],
  ] as const)(
    "%s: the run stops at check_allowlist with the verifier's reason (HTTP 422)",
    async (_name, rules, why) => {
      const outcome = await run(CHECK, null, deps(verifier([...rules])));
      expect(outcome.state).toBe('FAILED');
      expect(outcome.errorValue).toMatchObject({
        step: 'check_allowlist',
        message: expect.stringMatching(/^check_allowlist failed \(HTTP 422\): /),
      });
      expect((outcome.errorValue as { message: string }).message).toMatch(why);
    },
  );

  it.each([
    [
      'a CEL rule after the allow rule',
      [srcIps(1000, 'allow', ['203.0.113.5/32']), cel(1500, 'deny(403)'), DEFAULT],
      1000,
    ],
    [
      'a CEL rule in preview (it only logs)',
      [cel(10, 'deny(403)', true), srcIps(1000, 'allow', ['203.0.113.0/28']), DEFAULT],
      1000,
    ],
  ] as const)('%s: the run proceeds', async (_name, rules, priority) => {
    expect(await result(CHECK, null, deps(verifier([...rules])))).toEqual({ [IP]: priority });
  });

  it('fails closed on a 200 that does not name the allowing rule of every IP', async () => {
    const outcome = await run(
      CHECK,
      null,
      deps(async () => ({
        code: 200,
        headers: { 'content-type': 'application/json' },
        body: { status: 'ok', allowedBy: {} },
      })),
    );
    expect(outcome.state).toBe('FAILED');
    expect(outcome.errorValue).toMatchObject({
      step: 'check_allowlist',
      ip: IP,
      message:
        'check_allowlist: armorAllowlistVerify did not confirm that inference-policy allows egress IP 203.0.113.5; failing closed',
    });
  });

  it('fails closed when the verifier cannot be reached, after the retries', async () => {
    let calls = 0;
    const unreachable: Http = async () => {
      calls++;
      throw new Error('connect ECONNREFUSED');
    };
    const outcome = await run(CHECK, null, deps(unreachable));
    expect(outcome.state).toBe('FAILED');
    expect(outcome.errorValue).toMatchObject({
      step: 'check_allowlist',
      message: expect.stringMatching(/^check_allowlist failed/),
    });
    expect(calls).toBeGreaterThan(1); // http.default_retry tried again
  });

  it('fails closed, naming the setting, when NETREFLEX_ARMOR_VERIFY_URL is not set', async () => {
    const outcome = await run(CHECK, null, deps(verifier([srcIps(1000, 'allow', [IP]), DEFAULT]), {}));
    expect(outcome.state).toBe('FAILED');
    expect(outcome.errorValue).toMatchObject({
      step: 'check_allowlist',
      message: 'check_allowlist: the function URL is not set (user_env_vars of the workflow)',
    });
  });
});
