/**
 * Observe + plan every policy a sync touches, before any of them changes. One list call reads every
 * security policy of the project — the policies the file targets, the ones it stopped targeting,
 * and the rules Cloud Armor's project-wide quota counts. A refusal for one policy (world-open,
 * removal share, band full, unresolved source, ownership conflict, missing policy, quota) refuses
 * the whole upload, so a file is applied everywhere or nowhere.
 *
 * Policies the file stopped targeting (they carry this object's source label) lose their rules
 * under the same safety rules: the file allows nothing there any more, so without `safety.force`
 * the removal share refuses it and the rules stay; `upsert-only` keeps them. Either way the sync
 * says so.
 */
import type { Transport } from '../gcp/transport.js';
import { listSecurityPolicies, type SecurityPolicy } from '../gcp/security-policies.js';
import { targetPolicies, type Allowlist } from '../allowlist/model.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import {
  desiredAllowlist,
  planAllowlist,
  planRevocationsOnly,
  type AllowlistPlan,
  type DesiredAllowlist,
} from '../plan/allowlist.js';
import { checkQuota, quotaUse, type PolicyRuleCount, type QuotaUse } from '../plan/allowlist-quota.js';
import { claimOf, newerThan } from '../plan/allowlist-claim.js';
import type { NatIps } from '../gcp/routers.js';
import { resolveSources } from './resolve.js';
import type { PolicyPlan } from '../plan/allowlist-report.js';
import type { Replan } from '../plan/allowlist-verify.js';

/** One policy's sync as prepared: what its report is made of, and what it claims and records. */
export interface PreparedPolicy extends PolicyPlan {
  readonly policy: SecurityPolicy;
  /** The generation the sync claims the policy for. */
  readonly generation?: string;
  /** Once it verifies: label the generation it holds, drop netreflex's labels, or leave them. */
  readonly record: 'generation' | 'release' | 'none';
}

export interface Prepared {
  readonly prepared: PreparedPolicy[];
  /** Policies already claimed for or holding a newer generation than this sync's: left alone. */
  readonly stale: { readonly name: string; readonly generation: string }[];
  readonly warnings: string[];
  readonly quota: QuotaUse;
}

export interface ProjectPolicies {
  readonly policies: readonly SecurityPolicy[];
  readonly counts: readonly PolicyRuleCount[];
}

export interface PrepareOptions {
  readonly project: string;
  readonly region: string;
  readonly now: Date;
  readonly generation?: string;
  readonly force?: boolean;
  /** This allowlist object's source label value. */
  readonly source: string;
  readonly budget: number;
}

/** Every global security policy of the project, with what each counts against the rule quota. */
export async function observeProject(t: Transport, project: string): Promise<ProjectPolicies> {
  const policies = await listSecurityPolicies(t, project);
  const counts = policies.map((p) => ({
    policy: p.name,
    rules: p.rules?.length ?? 0,
    advanced: (p.rules ?? []).filter((r) => r.match?.expr !== undefined).length,
  }));
  return { policies, counts };
}

export async function preparePolicies(
  t: Transport,
  allowlist: Allowlist,
  project: ProjectPolicies,
  opts: PrepareOptions,
): Promise<Prepared> {
  const prepared: PreparedPolicy[] = [];
  const stale: Prepared['stale'] = [];
  const warnings: string[] = [];
  const natIps = new Map<string, Promise<NatIps>>();
  const byName = new Map(project.policies.map((p) => [p.name, p]));
  for (const name of targetPolicies(allowlist)) {
    const policy = byName.get(name);
    if (!policy) throw missingPolicy(name, opts.project);
    // The claim's lease is judged on the wall clock its claims are written with, not on `opts.now`,
    // the time entries expire by: a tick's scheduled time (a late delivery is in the past) or a test's.
    const blocker = newerThan(policy, opts.generation, Date.now());
    if (blocker) {
      stale.push({ name, generation: blocker });
      continue;
    }
    const desired = await desiredFor(t, opts, allowlist, name, natIps, warnings);
    const replan: Replan = (rules) => planAllowlist(desired, rules, { force: opts.force });
    prepared.push(preparedPolicy(policy, 'target', desired, replan, opts.generation, 'generation'));
  }
  for (const policy of untargeted(project, allowlist, opts.source)) {
    if (allowlist.mode === 'upsert-only') {
      warnings.push(
        `security policy ${policy.name} is no longer targeted by the file; mode upsert-only keeps its rules ` +
          `(remove them by hand, or sync once with mode: sync)`,
      );
      continue;
    }
    const desired: DesiredAllowlist = {
      policy: policy.name,
      mode: allowlist.mode,
      priorities: allowlist.priorities,
      safety: allowlist.safety,
      lists: [],
      expiredEntries: 0,
      expired: [],
      expiredCidrs: [],
    };
    const replan: Replan = (rules) => planAllowlist(desired, rules, { force: opts.force });
    const plan = untargetedPlan(replan, policy);
    prepared.push(preparedPolicy(policy, 'untargeted', desired, replan, opts.generation, 'release', plan));
  }
  return { prepared, stale, warnings, quota: checkedQuota(project, prepared, opts) };
}

