/**
 * Checks that need the clock or the whole file, run by `netreflex validate` before upload:
 * entries already expired (harmless, but dead lines hide live ones in review), what the lists of
 * each policy open together (merged, IPv4-mapped IPv6 judged as IPv4), lists that cannot fit their
 * policy's priority band, and files that need more rules than the project's rule budget — each of
 * which the function would refuse.
 */
import { aggregate, parseCidr } from '../net/cidr.js';
import { targetPolicies, type Allowlist } from './model.js';
import type { Problem } from './problems.js';
import { isExpiredAt } from './expiry.js';
import { mergedProblems, reportedAs, wideRangeReason } from './safety.js';

const MAX_RANGES_PER_RULE = 10;

/** The rules a file needs at least: per policy, and with each policy's default rule, against the budget. */
export interface RuleNeed {
  readonly perPolicy: Readonly<Record<string, number>>;
  /** Σ perPolicy + one default rule per policy: a lower bound of the project's rules once applied. */
  readonly total: number;
  readonly budget: number;
}

export function lintAllowlist(allowlist: Allowlist, now: Date, budget = 200): Problem[] {
  return [
    ...expiredEntries(allowlist, now),
    ...mergedSafety(allowlist, now),
    ...bandCapacity(allowlist, now),
    ...ruleBudget(allowlist, now, budget),
  ];
}

function expiredEntries(allowlist: Allowlist, now: Date): Problem[] {
  return allowlist.lists.flatMap((list) =>
    list.entries.flatMap((entry) =>
      isExpiredAt(entry, now)
        ? [
            problemAt(
              entry.where,
              entry.path ?? '',
              `expired on ${entry.expires!.toISOString()}; it allows nothing any more and can be deleted`,
              'warning',
            ),
          ]
        : [],
    ),
  );
}

/** The planner's result checks on the static entries (Cloud NAT IPs are only known to the function). */
function mergedSafety(allowlist: Allowlist, now: Date): Problem[] {
  return targetPolicies(allowlist).flatMap((policy) => {
    const reported = new Set<string>();
    const lists = allowlist.lists
      .filter((l) => l.policies.includes(policy))
      .map((list) => {
        const ranges = list.entries
          .filter((e) => e.kind === 'static' && !isExpiredAt(e, now))
          .flatMap((e) => (e.kind === 'static' ? e.cidrs.map(parseCidr) : []));
        for (const r of ranges)
          if (wideRangeReason(r, allowlist.safety)) for (const c of reportedAs(r)) reported.add(c);
        return { name: list.name, ranges };
      });
    return mergedProblems(policy, lists, allowlist.safety, reported).map((m) =>
      problemAt(`${allowlist.source}:1:1`, 'lists', m, 'error'),
    );
  });
}

/** Rules needed per policy: each list's merged static ranges plus one per Cloud NAT source (at least one IP each). */
export function rulesNeeded(allowlist: Allowlist, now: Date, budget: number): RuleNeed {
  const perPolicy: Record<string, number> = {};
  for (const policy of targetPolicies(allowlist)) {
    perPolicy[policy] = allowlist.lists
      .filter((l) => l.policies.includes(policy))
      .reduce((n, list) => {
        const live = list.entries.filter((e) => !isExpiredAt(e, now));
        const ranges = aggregate(live.flatMap((e) => (e.kind === 'static' ? e.cidrs.map(parseCidr) : []))).length;
        const sources = live.filter((e) => e.kind === 'cloudNat').length;
        return n + Math.ceil((ranges + sources) / MAX_RANGES_PER_RULE);
      }, 0);
  }
  const policies = Object.keys(perPolicy);
  return { perPolicy, total: policies.reduce((n, p) => n + perPolicy[p]! + 1, 0), budget };
}

function bandCapacity(allowlist: Allowlist, now: Date): Problem[] {
  const size = allowlist.priorities.to - allowlist.priorities.from + 1;
  const need = rulesNeeded(allowlist, now, 0);
  return Object.entries(need.perPolicy).flatMap(([policy, rules]) =>
    rules <= size
      ? []
      : [
          problemAt(
            `${allowlist.source}:1:1`,
            'priorities',
            `policy ${policy} needs at least ${rules} rules (${MAX_RANGES_PER_RULE} ranges each, one list per ` +
              `rule) but the band ${allowlist.priorities.from}–${allowlist.priorities.to} holds ${size}; widen priorities or merge entries`,
            'error',
          ),
        ],
  );
}

function ruleBudget(allowlist: Allowlist, now: Date, budget: number): Problem[] {
  const need = rulesNeeded(allowlist, now, budget);
  if (need.total <= budget) return [];
  const per = Object.entries(need.perPolicy)
    .map(([p, n]) => `${n} in ${p}`)
    .join(', ');
  return [
    problemAt(
      `${allowlist.source}:1:1`,
      'lists',
      `the file needs at least ${need.total} security policy rules (${per}, plus each policy's default ` +
        `rule) but the project's budget is ${budget} (NETREFLEX_ARMOR_RULE_QUOTA; Cloud Armor's ` +
        `SECURITY_POLICY_RULES quota counts every rule of every policy of the project); merge entries into ` +
        `wider ranges or remove some`,
      'error',
    ),
  ];
}

function problemAt(where: string, path: string, message: string, severity: Problem['severity']): Problem {
  const parts = where.split(':');
  const column = Number(parts.pop());
  const line = Number(parts.pop());
  return { severity, message, path, line, column, source: parts.join(':') };
}
