import type { AllowlistReport } from '../plan/allowlist-report.js';
import { LEASE_MS } from '../plan/allowlist-claim.js';

/**
 * Whether the allowlist sync can do its job, judged by the sync itself (a dry run of
 * armorAllowlist's reconcile: the same read, parse, plan and refusals). A live file that is refused
 * or missing stalls it: the policies keep the last file they hold, and only its expiries still run —
 * which is BROKEN, with what is refused since when, what expired, and the fix. A valid file with
 * steps still to apply is not: the next event or tick applies them — unless a sync already claimed
 * the policy for it and did not record it (it failed part-way, e.g. on Cloud Armor's quota, and
 * each tick fails the same way): UNKNOWN while that claim could still be a running sync (its lease,
 * well past the function's timeout), BROKEN after. Never OK: the policy does not hold the file.
 */
export interface AllowlistSyncState {
  readonly broken?: { readonly reason: string; readonly fix: string };
  /** The dry run itself could not read what it needs. */
  readonly unknown?: { readonly reason: string; readonly fix: string };
  readonly details: string[];
}

export function allowlistSyncState(report: AllowlistReport, nowMs = Date.now()): AllowlistSyncState {
  const details: string[] = [];
  for (const p of report.policies) {
    const holds = p.holds ? `holds #${p.holds}` : 'holds no recorded allowlist generation';
    details.push(`${p.policy}: ${holds}; ${policyState(p)}${p.reason ? ` (${p.reason})` : ''}`);
    for (const e of p.expired ?? [])
      details.push(
        `${p.policy}: ${e.path ?? e.where} ${e.entry} (${e.description}) expired ${e.expires}: ` +
          (e.stillAllowed ? 'STILL ALLOWED (the next sync removes it)' : 'removed'),
      );
  }
  if (report.quota)
    details.push(
      `security policy rules in the project: ${report.quota.now} of the budget ${report.quota.budget}` +
        (report.quota.peak > report.quota.now ? ` (${report.quota.peak} at the peak of the pending sync)` : ''),
    );
  if (report.stall) {
    const s = report.stall;
    const what = s.kind === 'missing-file' ? `${s.source} is missing` : `${s.source} is refused (${s.kind})`;
    const first = report.refusal?.message.split('\n')[0];
    const reason =
      `${what}${s.since ? ` since ${s.since}` : ''}: the allowlist is not applied, only the expiries of ` +
      `the last applied file are${first && s.kind !== 'missing-file' ? `; ${first}` : ''}`;
    return { broken: { reason, fix: s.fix }, details: [...details, ...(report.refusal?.problems ?? []).slice(0, 10)] };
  }
  const partWay = report.policies.filter((p) => p.role !== 'last-applied' && p.applying && p.steps.length);
  if (report.status !== 'refused' && partWay.length) {
    const reason = partWay
      .map(
        (p) =>
          `${p.policy} is part-way to #${p.applying!.generation}: a sync claimed it${p.applying!.since ? ` at ${p.applying!.since}` : ''} and has not recorded it (${p.steps.length} step(s) still to apply; it holds ${p.holds ? `#${p.holds}` : 'no recorded generation'})`,
      )
      .join('; ');
    const fix = `read armorAllowlist's log for that generation: a step failed part-way (the revocations before it are done); for Cloud Armor's quota (Quota 'SECURITY_POLICY_RULES' exceeded) raise the project's quota, then NETREFLEX_ARMOR_RULE_QUOTA, or merge or remove entries and upload again`;
    const running = partWay.some((p) => !p.applying!.since || nowMs - Date.parse(p.applying!.since) < LEASE_MS);
    return running
      ? { unknown: { reason: `${reason} — still running, or failed part-way`, fix }, details }
      : { broken: { reason: `${reason} — it failed part-way`, fix }, details };
  }
  if (report.status === 'refused' && report.refusal)
    return {
      broken: {
        reason: `the allowlist is refused (${report.refusal.kind})`,
        fix: report.refusal.message.split('\n')[0]!,
      },
      details,
    };
  return { details };
}

/** Where a policy stands against the file the sync reads. */
function policyState(p: AllowlistReport['policies'][number]): string {
  if (p.role === 'last-applied') return 'kept at it while the live file cannot be applied';
  return p.steps.length ? `${p.steps.length} step(s) to apply` : 'in sync with the file';
}
