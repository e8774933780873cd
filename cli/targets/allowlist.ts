/**
 * `netreflex plan allowlist` / `apply allowlist`: the armorAllowlist sync from a terminal. `plan`
 * reads the bucket object (or a local file with `--object <path>`, to see a change before
 * uploading it) and prints the steps in the order they would run; `apply` runs them on the bucket
 * object — the file in the bucket stays the source of truth, so a local file is never applied.
 */
import { readFile } from 'node:fs/promises';
import { loadArmorAllowlistConfig } from '../../shared/config/armor-allowlist.js';
import { ConfigError, errorMessage } from '../../shared/errors.js';
import { Transport } from '../../shared/gcp/transport.js';
import { reconcileAllowlist, type AllowlistReport, type PolicyReport } from '../../shared/armor-allowlist/reconcile.js';
import { describeReport } from '../../shared/plan/allowlist-describe.js';
import { appliedCell, table } from '../table.js';
import type { Target, TargetOptions, TargetResult } from './types.js';

const list = (cidrs: readonly string[]) =>
  cidrs.length > 4 ? `${cidrs.slice(0, 4).join(' ')} +${cidrs.length - 4}` : cidrs.join(' ');

const ROLE: Record<PolicyReport['role'], string> = {
  target: '',
  untargeted: ', no longer targeted by the file',
  'last-applied': ', kept at its last applied file',
};

function policyBlock(p: PolicyReport, dryRun: boolean): string[] {
  const lines = [
    `Policy ${p.policy} (${p.mode ?? 'sync'}${ROLE[p.role]}${p.holds ? `, holds #${p.holds}` : ''}): ${p.status}${p.reason ? ` — ${p.reason}` : ''}`,
  ];
  if (p.steps.length === 0) lines.push('No changes: the owned rules already allow exactly what the file allows.');
  else
    lines.push(
      table(
        ['#', 'step', 'priority', 'list', 'ranges', 'added', 'removed'],
        p.steps.map((s, i) => [
          i + 1,
          `${s.kind}${s.bridge ? ' (bridge)' : ''}${s.preview ? ' (preview)' : ''}`,
          s.priority,
          s.list,
          s.ranges,
          list(s.added),
          list(s.removed),
        ]),
      ),
    );
  if (p.results.length)
    lines.push(
      '',
      table(
        ['applied', 'priority', 'ok', 'ms', 'error'],
        p.results.map((r) => [r.step.kind, r.step.priority, appliedCell(r), r.ms, r.error]),
      ),
    );
  for (const e of p.expired ?? [])
    lines.push(
      `Expired: ${e.path ?? e.where} ${e.entry} (${e.description}) on ${e.expires} — ${e.stillAllowed ? 'STILL ALLOWED' : 'removed'}`,
    );
  if (p.verify) {
    const beyond = p.verify.extra.length ? `; allowed beyond the file: ${list(p.verify.extra)}` : '';
    const missing = p.verify.missing.length ? `; not allowed: ${list(p.verify.missing)}` : '';
    // A dry run's verify judges the policy as its plan would leave it; a sync's, as read back.
    lines.push(
      dryRun
        ? p.verify.converged
          ? 'After this plan the policy holds the file: a fresh plan on it would be empty.'
          : `After this plan the policy would still not hold the file${missing}${beyond}`
        : p.verify.converged
          ? 'Verified: a fresh plan on the policy as read back is empty.'
          : `Not verified${p.verify.missing.length ? `; not allowed yet: ${list(p.verify.missing)}` : ''}${beyond}`,
    );
  }
  return lines;
}

function renderAllowlist(report: AllowlistReport, json: boolean): TargetResult {
  const exitCode = report.status === 'refused' || report.status === 'failed' ? 1 : 0;
  if (json) return { output: JSON.stringify(report, null, 2), exitCode };
  const lines = report.policies.flatMap((p) => [...policyBlock(p, report.dryRun), '']);
  if (report.quota) lines.push(quotaLine(report.quota), '');
  if (report.stall)
    lines.push(
      `Stalled: ${report.stall.source} is ${report.stall.kind === 'missing-file' ? 'missing' : `refused (${report.stall.kind})`}${report.stall.since ? ` since ${report.stall.since}` : ''}; fix: ${report.stall.fix}`,
    );
  if (report.refusal?.problems) lines.push(...report.refusal.problems);
  lines.push(...report.warnings.map((w) => `warning: ${w}`));
  lines.push(`Status: ${describeReport(report)}`);
  return { output: lines.join('\n'), exitCode };
}

function quotaLine(q: NonNullable<AllowlistReport['quota']>): string {
  return `Rules in the project (all security policies): ${q.now} now${q.advanced ? ` (${q.advanced} advanced)` : ''}, ${q.peak} at the peak, ${q.after} after; budget ${q.budget} (NETREFLEX_ARMOR_RULE_QUOTA)`;
}

/** `--json` prints JSON whatever happens: a configuration or API error too, as `{status: "failed", error}`. */
async function run(opts: TargetOptions, dryRun: boolean): Promise<TargetResult> {
  if (!opts.json) return runText(opts, dryRun);
  try {
    return await runText(opts, dryRun);
  } catch (err) {
    return {
      output: JSON.stringify(
        { status: 'failed', error: errorMessage(err), permanent: err instanceof ConfigError },
        null,
        2,
      ),
      exitCode: err instanceof ConfigError ? 2 : 1,
    };
  }
}

async function runText(opts: TargetOptions, dryRun: boolean): Promise<TargetResult> {
  const cfg = loadArmorAllowlistConfig(opts.env);
  const path = typeof opts.flags.object === 'string' ? opts.flags.object : undefined;
  if (path && !dryRun)
    throw new ConfigError(
      `apply allowlist applies gs://${cfg.bucket}/${cfg.object}, the reviewed source of truth; upload ${path} there (after \`netreflex validate ${path}\`) instead of applying it from disk`,
    );
  const localFile = path ? { source: path, bytes: await readFile(path) } : undefined;
  const transport = new Transport({ emulatorHost: cfg.emulatorHost, region: cfg.region });
  const report = await reconcileAllowlist(transport, cfg, {
    now: new Date(),
    dryRun,
    ...(localFile ? { localFile } : {}),
  });
  return renderAllowlist(report, opts.json);
}

export const allowlistTarget: Target = {
  plan: (opts) => run(opts, true),
  apply: (opts) => run(opts, false),
};