/** Policies an earlier file of this object was applied to that the current file does not target. */
function untargeted(project: ProjectPolicies, allowlist: Allowlist, source: string): SecurityPolicy[] {
  const targets = new Set(targetPolicies(allowlist));
  return project.policies.filter((p) => !targets.has(p.name) && claimOf(p).source === source);
}

function untargetedPlan(replan: Replan, policy: SecurityPolicy): AllowlistPlan {
  try {
    return replan(policy.rules);
  } catch (err) {
    if (!(err instanceof AllowlistSafetyError)) throw err;
    throw new AllowlistSafetyError(
      err.refusal,
      `The file no longer targets security policy ${policy.name}, so its netreflex rules would go: ${err.message}`,
      err.details,
    );
  }
}

/**
 * Plans for the policies that hold an earlier generation of this object while the live file is
 * refused or missing: only their revocations (expired entries), against the file they hold.
 * `load` reads that file (a noncurrent version) and parses it, or answers why it cannot.
 */
export async function prepareLastApplied(
  t: Transport,
  project: ProjectPolicies,
  opts: PrepareOptions,
  load: (generation: string) => Promise<Allowlist | string>,
): Promise<{
  prepared: PreparedPolicy[];
  lost: { name: string; generation?: string; why: string }[];
  quota: QuotaUse;
  warnings: string[];
}> {
  const prepared: PreparedPolicy[] = [];
  const lost: { name: string; generation?: string; why: string }[] = [];
  const warnings: string[] = [];
  const natIps = new Map<string, Promise<NatIps>>();
  for (const policy of project.policies.filter((p) => claimOf(p).source === opts.source)) {
    const generation = claimOf(policy).generation;
    const allowlist = generation ? await load(generation) : 'it carries no verified generation label';
    if (typeof allowlist === 'string') {
      lost.push({ name: policy.name, ...(generation ? { generation } : {}), why: allowlist });
      continue;
    }
    try {
      const desired = await desiredFor(t, opts, allowlist, policy.name, natIps, warnings);
      const replan: Replan = (rules) => planRevocationsOnly(desired, rules);
      prepared.push(preparedPolicy(policy, 'last-applied', desired, replan, generation, 'none'));
    } catch (err) {
      if (!(err instanceof AllowlistSafetyError)) throw err;
      lost.push({ name: policy.name, generation: generation!, why: err.message });
    }
  }
  return { prepared, lost, warnings, quota: checkedQuota(project, prepared, opts) };
}

function checkedQuota(project: ProjectPolicies, prepared: readonly PreparedPolicy[], opts: PrepareOptions): QuotaUse {
  const use = quotaUse(
    project.counts,
    prepared.map((p) => ({ policy: p.name, steps: p.plan.steps })),
    opts.budget,
  );
  checkQuota(use, opts.project);
  return use;
}

/** A policy's sync as prepared: what it wants there, the planner on it, and the plan on the rules observed. */
function preparedPolicy(
  policy: SecurityPolicy,
  role: PolicyPlan['role'],
  desired: DesiredAllowlist,
  replan: Replan,
  generation: string | undefined,
  record: PreparedPolicy['record'],
  plan: AllowlistPlan = replan(policy.rules),
): PreparedPolicy {
  return { name: policy.name, role, policy, desired, plan, replan, ...(generation ? { generation } : {}), record };
}

/** What the file wants in one policy, its sources (the NAT IPs of a router) resolved now. */
async function desiredFor(
  t: Transport,
  opts: PrepareOptions,
  allowlist: Allowlist,
  policy: string,
  natIps: Map<string, Promise<NatIps>>,
  warnings: string[],
): Promise<DesiredAllowlist> {
  const { resolved, warnings: notes } = await resolveSources(t, opts.project, opts.region, allowlist, policy, natIps);
  warnings.push(...notes);
  return desiredAllowlist(allowlist, { policy, now: opts.now, resolved });
}

function missingPolicy(name: string, project: string): AllowlistSafetyError {
  return new AllowlistSafetyError(
    'missing-policy',
    `Security policy ${name} does not exist in project ${project}; nothing was changed. Create it ` +
      `(terraform-bootstrap/armor.tf) or fix \`policies\` in the file.`,
  );
}
