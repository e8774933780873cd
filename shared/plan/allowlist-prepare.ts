/**
 * The decisions of one allowlist sync that read nothing: which policies the file stopped targeting
 * and what it wants there, what a policy's sync is prepared as, the rule quota it is checked
 * against, the file as a sync under the kernel's policy plans it, and every report, refusal and
 * message the sync writes along the way. Pure (no I/O, no clock): shared/armor-allowlist/prepare.ts
 * and reconcile.ts read the bucket and the policies, keep the order of the work and call these.
 */
import type { SecurityPolicy } from '../gcp/security-policies.js';
import type { Policy } from '../reconcile/plan.js';
import { targetPolicies, type Allowlist } from '../allowlist/model.js';
import { AllowlistFileError, AllowlistSafetyError } from '../allowlist/errors.js';
import { parseAllowlist } from '../allowlist/parse.js';
import { formatProblem, type Problem } from '../allowlist/problems.js';
import type { AllowlistPlan, DesiredAllowlist } from './allowlist.js';
import { checkQuota, quotaUse, type PolicyRuleCount, type QuotaUse } from './allowlist-quota.js';
import { claimOf } from './allowlist-claim.js';
import type { Replan } from './allowlist-verify.js';
import type { Recording } from './allowlist-sync.js';
import {
  emptyPolicyReport,
  stallBegan,
  stallOf,
  type AllowlistReport,
  type PolicyPlan,
  type PolicyReport,
  type Refusal,
} from './allowlist-report.js';

/** One policy's sync as prepared: what its report is made of, and what it claims and records. */
export interface PreparedPolicy extends PolicyPlan, Recording {
  readonly policy: SecurityPolicy;
}

/** A policy holding an earlier generation of this object whose expired entries cannot be removed, and why. */
export interface LostPolicy {
  name: string;
  generation?: string;
  why: string;
}

/** What each policy counts against the project's rule quota: its rules, and those with an advanced (CEL) match. */
export function ruleCounts(policies: readonly Pick<SecurityPolicy, 'name' | 'rules'>[]): PolicyRuleCount[] {
  return policies.map((p) => ({
    policy: p.name,
    rules: p.rules?.length ?? 0,
    // Stryker disable next-line ArrayDeclaration: equivalent, a string's `match` is String.prototype.match, which has no `expr`, so the mutant's element is never counted
    advanced: (p.rules ?? []).filter((r) => r.match?.expr !== undefined).length,
  }));
}

/**
 * Policies an earlier file of this object was applied to (they carry its source label) that the
 * current file does not target.
 */
export function untargeted<P extends Pick<SecurityPolicy, 'name' | 'labels'>>(
  policies: readonly P[],
  allowlist: Allowlist,
  source: string,
): P[] {
  const targets = new Set(targetPolicies(allowlist));
  return policies.filter((p) => !targets.has(p.name) && claimOf(p).source === source);
}

/** Why a policy the file stopped targeting keeps its rules under `mode: upsert-only`. */
export function untargetedKeptWarning(policy: string): string {
  return (
    `security policy ${policy} is no longer targeted by the file; mode upsert-only keeps its rules ` +
    `(remove them by hand, or sync once with mode: sync)`
  );
}

/**
 * What the file wants in a policy it stopped targeting: nothing, under the file's mode, band and
 * safety rules — so the removal share refuses it without `safety.force`.
 */
export function untargetedDesired(policy: string, allowlist: Allowlist): DesiredAllowlist {
  return {
    policy,
    mode: allowlist.mode,
    priorities: allowlist.priorities,
    safety: allowlist.safety,
    lists: [],
    expiredEntries: 0,
    expired: [],
    expiredCidrs: [],
  };
}

