/**
 * One sync of the Cloud Armor allowlist: read the file (one exact generation) → parse → observe
 * every security policy of the project and plan every policy the file touches (refusals stop
 * everything here, before any change; the project's rule quota is one of them) → per policy:
 * claim, apply the steps in order (revocations first), verify by reading the policy back, record
 * the generation it holds.
 *
 * When the live file cannot be applied — invalid (its size included), refused by a safety rule or
 * an ownership conflict, or deleted — nothing of it is applied, and the policies keep the last file
 * they were verified to hold; that file's entries still leave when they expire: the sync reads it
 * back by the generation on the policy's label (the bucket keeps versions) and applies only its
 * revocations. The report says which file is refused since when, and what expired.
 *
 * Two syncs at once (two uploads, an upload and the tick, two function instances) converge: each
 * claims the policy with a compare-and-set on its labels before its first change and checks its
 * claim before every step; a claim of an older generation is taken over, a newer one is not.
 */
import type { Transport } from '../gcp/transport.js';
import { getSecurityPolicy } from '../gcp/security-policies.js';
import type { ArmorAllowlistConfig } from '../config/armor-allowlist.js';
import { parseAllowlist } from '../allowlist/parse.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import { formatProblem } from '../allowlist/problems.js';
import type { Allowlist } from '../allowlist/model.js';
import { gsUrl, readAllowlistObject, readAllowlistVersion, type FileRead } from './source.js';
import {
  observeProject,
  prepareLastApplied,
  preparePolicies,
  type PreparedPolicy,
  type PrepareOptions,
  type ProjectPolicies,
} from './prepare.js';
import { newRunId, sourceId } from './lock.js';
import { syncPolicy } from './policy-sync.js';
import type { Policy } from '../reconcile/plan.js';
import {
  dryRunReport,
  envelope,
  expiredNow,
  type AllowlistReport,
  type PolicyReport,
  type Refusal,
} from '../plan/allowlist-report.js';
import {
  capMode,
  cappedModeWarning,
  fileReport,
  invalidFileRefusal,
  lastAppliedFile,
  lastAppliedRefusedWarning,
  lostReport,
  missingFileRefusal,
  missingFileReport,
  noFileReport,
  refusedReport,
  reportBase,
  safetyRefusal,
  staleReport,
  stalledReport,
  supersededReport,
} from '../plan/allowlist-prepare.js';

export type { AllowlistReport, PolicyReport } from '../plan/allowlist-report.js';

export interface ReconcileOptions {
  /** The clock for expiry (the planner never reads one). */
  readonly now: Date;
  /** The generation an event names; unset = whatever is live (the tick, the CLI). */
  readonly eventGeneration?: string;
  /** Plan and report only. */
  readonly dryRun?: boolean;
  /** Let a sync through that removes more than `maxRemovalShare` (like the file's `safety.force`). */
  readonly force?: boolean;
  /** Plan this local file instead of the bucket object (`netreflex plan allowlist --object`); never applied. */
  readonly localFile?: { readonly source: string; readonly bytes: Uint8Array };
  readonly run?: string;
  /** Re-plan passes per policy before giving up (each one after a foreign change or failed verify). */
  readonly maxPasses?: number;
}

interface Run {
  readonly t: Transport;
  readonly cfg: ArmorAllowlistConfig;
  readonly opts: ReconcileOptions;
  readonly dryRun: boolean;
  /** The kernel's policy this sync applies its plans under (`dry-run` whenever `dryRun`). */
  readonly policy: Policy;
  readonly source: string;
  readonly run: string;
}

export async function reconcileAllowlist(
  t: Transport,
  cfg: ArmorAllowlistConfig,
  opts: ReconcileOptions,
): Promise<AllowlistReport> {
  return envelope(await syncOnce(t, cfg, opts));
}

