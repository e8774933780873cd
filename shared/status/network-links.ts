/**
 * The VPC A side of the chain: the PSA ranges the Vertex nodes get their IPs from (and how many
 * jobs they hold), judged by peeringRanges' dry run, and the peering that must export the custom
 * routes, judged by natRoutes' verify from its dry run (the routes themselves are that dry run's
 * plan: routes-link.ts).
 */
import type { Transport } from '../gcp/transport.js';
import { capacityOf, NODE_TIERS } from '../plan/capacity.js';
import type { RangePlan } from '../plan/ranges-types.js';
import { describeRangeChange } from '../plan/ranges-describe.js';
import { PoolBusy } from '../plan/ranges-allocate.js';
import { reconcilePeeringRanges } from '../peering-ranges/reconcile.js';
import type { RangeObservation } from '../plan/ranges-observation.js';
import { PreflightRefusal } from '../plan/ranges-preflight.js';
import type { NatInstance } from '../plan/routes.js';
import { ensureAndVerifyExport } from '../nat-routes/verify.js';
import { exportProblems, type ExportReport } from '../plan/route-export.js';
import { ConfigError, SafetyError, errorMessage } from '../errors.js';
import type { RoutesDryRun } from './routes-link.js';
import type { Link, StatusConfig } from './types.js';
import { broken, ok, unknown, unreadableLink, type LinkHead } from './link.js';

const PSA: LinkHead = { id: 'psa-ranges', title: 'PSA ranges and capacity' };
const PEERING: LinkHead = { id: 'peering-export', title: 'Peering export' };

const PSA_FIX = "netreflex apply ranges wires them (the workflow's peeringRanges call does so before every run)";

/** What peeringRanges' dry run reads (shared/peering-ranges/observe.ts), for a fix that names the permission. */
const PSA_METHODS = [
  'compute.globalAddresses.list',
  'compute.networks.get',
  'compute.subnetworks.get',
  'compute.routes.list',
  'compute.networks.listPeeringRoutes',
  'compute.firewalls.get',
  'compute.regionInstanceGroupManagers.get',
  'compute.instanceTemplates.get',
  'compute.routers.get',
  'servicenetworking.services.connections.list',
  'aiplatform.pipelineJobs.list',
  'aiplatform.customJobs.list',
  'storage.objects.get',
];

/**
 * The PSA ranges link is peeringRanges' own dry run (shared/peering-ranges/reconcile.ts: observe →
 * preflight → plan, nothing applied), configured as peeringRanges is, for a next run of `--jobs`
 * jobs (one when unset) of `--nodes-per-job` nodes, so status and peeringRanges cannot disagree:
 * - the ranges Vertex may use are the ones it plans with (a Cloud SQL range on the network is
 *   listed, never counted), and the capacity beside them counts the other runs on the network;
 * - a wiring step it would take for a range that exists — the Service Networking connection, the
 *   PSA firewall, the NAT MIG's return-route metadata — is BROKEN: that range's nodes have no
 *   egress until it is done (the export flag is the peering-export link's to judge);
 * - a range it would allocate is BROKEN only when `--jobs` asks for room there is not; otherwise
 *   peeringRanges allocates it before the next run, as it does for any run;
 * - a refusal (pool exhausted, or short only while other runs hold it; Vertex jobs of the region
 *   on another network) is BROKEN in peeringRanges' words; a read it cannot make is UNKNOWN.
 */
export async function psaRangesLink(t: Transport, cfg: StatusConfig): Promise<Link> {
  if ('error' in cfg.ranges)
    return unknown(
      PSA,
      `could not check: the environment does not configure peeringRanges, whose dry run this link is (${cfg.ranges.error})`,
      'set the variables peeringRanges is deployed with (terraform-bootstrap/functions.tf) where you run netreflex status',
    );
  let seen: { obs: RangeObservation; plan: RangePlan } | undefined;
  try {
    await reconcilePeeringRanges(
      t,
      cfg.ranges.config,
      { parallelJobs: cfg.jobs ?? 1, nodesPerJob: cfg.nodesPerJob },
      { dryRun: true, planned: (obs, plan) => (seen = { obs, plan }) },
    );
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SafetyError || err instanceof PoolBusy)
      return broken(PSA, errorMessage(err), refusalFix(err));
    return unreadableLink(
      PSA,
      'the PSA ranges and their wiring, as peeringRanges observes them',
      PSA_METHODS,
      err,
      cfg,
    );
  }
  return judgeRanges(cfg, seen!.obs, seen!.plan);
}