/** The plan that takes an untargeted policy's rules away; a safety refusal says the file no longer targets it. */
export function untargetedPlan(replan: Replan, policy: Pick<SecurityPolicy, 'name' | 'rules'>): AllowlistPlan {
  try {
    return replan(policy.rules);
  } catch (err) {
    if (!(err instanceof AllowlistSafetyError)) throw err;
    throw new AllowlistSafetyError(
      err.refusal,
      `The file no longer targets security policy ${policy.name}, so its netreflex rules would go: ${err.headline}`,
      err.details,
    );
  }
}

/**
 * The project's rule count along the prepared plans, run one after the other; refuses (`quota`) when
 * the peak is over the budget.
 */
export function checkedQuota(
  counts: readonly PolicyRuleCount[],
  prepared: readonly Pick<PolicyPlan, 'name' | 'plan'>[],
  opts: { readonly project: string; readonly budget: number },
): QuotaUse {
  const use = quotaUse(
    counts,
    prepared.map((p) => ({ policy: p.name, steps: p.plan.steps })),
    opts.budget,
  );
  checkQuota(use, opts.project);
  return use;
}

/** A policy's sync as prepared: what it wants there, the planner on it, and the plan on the rules observed. */
export function preparedPolicy(
  policy: SecurityPolicy,
  role: PolicyPlan['role'],
  desired: DesiredAllowlist,
  replan: Replan,
  generation: string | undefined,
  record: Recording['record'],
  plan: AllowlistPlan = replan(policy.rules),
): PreparedPolicy {
  return { name: policy.name, role, policy, desired, plan, replan, ...(generation ? { generation } : {}), record };
}

/** The file targets a policy the project does not have: the whole upload is refused. */
export function missingPolicy(name: string, project: string): AllowlistSafetyError {
  return new AllowlistSafetyError(
    'missing-policy',
    `Security policy ${name} does not exist in project ${project}; nothing was changed. Create it ` +
      `(terraform-bootstrap/armor.tf) or fix \`policies\` in the file.`,
  );
}

/**
 * The file as a sync under `policy` plans it: `upsert-only` makes every file `mode: upsert-only`,
 * so the planner itself never takes an address away (no revocation, no shrinking patch, no
 * removal) and the kernel's filter, which drops destructive phases, has nothing left to drop. A
 * filter alone would not do: a `sync` plan cut short of its removals never verifies, and the next
 * pass plans them again.
 */
export function capMode(allowlist: Allowlist, policy: Policy): Allowlist {
  return policy === 'upsert-only' && allowlist.mode !== 'upsert-only'
    ? { ...allowlist, mode: 'upsert-only' }
    : allowlist;
}

/** The warning that a `mode: sync` file is applied as `upsert-only` under that policy, if it is. */
export function cappedModeWarning(policy: Policy, allowlist: Allowlist, source: string): string | undefined {
  return policy === 'upsert-only' && allowlist.mode === 'sync'
    ? `NETREFLEX_ALLOWLIST_POLICY=upsert-only: ${source} (mode sync) is applied as mode upsert-only, so nothing is removed`
    : undefined;
}

/** What every report of a sync starts from: nothing done yet. */
export type ReportBase = Omit<AllowlistReport, 'status' | 'source'>;

export function reportBase(dryRun: boolean): ReportBase {
  return { dryRun, reasons: [], warnings: [], results: [], policies: [], mutations: 0, retry: false };
}

/** An event for a generation a newer live one replaced (`url`: gs://bucket/object): that upload applies it. */
export function supersededReport(
  base: ReportBase,
  url: string,
  generation: string | undefined,
  live: string,
): AllowlistReport {
  return {
    ...base,
    status: 'ignored',
    source: `${url}#${generation}`,
    generation,
    why: `generation ${generation} is superseded by live generation ${live}; that upload is applied instead`,
  };
}

/** The object is gone: the policies keep the last file they hold, and its entries still expire. */
export function missingFileRefusal(source: string): Refusal {
  return {
    kind: 'missing-file',
    message:
      `There is no allowlist object at ${source}; the policies keep the last file they hold, whose ` +
      `entries still leave when they expire. Upload the allowlist again (or restore its last generation).`,
  };
}

