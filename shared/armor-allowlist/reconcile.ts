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
import { AllowlistFileError, AllowlistSafetyError } from '../allowlist/errors.js';
import { formatProblem } from '../allowlist/problems.js';
import type { Allowlist } from '../allowlist/model.js';
import { readAllowlistObject, readAllowlistVersion, type FileRead } from './source.js';
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
import { dryRunReport } from '../plan/allowlist-report.js';
import type { Policy } from '../reconcile/plan.js';
import {
  emptyPolicyReport,
  envelope,
  expiredNow,
  stallBegan,
  stallOf,
  type AllowlistReport,
  type PolicyReport,
  type Refusal,
} from '../plan/allowlist-report.js';

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
  const base = {
    dryRun,
    reasons: [] as string[],
    warnings: [] as string[],
    results: [],
    policies: [] as PolicyReport[],
    mutations: 0,
    retry: false,
  };
  if (read.kind === 'superseded')
    return {
      ...base,
      status: 'ignored',
      source: `gs://${cfg.bucket}/${cfg.object}#${opts.eventGeneration}`,
      generation: opts.eventGeneration,
      why: `generation ${opts.eventGeneration} is superseded by live generation ${read.live}; that upload is applied instead`,
    };
  if (read.kind === 'missing') {
    const refusal: Refusal = {
      kind: 'missing-file',
      message:
        `There is no allowlist object at ${read.source}; the policies keep the last file they hold, whose ` +
        `entries still leave when they expire. Upload the allowlist again (or restore its last generation).`,
    };
    const report: AllowlistReport = { ...base, status: 'refused', source: read.source, refusal };
    const stalled = await keepLastApplied(r, report, refusal, undefined);
    return stalled.policies.length
      ? stalled
      : {
          ...base,
          status: 'ignored',
          source: read.source,
          why: `no allowlist object at ${read.source}; upload one (nothing was changed)`,
        };
  }
  const parsed = read.tooLarge
    ? { ok: false as const, problems: [read.tooLarge] }
    : parseAllowlist(read.bytes, read.source);
  const report: AllowlistReport = {
    ...base,
    status: 'unchanged',
    source: read.source,
    ...(read.generation ? { generation: read.generation } : {}),
  };
  if (!parsed.ok)
    return refuse(
      r,
      report,
      {
        kind: 'invalid-file',
        message: new AllowlistFileError(read.source, parsed.problems).message,
        problems: parsed.problems.map(formatProblem),
      },
      read,
    );
  report.warnings.push(...parsed.warnings.map(formatProblem));
  if (r.policy === 'upsert-only' && parsed.allowlist.mode === 'sync')
    report.warnings.push(
      `NETREFLEX_ALLOWLIST_POLICY=upsert-only: ${read.source} (mode sync) is applied as mode upsert-only, so nothing is removed`,
    );
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
    if (err instanceof AllowlistSafetyError)
      return refuse(r, report, { kind: err.refusal, message: err.message }, read, project);
    throw err;
  }
  report.warnings.push(...prepared.warnings);
  report.quota = prepared.quota;
  report.policies.push(
    ...prepared.stale.map((s) => ({
      ...emptyPolicyReport(s.name),
      status: 'stale' as const,
      reason: `generation ${report.generation} is older than generation ${s.generation}, already applied to or being applied to ${s.name}; ignored`,
    })),
  );
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

/**
 * The file as a sync under `policy` plans it: `upsert-only` makes every file `mode: upsert-only`,
 * so the planner itself never takes an address away (no revocation, no shrinking patch, no
 * removal) and the kernel's filter, which drops destructive phases, has nothing left to drop. A
 * filter alone would not do: a `sync` plan cut short of its removals never verifies, and the next
 * pass plans them again.
 */
function capMode(allowlist: Allowlist, policy: Policy): Allowlist {
  return policy === 'upsert-only' && allowlist.mode !== 'upsert-only'
    ? { ...allowlist, mode: 'upsert-only' }
    : allowlist;
}

/** The live file is refused: nothing of it is applied; the policies keep their last file and its expiries. */
async function refuse(
  r: Run,
  report: AllowlistReport,
  refusal: Refusal,
  read: FileRead,
  project?: ProjectPolicies,
): Promise<AllowlistReport> {
  const refused: AllowlistReport = { ...report, status: 'refused', refusal };
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
          if (!file)
            return (
              `its last applied file gs://${r.cfg.bucket}/${r.cfg.object}#${generation} is no longer in the ` +
              `bucket (is object versioning on? were noncurrent versions deleted?); restore the file or upload a new one`
            );
          ended.set(generation, file.object?.timeDeleted);
          const parsed = file.tooLarge ? undefined : parseAllowlist(file.bytes, file.source);
          return parsed?.ok
            ? capMode(parsed.allowlist, r.policy)
            : `its last applied file ${file.source} no longer parses; upload a valid allowlist`;
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
    report.warnings.push(`the revocations of the last applied file are refused too: ${err.message}`);
    return { ...report, stall: stallOf(report, refusal, stallBegan(ended, since)) };
  }
  report.warnings.push(...last.warnings);
  report.quota = last.quota;
  for (const lost of last.lost)
    report.policies.push({
      ...emptyPolicyReport(lost.name, 'last-applied'),
      status: 'refused',
      ...(lost.generation ? { holds: lost.generation } : {}),
      reason: `expired entries cannot be removed from ${lost.name}: ${lost.why}`,
    });
  for (const p of last.prepared) report.policies.push(await runPolicy(r, p));
  return { ...report, stall: stallOf(report, refusal, stallBegan(ended, since)) };
}