async function syncOnce(t: Transport, cfg: ArmorAllowlistConfig, opts: ReconcileOptions): Promise<AllowlistReport> {
  const dryRun = opts.dryRun === true || cfg.policy === 'dry-run' || opts.localFile !== undefined;
  const policy: Policy = dryRun ? 'dry-run' : cfg.policy;
  const r: Run = {
    t,
    cfg,
    opts,
    dryRun,
    policy,
    source: sourceId(cfg.bucket, cfg.object),
    run: opts.run ?? newRunId(),
  };
  const read = opts.localFile
    ? ({ kind: 'file', ...opts.localFile } as const)
    : await readAllowlistObject(t, cfg.bucket, cfg.object, opts.eventGeneration);
  const base = reportBase(dryRun);
  if (read.kind === 'superseded')
    return supersededReport(base, gsUrl(cfg.bucket, cfg.object), opts.eventGeneration, read.live);
  if (read.kind === 'missing') {
    const refusal = missingFileRefusal(read.source);
    const stalled = await keepLastApplied(r, missingFileReport(base, read.source, refusal), refusal, undefined);
    return stalled.policies.length ? stalled : noFileReport(base, read.source);
  }
  const parsed = read.tooLarge
    ? { ok: false as const, problems: [read.tooLarge] }
    : parseAllowlist(read.bytes, read.source);
  const report = fileReport(base, read);
  if (!parsed.ok) return refuse(r, report, invalidFileRefusal(read.source, parsed.problems), read);
  report.warnings.push(...parsed.warnings.map(formatProblem));
  const capped = cappedModeWarning(r.policy, parsed.allowlist, read.source);
  if (capped) report.warnings.push(capped);
  return syncAll(r, capMode(parsed.allowlist, r.policy), report, read);
}

function prepareOptions(r: Run, generation: string | undefined): PrepareOptions {
  return {
    project: r.cfg.project,
    region: r.cfg.region,
    now: r.opts.now,
    generation,
    force: r.opts.force,
    source: r.source,
    budget: r.cfg.ruleQuota,
  };
}

async function syncAll(
  r: Run,
  allowlist: Allowlist,
  report: AllowlistReport,
  read: FileRead,
): Promise<AllowlistReport> {
  const project = await observeProject(r.t, r.cfg.project);
  let prepared;
  try {
    prepared = await preparePolicies(r.t, allowlist, project, prepareOptions(r, report.generation));
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return refuse(r, report, safetyRefusal(err), read, project);
    throw err;
  }
  report.warnings.push(...prepared.warnings);
  report.quota = prepared.quota;
  report.policies.push(...prepared.stale.map((s) => staleReport(s, report.generation)));
  for (const p of prepared.prepared) report.policies.push(await runPolicy(r, p));
  return report;
}

async function runPolicy(r: Run, p: PreparedPolicy): Promise<PolicyReport> {
  const { report, rules } = r.dryRun
    ? { report: dryRunReport(p), rules: p.policy.rules }
    : await syncPolicy(r.t, p, {
        project: r.cfg.project,
        run: r.run,
        source: r.source,
        maxPasses: r.opts.maxPasses ?? 5,
        policy: r.policy,
      });
  // The rules after the sync: its last look's, unless it stopped mid-apply or gave up on a step (then read them).
  const after = rules ?? (await getSecurityPolicy(r.t, r.cfg.project, p.name)).rules;
  return { ...report, expired: expiredNow(p, after, report) };
}

/** The live file is refused: nothing of it is applied; the policies keep their last file and its expiries. */
async function refuse(
  r: Run,
  report: AllowlistReport,
  refusal: Refusal,
  read: FileRead,
  project?: ProjectPolicies,
): Promise<AllowlistReport> {
  const refused = refusedReport(report, refusal);
  if (r.opts.localFile) return refused;
  return keepLastApplied(r, refused, refusal, read.object?.timeCreated, project);
}

async function keepLastApplied(
  r: Run,
  report: AllowlistReport,
  refusal: Refusal,
  since: string | undefined,
  known?: ProjectPolicies,
): Promise<AllowlistReport> {
  const project = known ?? (await observeProject(r.t, r.cfg.project));
  const versions = new Map<string, Promise<Allowlist | string>>();
  /** Each last applied generation read, and when it stopped being live (its noncurrent version's timeDeleted). */
  const ended = new Map<string, string | undefined>();
  const load = (generation: string) => {
    if (!versions.has(generation)) {
      versions.set(
        generation,
        readAllowlistVersion(r.t, r.cfg.bucket, r.cfg.object, generation).then((file) => {
          if (file) ended.set(generation, file.object?.timeDeleted);
          return lastAppliedFile(file, gsUrl(r.cfg.bucket, r.cfg.object), generation, r.policy);
        }),
      );
    }
    return versions.get(generation)!;
  };
  let last;
  try {
    last = await prepareLastApplied(r.t, project, prepareOptions(r, undefined), load);
  } catch (err) {
    if (!(err instanceof AllowlistSafetyError)) throw err;
    report.warnings.push(lastAppliedRefusedWarning(err.message));
    return stalledReport(report, refusal, ended, since);
  }
  report.warnings.push(...last.warnings);
  report.quota = last.quota;
  report.policies.push(...last.lost.map(lostReport));
  for (const p of last.prepared) report.policies.push(await runPolicy(r, p));
  return stalledReport(report, refusal, ended, since);
}
