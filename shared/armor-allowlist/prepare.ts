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
import { desiredAllowlist, planAllowlist, planRevocationsOnly, type DesiredAllowlist } from '../plan/allowlist.js';
import type { PolicyRuleCount, QuotaUse } from '../plan/allowlist-quota.js';
import { claimOf, newerThan } from '../plan/allowlist-claim.js';
import {
  checkedQuota,
  missingPolicy,
  preparedPolicy,
  ruleCounts,
  untargeted,
  untargetedDesired,
  untargetedKeptWarning,
  untargetedPlan,
  type LostPolicy,
  type PreparedPolicy,
} from '../plan/allowlist-prepare.js';
import type { NatIps } from '../gcp/routers.js';
import { resolveSources } from './resolve.js';
import type { Replan } from '../plan/allowlist-verify.js';

export type { PreparedPolicy } from '../plan/allowlist-prepare.js';

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
  return { policies, counts: ruleCounts(policies) };
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
  for (const policy of untargeted(project.policies, allowlist, opts.source)) {
    if (allowlist.mode === 'upsert-only') {
      warnings.push(untargetedKeptWarning(policy.name));
      continue;
    }
    const desired = untargetedDesired(policy.name, allowlist);
    const replan: Replan = (rules) => planAllowlist(desired, rules, { force: opts.force });
    const plan = untargetedPlan(replan, policy);
    prepared.push(preparedPolicy(policy, 'untargeted', desired, replan, opts.generation, 'release', plan));
  }
  return { prepared, stale, warnings, quota: checkedQuota(project.counts, prepared, opts) };
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
  lost: LostPolicy[];
  quota: QuotaUse;
  warnings: string[];
}> {
  const prepared: PreparedPolicy[] = [];
  const lost: LostPolicy[] = [];
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
  return { prepared, lost, warnings, quota: checkedQuota(project.counts, prepared, opts) };
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