/** The sync of a missing object that some policy still holds a file of. */
export function missingFileReport(base: ReportBase, source: string, refusal: Refusal): AllowlistReport {
  return { ...base, status: 'refused', source, refusal };
}

/** The sync of a missing object that no policy holds a file of: there is nothing to do. */
export function noFileReport(base: ReportBase, source: string): AllowlistReport {
  return {
    ...base,
    status: 'ignored',
    source,
    why: `no allowlist object at ${source}; upload one (nothing was changed)`,
  };
}

/** The sync of a file read, before anything is planned. */
export function fileReport(
  base: ReportBase,
  read: { readonly source: string; readonly generation?: string },
): AllowlistReport {
  return {
    ...base,
    status: 'unchanged',
    source: read.source,
    ...(read.generation ? { generation: read.generation } : {}),
  };
}

/** The file does not parse (or is too large): every problem, as `netreflex validate` lists them. */
export function invalidFileRefusal(source: string, problems: readonly Problem[]): Refusal {
  return {
    kind: 'invalid-file',
    message: new AllowlistFileError(source, problems).message,
    problems: problems.map(formatProblem),
  };
}

/** A safety rule, an ownership conflict, a missing policy or the quota refused the file. */
export function safetyRefusal(err: AllowlistSafetyError): Refusal {
  return { kind: err.refusal, message: err.message };
}

/** The live file is refused: nothing of it is applied. */
export function refusedReport(report: AllowlistReport, refusal: Refusal): AllowlistReport {
  return { ...report, status: 'refused', refusal };
}

/** A policy left alone: it holds, or a live claim applies, a newer generation than this sync's. */
export function staleReport(
  stale: { readonly name: string; readonly generation: string },
  generation?: string,
): PolicyReport {
  return {
    ...emptyPolicyReport(stale.name),
    status: 'stale',
    reason: `generation ${generation} is older than generation ${stale.generation}, already applied to or being applied to ${stale.name}; ignored`,
  };
}

/**
 * The last applied file of a policy as a sync under `policy` plans it (its revocations), or why it
 * cannot be: gone from the bucket (`url`: gs://bucket/object), or no longer valid.
 */
export function lastAppliedFile(
  file: { readonly source: string; readonly bytes: Uint8Array; readonly tooLarge?: Problem } | undefined,
  url: string,
  generation: string,
  policy: Policy,
): Allowlist | string {
  if (!file)
    return (
      `its last applied file ${url}#${generation} is no longer in the ` +
      `bucket (is object versioning on? were noncurrent versions deleted?); restore the file or upload a new one`
    );
  const parsed = file.tooLarge ? undefined : parseAllowlist(file.bytes, file.source);
  return parsed?.ok
    ? capMode(parsed.allowlist, policy)
    : `its last applied file ${file.source} no longer parses; upload a valid allowlist`;
}

/** The revocations of the last applied file are refused as well (`message`: the refusal's). */
export function lastAppliedRefusedWarning(message: string): string {
  return `the revocations of the last applied file are refused too: ${message}`;
}

/** A policy kept at its last applied file whose expired entries cannot be removed. */
export function lostReport(lost: LostPolicy): PolicyReport {
  return {
    ...emptyPolicyReport(lost.name, 'last-applied'),
    status: 'refused',
    ...(lost.generation ? { holds: lost.generation } : {}),
    reason: `expired entries cannot be removed from ${lost.name}: ${lost.why}`,
  };
}

/**
 * The refused sync with its stall: which refusal, since when the last applied generation stopped
 * being live (`ended`, else `since`: the live file's upload), and what fixes it.
 */
export function stalledReport(
  report: AllowlistReport,
  refusal: Refusal,
  ended: ReadonlyMap<string, string | undefined>,
  since: string | undefined,
): AllowlistReport {
  return { ...report, stall: stallOf(report, refusal, stallBegan(ended, since)) };
}
