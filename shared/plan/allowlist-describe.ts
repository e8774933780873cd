/** The one-line story of a sync, for the log message and the CLI's last line. */
import type { AllowlistReport, PolicyReport } from './allowlist-report.js';

const ROLE: Record<PolicyReport['role'], string> = {
  target: '',
  untargeted: ' (no longer targeted)',
  'last-applied': ' (kept at its last applied file)',
};

/** `lists.partners.entries[2] 198.51.100.200 (Partner B …) expired 2030-03-31T00:00:00.000Z`, and whether it is still let through. */
function expiredLine(e: NonNullable<PolicyReport['expired']>[number]): string {
  return `${e.path ?? e.where} ${e.entry} (${e.description}) expired ${e.expires}${e.stillAllowed ? ', STILL ALLOWED' : ', removed'}`;
}

function policyLine(p: PolicyReport): string {
  const s = p.summary;
  const counts = s
    ? ` (+${s.rulesAdded} ~${s.rulesPatched} -${s.rulesRemoved} rules; allows +${s.allowedAdded.length} -${s.allowedRemoved.length} ranges)`
    : '';
  const holds = p.holds ? ` holds #${p.holds}` : '';
  const expired = p.expired?.length ? `; expired: ${p.expired.map(expiredLine).join('; ')}` : '';
  const verify =
    p.verify && !p.verify.converged
      ? `; NOT verified${p.verify.missing.length ? `, missing ${p.verify.missing.join(', ')}` : ''}${p.verify.problem ? `, ${p.verify.problem}` : ''}`
      : '';
  const overruled = p.verify?.overruled.length ? `; overruled by rules ahead: ${p.verify.overruled.join('; ')}` : '';
  return `${p.policy}${ROLE[p.role]} ${p.status}${counts}${holds}${expired}${verify}${overruled}${p.reason ? `: ${p.reason}` : ''}`;
}

function quotaLine(r: AllowlistReport): string {
  const q = r.quota;
  return q ? `; project rules ${q.now} → ${q.after} (peak ${q.peak}) of ${q.budget}` : '';
}

export function describeReport(r: AllowlistReport): string {
  const policies = r.policies.map(policyLine).join('; ');
  if (r.status === 'refused' && r.refusal) {
    const kept = r.policies.length
      ? ` Meanwhile: ${policies}; ${r.mutations} mutations.`
      : ' The policies are unchanged.';
    return `refused ${r.source} (${r.refusal.kind}); nothing of it is applied. ${r.refusal.message}${kept}`;
  }
  if (r.why) return `${r.status}: ${r.why}`;
  return `${r.status}: ${r.source}${r.dryRun ? ' (dry run)' : ''}: ${policies || 'no policy targeted'}; ${r.mutations} mutations${quotaLine(r)}`;
}
