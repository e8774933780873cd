/** The one-line story of a sync, for the log message and the CLI's last line. */
import type { AllowlistReport, PolicyReport } from './report.js';

function policyLine(p: PolicyReport): string {
  const s = p.summary;
  const counts = s ? ` (+${s.rulesAdded} ~${s.rulesPatched} -${s.rulesRemoved} rules; allows +${s.allowedAdded.length} -${s.allowedRemoved.length} ranges${s.expiredEntries ? `; ${s.expiredEntries} expired entries dropped` : ''})` : '';
  const verify = p.verify && !p.verify.converged ? `; NOT verified${p.verify.missing.length ? `, missing ${p.verify.missing.join(', ')}` : ''}${p.verify.problem ? `, ${p.verify.problem}` : ''}` : '';
  return `${p.policy} ${p.status}${counts}${verify}${p.reason ? `: ${p.reason}` : ''}`;
}

export function describeReport(r: AllowlistReport): string {
  if (r.status === 'refused' && r.refusal) return `refused ${r.source} (${r.refusal.kind}); the policy is unchanged. ${r.refusal.message}`;
  if (r.why) return `${r.status}: ${r.why}`;
  const policies = r.policies.map(policyLine).join('; ');
  return `${r.status}: ${r.source}${r.dryRun ? ' (dry run)' : ''}: ${policies || 'no policy targeted'}; ${r.mutations} mutations`;
}
