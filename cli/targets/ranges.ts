/**
 * `netreflex plan ranges --jobs N --nodes-per-job M` / `apply ranges …`: the peeringRanges
 * preparation run from a terminal — the same observe → preflight → plan → apply → verify, with a
 * readable table (or `--json`, the function's own answer).
 */
import { loadPeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { Transport } from '../../shared/gcp/transport.js';
import { ConfigError } from '../../shared/errors.js';
import { reconcilePeeringRanges } from '../../shared/peering-ranges/reconcile.js';
import type { RangeReport } from '../../shared/plan/ranges-report.js';
import { table } from '../table.js';
import type { Target, TargetOptions, TargetResult } from './types.js';

function outcome(change: RangeReport['changes'][number]): string {
  if ('planned' in change) return 'planned';
  if (!change.ok) return `FAILED: ${change.error ?? ''}`;
  return change.noop ? 'already done' : `applied (${change.ms} ms)`;
}

function render(r: RangeReport, json: boolean): TargetResult {
  const exitCode = r.status === 'ok' || r.status === 'planned' ? 0 : 1;
  if (json) return { output: JSON.stringify(r, null, 2), exitCode };
  const q = r.request;
  const lines = [
    `Request: ${q.parallelJobs} parallel jobs × ${q.nodesPerJob} nodes (planned as ≤ ${r.capacity.nodesPerJobTier}) on ${r.network} in ${q.region}`,
    `Capacity: ${r.capacity.before} → ${r.capacity.after} concurrent jobs (need ${r.capacity.required}: ${r.capacity.requested} for this run + ${r.capacity.others} that may share its ranges; ${r.capacity.demand.length} other run(s) on the network${r.capacity.leftToOthers.length ? `, ranges left to them: ${r.capacity.leftToOthers.join(', ')}` : ''}${r.capacity.estimated ? ', partly estimated' : ''})`,
    '',
    table(
      ['range', 'cidr', 'jobs', 'new'],
      r.ranges.map((x) => [x.name, x.cidr, x.jobs, x.isNew ? 'yes' : '']),
    ),
    '',
    r.changes.length === 0
      ? 'No changes: every range is allocated and wired.'
      : table(
          ['step', 'change', 'result'],
          r.changes.map((c, i) => [i + 1, c.description, outcome(c)]),
        ),
  ];
  if (r.warnings.length) lines.push('', ...r.warnings.map((w) => `warning (${w.code}): ${w.message}`));
  lines.push(
    '',
    `Vertex preflight: ${r.preflight.active} active job(s) with a network in ${r.preflight.region}, none on another network`,
  );
  lines.push(`reservedIpRanges: ${r.reservedIpRanges.join(',') || '(none)'}`);
  lines.push(
    `Status: ${r.status}${r.dryRun ? ' (plan only: run `netreflex apply ranges` with the same flags to make these changes)' : r.verified === false ? ` (the read-back still misses: ${(r.missing ?? []).join('; ')} — run it again)` : ''}`,
  );
  return { output: lines.join('\n'), exitCode };
}

function request(flags: Record<string, unknown>): Record<string, unknown> {
  if (flags.jobs === undefined || flags.nodesPerJob === undefined) {
    throw new ConfigError(
      'ranges: say how much to prepare for: --jobs N (parallel pipeline jobs) and --nodes-per-job M (every replica of one job), e.g. --jobs 40 --nodes-per-job 8',
    );
  }
  return { parallelJobs: flags.jobs, nodesPerJob: flags.nodesPerJob };
}

async function run(opts: TargetOptions, dryRun: boolean): Promise<TargetResult> {
  const cfg = loadPeeringRangesConfig(opts.env);
  const transport = new Transport({ emulatorHost: cfg.emulatorHost, region: cfg.region });
  return render(await reconcilePeeringRanges(transport, cfg, request(opts.flags), { dryRun }), opts.json);
}

export const rangesTarget: Target = {
  plan: (opts) => run(opts, true),
  apply: (opts) => run(opts, false),
};
