/**
 * Does a Cloud Armor policy let an IP through? Cloud Armor evaluates rules by priority, lowest
 * number first, and the first match decides; rules in `preview` only log. Only `SRC_IPS_V1` rules
 * can be judged from the policy alone — a CEL (`expr`) rule at a winning priority makes the answer
 * "unknown", never a guess.
 */
import { cidrsContain } from '../net/cidr.js';
import type { SecurityPolicy, SecurityPolicyRule } from '../gcp/security-policies.js';
import type { AllowlistReport } from '../armor-allowlist/report.js';

export type Verdict =
  | { decision: 'allow' | 'deny'; rule: SecurityPolicyRule }
  | { decision: 'unknown'; rule: SecurityPolicyRule; why: string }
  | { decision: 'deny'; rule?: undefined };

function matchesIp(rule: SecurityPolicyRule, ip: string): boolean | 'unknown' {
  if (rule.match?.versionedExpr !== 'SRC_IPS_V1') return 'unknown';
  const ranges = rule.match?.config?.srcIpRanges ?? [];
  if (ranges.includes('*')) return true;
  const host = ip.includes(':') ? `${ip}/128` : `${ip}/32`;
  return cidrsContain(ranges, host);
}

/** The rule that decides for `ip`, and whether it allows (any `allow*` action) or denies. */
export function evaluateIp(policy: Pick<SecurityPolicy, 'rules'>, ip: string): Verdict {
  const rules = [...(policy.rules ?? [])].filter((r) => r.preview !== true).sort((a, b) => a.priority - b.priority);
  for (const rule of rules) {
    const m = matchesIp(rule, ip);
    if (m === 'unknown') return { decision: 'unknown', rule, why: `rule ${rule.priority} uses an expression this check cannot evaluate` };
    if (m) return { decision: rule.action.startsWith('allow') ? 'allow' : 'deny', rule };
  }
  return { decision: 'deny' };
}

/**
 * Whether the allowlist sync can do its job, judged by the sync itself (a dry run of
 * armorAllowlist's reconcile: the same read, parse, plan and refusals). A live file that is refused
 * or missing stalls it: the policies keep the last file they hold, and only its expiries still run —
 * which is BROKEN, with what is refused since when, what expired, and the fix. A valid file with
 * steps still to apply is not: the next event or tick applies them.
 */
export interface AllowlistSyncState {
  readonly broken?: { readonly reason: string; readonly fix: string };
  /** The dry run itself could not read what it needs. */
  readonly unknown?: { readonly reason: string; readonly fix: string };
  readonly details: string[];
}

export function allowlistSyncState(report: AllowlistReport): AllowlistSyncState {
  const details: string[] = [];
  for (const p of report.policies) {
    const holds = p.holds ? `holds #${p.holds}` : 'holds no recorded allowlist generation';
    details.push(`${p.policy}: ${holds}; ${p.role === 'last-applied' ? 'kept at it while the live file cannot be applied' : p.steps.length ? `${p.steps.length} step(s) to apply` : 'in sync with the file'}${p.reason ? ` (${p.reason})` : ''}`);
    for (const e of p.expired ?? []) details.push(`${p.policy}: ${e.path ?? e.where} ${e.entry} (${e.description}) expired ${e.expires}: ${e.stillAllowed ? 'STILL ALLOWED (the next sync removes it)' : 'removed'}`);
  }
  if (report.quota) details.push(`security policy rules in the project: ${report.quota.now} of the budget ${report.quota.budget}${report.quota.peak > report.quota.now ? ` (${report.quota.peak} at the peak of the pending sync)` : ''}`);
  if (report.stall) {
    const s = report.stall;
    const what = s.kind === 'missing-file' ? `${s.source} is missing` : `${s.source} is refused (${s.kind})`;
    const first = report.refusal?.message.split('\n')[0];
    const reason = `${what}${s.since ? ` since ${s.since}` : ''}: the allowlist is not applied, only the expiries of the last applied file are${first && s.kind !== 'missing-file' ? `; ${first}` : ''}`;
    return { broken: { reason, fix: s.fix }, details: [...details, ...(report.refusal?.problems ?? []).slice(0, 10)] };
  }
  if (report.status === 'refused' && report.refusal) return { broken: { reason: `the allowlist is refused (${report.refusal.kind})`, fix: report.refusal.message.split('\n')[0]! }, details };
  return { details };
}