function refusalFix(err: ConfigError | SafetyError | PoolBusy): string {
  // Room a next run lacks only while the others run: peeringRanges answers 503 and the workflow waits.
  if (err instanceof PoolBusy)
    return 'wait for the runs named to end (the workflow waits and retries), or widen a pool (NETREFLEX_PSA_POOL)';
  if (err instanceof PreflightRefusal)
    return 'wait for the named Vertex jobs to end or cancel them: Vertex uses one network per region';
  return 'do what the message says (the NETREFLEX_* variable or the resource it names), then netreflex plan ranges';
}

function judgeRanges(cfg: StatusConfig, obs: RangeObservation, plan: RangePlan): Link {
  const existing = plan.ranges.filter((r) => !r.isNew);
  const vertex = new Set(plan.ranges.map((r) => r.name));
  const other = obs.observed.addresses.filter((a) => a.purpose === 'VPC_PEERING' && !vertex.has(a.name));
  const details = [
    ...existing.map((r) => `${r.name} ${r.cidr}: ${tiers(r.cidr)}`),
    ...other.map((a) => `${a.name} ${a.address}/${a.prefixLength}: another service's PSA range, not counted`),
    ...plan.allocate.map((a) => `${a.name} ${a.cidr}: peeringRanges allocates it for the next run`),
    ...plan.warnings.map((w) => `warning: ${w.message}`),
  ];
  if (!existing.length)
    return broken(
      PSA,
      `no PSA range Vertex may use on ${cfg.network}${other.length ? ` (${other.length} other VPC_PEERING range(s) are not Vertex's)` : ''}`,
      'reserve one for Private Service Access: netreflex apply ranges (or terraform-bootstrap/psa.tf)',
      details,
    );
  // Wiring of the ranges that exist; wiring of a range the plan allocates comes with it.
  const fresh = new Set(plan.allocate.flatMap((a) => [a.name, a.cidr]));
  const unwired = plan.changes.flatMap((c) =>
    c.kind === 'patchConnection' || c.kind === 'patchFirewall' || c.kind === 'setMigMetadata'
      ? c.added.filter((x) => !fresh.has(x)).length
        ? [describeRangeChange(c)]
        : []
      : [],
  );
  const { capacity } = plan;
  const room = existing.reduce((sum, r) => sum + r.jobs, 0);
  const others = capacity.others ? ` (${capacity.others} taken by other runs on the network)` : '';
  const summary = `${existing.length} Vertex range(s), room for ${room} concurrent job(s) of ≤${capacity.nodesPerJobTier} nodes${others}`;
  if (unwired.length)
    return broken(PSA, `${summary}; not wired: peeringRanges would ${unwired.join('; ')}`, PSA_FIX, details);
  if (cfg.jobs !== undefined && plan.allocate.length)
    return broken(
      PSA,
      `${summary}, fewer than the ${cfg.jobs} wanted${capacity.others ? ` beside the other runs' ${capacity.others}` : ''}`,
      `add a range: netreflex apply ranges --jobs ${cfg.jobs} --nodes-per-job ${cfg.nodesPerJob}`,
      details,
    );
  return ok(PSA, summary, details);
}

/** The jobs a range holds at each documented node tier. */
const tiers = (cidr: string) => {
  const prefixLength = Number(cidr.split('/')[1]);
  return NODE_TIERS.map((n) => `${capacityOf([{ prefixLength }], n)} jobs of ≤${n} nodes`).join(', ');
};

/**
 * The peering-export link is natRoutes' verify (shared/nat-routes/verify.ts), judged in its words
 * (`exportProblems`, shared/plan/route-export.ts): the export its dry run already read (routes-link.ts), never a second read.
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
          'create the Private Service Access connection (terraform-bootstrap/psa.tf, or gcloud services ' +
            'vpc-peerings connect), or set NETREFLEX_PEERING to the peering that exists',
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
