/**
 * Checks that need the clock or the whole file, run by `netreflex validate` before upload:
 * entries already expired (harmless, but dead lines hide live ones in review) and lists that
 * cannot fit their policy's priority band (the function would refuse the sync).
 */
import { aggregate, parseCidr } from '../net/cidr.js';
import type { AllowlistConfig } from './config.js';
import type { Problem } from './problems.js';
import { isExpiredAt } from './expiry.js';

const MAX_RANGES_PER_RULE = 10;

export function lintAllowlist(config: AllowlistConfig, now: Date): Problem[] {
  return [...expiredEntries(config, now), ...bandCapacity(config, now)];
}

function expiredEntries(config: AllowlistConfig, now: Date): Problem[] {
  return config.lists.flatMap((list) =>
    list.entries.flatMap((entry) =>
      isExpiredAt(entry, now)
        ? [problemAt(entry.where, entry.path ?? '', `expired on ${entry.expires!.toISOString()}; it allows nothing any more and can be deleted`, 'warning')]
        : [],
    ),
  );
}

/** Rules needed per policy: each list's merged static ranges plus one per Cloud NAT source (at least one IP each). */
function bandCapacity(config: AllowlistConfig, now: Date): Problem[] {
  const size = config.priorities.to - config.priorities.from + 1;
  const policies = [...new Set(config.lists.flatMap((l) => l.policies))];
  return policies.flatMap((policy) => {
    const lists = config.lists.filter((l) => l.policies.includes(policy));
    const rules = lists.reduce((n, list) => {
      const live = list.entries.filter((e) => !isExpiredAt(e, now));
      const ranges = aggregate(live.flatMap((e) => (e.kind === 'static' ? e.cidrs.map(parseCidr) : []))).length;
      const sources = live.filter((e) => e.kind === 'cloudNat').length;
      return n + Math.ceil((ranges + sources) / MAX_RANGES_PER_RULE);
    }, 0);
    if (rules <= size) return [];
    return [problemAt(`${config.source}:1:1`, 'priorities', `policy ${policy} needs at least ${rules} rules (${MAX_RANGES_PER_RULE} ranges each, one list per rule) but the band ${config.priorities.from}–${config.priorities.to} holds ${size}; widen priorities or merge entries`, 'error')];
  });
}

function problemAt(where: string, path: string, message: string, severity: Problem['severity']): Problem {
  const parts = where.split(':');
  const column = Number(parts.pop());
  const line = Number(parts.pop());
  return { severity, message, path, line, column, source: parts.join(':') };
}
