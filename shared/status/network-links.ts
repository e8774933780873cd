/**
 * The VPC A side of the chain: the PSA ranges the Vertex nodes get their IPs from (and how many
 * jobs they hold) and the peering that must export the custom routes, judged by natRoutes' verify
 * from its dry run (the routes themselves are that dry run's plan: routes-link.ts).
 */
import type { Transport } from '../gcp/transport.js';
import { listGlobalAddresses, type GlobalAddress } from '../gcp/addresses.js';
import { vertexRangesOf } from '../peering-ranges/vertex-ranges.js';
import { DEFAULT_RANGE_OPTIONS } from '../plan/ranges-types.js';
import { capacityOf, NODE_TIERS } from '../plan/capacity.js';
import type { NatInstance } from '../plan/routes.js';
import { ensureAndVerifyExport, exportProblems, type ExportReport } from '../nat-routes/verify.js';
import { ConfigError } from '../errors.js';
import type { RoutesDryRun } from './routes-link.js';
import type { Link, StatusConfig } from './types.js';
import { broken, ok, unreadableLink, type LinkHead } from './link.js';

const PSA: LinkHead = { id: 'psa-ranges', title: 'PSA ranges and capacity' };
const PEERING: LinkHead = { id: 'peering-export', title: 'Peering export' };

/**
 * The PSA ranges Vertex may use on the network and the jobs they hold — through the same
 * observation peeringRanges plans from (shared/peering-ranges/vertex-ranges.ts), so a Cloud SQL range on the
 * network is listed but never counted as Vertex capacity.
 */
export async function psaRangesLink(t: Transport, cfg: StatusConfig): Promise<Link> {
  let all: GlobalAddress[];
  try {
    all = await listGlobalAddresses(t, cfg.project);
  } catch (err) {
    return unreadableLink(PSA, 'the PSA ranges (globalAddresses.list)', ['compute.globalAddresses.list'], err, cfg);
  }
  const { vertex, other } = vertexRangesOf(
    all,
    { project: cfg.project, name: cfg.network },
    {
      vertexRangeNames: cfg.vertexRangeNames,
      namePrefix: DEFAULT_RANGE_OPTIONS.namePrefix,
    },
  );
  const others = other.map((r) => `${r.name} ${r.cidr}: another service's PSA range, not counted`);
  if (!vertex.length)
    return broken(
      PSA,
      `no PSA range Vertex may use on ${cfg.network}${other.length ? ` (${other.length} other VPC_PEERING range(s) are not Vertex's)` : ''}`,
      'reserve one for Private Service Access: netreflex apply ranges (or terraform-bootstrap/psa.tf)',
      others,
    );
  const details = [
    ...vertex.map(
      (r) => `${r.name} ${r.cidr}: ${NODE_TIERS.map((n) => `${capacityOf([r], n)} jobs of ≤${n} nodes`).join(', ')}`,
    ),
    ...others,
  ];
  const capacity = capacityOf(vertex, cfg.nodesPerJob);
  const summary = `${vertex.length} Vertex range(s), room for ${capacity} concurrent job(s) of ≤${cfg.nodesPerJob} nodes`;
  if (cfg.jobs !== undefined && capacity < cfg.jobs) {
    return broken(
      PSA,
      `${summary}, fewer than the ${cfg.jobs} wanted`,
      `add a range: netreflex apply ranges --jobs ${cfg.jobs} --nodes-per-job ${cfg.nodesPerJob}`,
      details,
    );
  }
  return ok(PSA, summary, details);
}

/**
 * The peering-export link is natRoutes' verify (shared/nat-routes/verify.ts), judged in its words
 * (`exportProblems`): the export its dry run already read (routes-link.ts), never a second read.
 * Only when that dry run stopped before reaching the export (the MIG or the routes unreadable) is
 * the export read here, by the same natRoutes function in dry run.
 */
export async function peeringExportLink(t: Transport, cfg: StatusConfig, dry: RoutesDryRun): Promise<Link> {
  let exp: ExportReport;
  if (dry.ok && dry.run.report.export) exp = dry.run.report.export;
  else {
    try {
      if (!dry.ok && dry.observed) throw dry.err;
      exp = await ensureAndVerifyExport(t, cfg.routes, true);
    } catch (err) {
      if (err instanceof ConfigError)
        return broken(
          PEERING,
          err.message,
          'create the Private Service Access connection (terraform-bootstrap/psa.tf, or gcloud services vpc-peerings connect), or set NETREFLEX_PEERING to the peering that exists',
        );
      return unreadableLink(
        PEERING,
        `the peering ${cfg.peering} of ${cfg.network} and the routes it exports`,
        ['compute.networks.get', 'compute.networks.listPeeringRoutes'],
        err,
        cfg,
      );
    }
  }
  const details = [
    `${exp.peering}: state ${exp.state}, exportCustomRoutes ${exp.exportCustomRoutes}`,
    ...[...exp.exported.map((d) => `${d}: exported`), ...exp.missing.map((d) => `${d}: NOT exported`)],
  ];
  const [problem] = exportProblems(cfg.routes, exp);
  if (problem) return broken(PEERING, problem, exportFix(exp), details);
  return ok(PEERING, `exports all ${exp.exported.length} destination(s)`, details);
}

/** What to do about the problem exportProblems names first. */
function exportFix(exp: ExportReport): string {
  if (exp.state !== 'ACTIVE')
    return 'recreate the Private Service Access connection; an inactive peering carries no traffic';
  if (!exp.exportCustomRoutes)
    return 'netreflex apply routes turns exportCustomRoutes on (NETREFLEX_EXPORT_MODE=ensure), or enable it on the peering';
  return 'no exportable (untagged) route reaches the peer: netreflex apply routes creates untagged routes to every destination';
}

/** A NAT VM as natRoutes judges it: status, the action under way, health (`RUNNING, UNHEALTHY`). */
export function describeNat(i: Pick<NatInstance, 'instanceStatus' | 'currentAction' | 'health'>): string {
  return [
    i.instanceStatus ?? 'UNKNOWN',
    i.currentAction && i.currentAction !== 'NONE' ? i.currentAction : undefined,
    i.health,
  ]
    .filter(Boolean)
    .join(', ');
}
