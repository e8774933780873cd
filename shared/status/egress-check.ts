/**
 * The egress check, an observer like `netreflex status` (which judges its Allowlists link with it):
 * does each Cloud Armor policy let each egress IP through? Judged with the one
 * verdict (shared/plan/armor-verdict.ts) the allowlist reconciler's verify reports `overruled` with and
 * `netreflex status` reports its Allowlists link with, so the workflow that asks this before a
 * pipeline run, status and the reconciler cannot disagree about an IP. Fails closed: an IP is
 * only allowed when the first rule that decides for it (by priority, preview rules only log) is
 * an `allow`; a deny, no matching rule, or a CEL rule that could decide first (which netreflex
 * cannot evaluate from the policy alone) is not.
 *
 * Over HTTP this is `armorAllowlistVerify` (functions/armor-allowlist/verify.ts), answered in the
 * kernel's envelope: `ok` 200, `degraded` 422 (an IP not allowed or not judgeable: a person must
 * act), `refused` 400 (a bad request), `failed` 503 (transient, retry) or 422 (the policy missing,
 * a permission).
 */
import * as z from 'zod';
import type { Transport } from '../gcp/transport.js';
import { getSecurityPolicy, type SecurityPolicy } from '../gcp/security-policies.js';
import { parseRequest } from '../util/parse-request.js';
import { resourceName } from '../names.js';
import { formatAddress, tryParseCidr } from '../net/cidr.js';
import { degrade, failedEnvelope, failureOf, type Envelope } from '../reconcile/report.js';
import { evaluateIp } from '../plan/armor-verdict.js';

/**
 * One IP address, read by netreflex's one address parser and answered in canonical form (the
 * workflow's NETREFLEX_EGRESS_IPS; `netreflex status` reads the same).
 */
export const ipAddress = z.string('each IP must be a string').transform((text, ctx) => {
  const parsed = tryParseCidr(text);
  if (parsed?.bareAddress) return formatAddress(parsed.family, parsed.first);
  ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is not an IP address (such as 203.0.113.5)` });
  return z.NEVER;
});

/** What the workflow asks: one policy and the egress IPs it must allow (NETREFLEX_EGRESS_IPS). */
export const egressRequest = z.strictObject({
  policy: resourceName,
  ips: z
    .array(ipAddress, 'ips must be a list of IP addresses')
    .min(1, 'ips must name at least one egress IP (NETREFLEX_EGRESS_IPS of the workflow)')
    .max(64, 'ips must name at most 64 egress IPs'),
});
export type EgressRequest = z.infer<typeof egressRequest>;

export const parseEgressRequest = (input: unknown): EgressRequest =>
  parseRequest(
    egressRequest,
    input,
    'egress check: the request is invalid; send {"policy": "<security policy>", "ips": ["<egress IP>", …]}:',
  );

export type Decision = 'allow' | 'deny' | 'unknown';

/** What the policy does with one IP, and the rule that decides it. */
export interface IpVerdict {
  readonly ip: string;
  readonly decision: Decision;
  /** The deciding rule's priority and action; none when no rule matches (Cloud Armor then denies). */
  readonly rule?: { readonly priority: number; readonly action: string };
  /** A sentence for logs, reports and the workflow's error. */
  readonly why: string;
}

export interface EgressReport extends Envelope<IpVerdict> {
  readonly policy: string;
  /** Allowed IPs → the priority of the rule that allows each; every IP when `status` is `ok`. */
  readonly allowedBy: Record<string, number>;
}

/** Each IP's verdict under `policy`: pure, the same for every caller. */
export function judgeEgress(policy: Pick<SecurityPolicy, 'name' | 'rules'>, ips: readonly string[]): IpVerdict[] {
  return ips.map((ip) => {
    const v = evaluateIp(policy, ip);
    const rule = v.rule ? { priority: v.rule.priority, action: v.rule.action } : undefined;
    const by = rule ? `rule ${rule.priority} (${rule.action}) decides` : 'no rule matches it, so Cloud Armor denies it';
    const what = `${policy.name} ${v.decision === 'allow' ? 'allows' : v.decision === 'deny' ? 'does not allow' : 'cannot be judged for'} egress IP ${ip}`;
    const why =
      v.decision === 'unknown'
        ? `${what}: ${v.why}, ahead of the rule that matches; failing closed (move it after the allow rules, or check it by hand)`
        : v.decision === 'allow'
          ? `${what}: ${by}`
          : `${what}: ${by}; add it to the allowlist file (a cloudNat entry) and let armorAllowlist apply it`;
    return { ip, decision: v.decision, ...(rule ? { rule } : {}), why };
  });
}

/** The report of a judged policy: ok only when every IP is allowed. */
export function egressReport(policy: string, verdicts: readonly IpVerdict[]): EgressReport {
  const report: EgressReport = {
    status: 'ok',
    reasons: [],
    warnings: [],
    dryRun: true,
    results: [...verdicts],
    mutations: 0,
    retry: false,
    policy,
    allowedBy: {},
  };
  for (const v of verdicts) {
    if (v.decision === 'allow') report.allowedBy[v.ip] = v.rule!.priority;
    else degrade(report, v.why);
  }
  return report;
}

/** Reads the policy and judges the request's IPs; a failed read is a `failed` report, never a throw. */
export async function checkEgress(t: Transport, project: string, request: EgressRequest): Promise<EgressReport> {
  let policy: SecurityPolicy;
  try {
    policy = await getSecurityPolicy(t, project, request.policy);
  } catch (err) {
    const error = failureOf(err);
    const reason = `cannot read Cloud Armor policy ${request.policy} of project ${project}${error.transient ? ' (transient; retry)' : ''}: ${error.message}`;
    return { ...failedEnvelope(error, { reason, dryRun: true }), policy: request.policy, allowedBy: {} };
  }
  return egressReport(request.policy, judgeEgress(policy, request.ips));
}
