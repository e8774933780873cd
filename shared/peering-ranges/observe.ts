/**
 * Reads what the range planner needs, all of it from the cloud: VPC A's global addresses,
 * subnets (primary and secondary), routes and peer-imported ranges (the allocator must avoid them
 * all), the Service Networking connection, the PSA firewall rule, the return-path ranges the NAT
 * MIG publishes in its metadata, the peering's export flag, the Cloud NAT port settings, and the
 * Vertex jobs of the run's region (the preflight, and what else shares this network's ranges: the
 * demand, shared/plan/ranges-demand.ts, and which reserved runs have started since). Reads run in
 * parallel; a missing network or NAT MIG is a ConfigError naming what to set.
 */
import { ConfigError, unlessNotFound } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { ObservedNat, ObservedNetwork } from '../plan/ranges.js';
import { listGlobalAddresses } from '../gcp/addresses.js';
import { getFirewall } from '../gcp/firewalls.js';
import { consumerNetwork, getConnection } from '../gcp/servicenetworking.js';
import { getNetwork, getSubnetwork, listPeeringRoutes, type Network } from '../gcp/networks.js';
import { listRoutes } from '../gcp/routes.js';
import { getInstanceTemplate, getRegionMig, type InstanceGroupManager } from '../gcp/instance-groups.js';
import { getRouter, type CloudNat } from '../gcp/routers.js';
import { observedDemand, RUN_LABELS, type DemandReservation } from '../plan/ranges-demand.js';
import { RUN_ID } from '../plan/ranges-types.js';
import { listPipelineJobsLabelled } from '../gcp/vertex.js';
import type { PreflightReport } from '../plan/ranges-preflight.js';
import { vertexJobs } from './preflight.js';
import { sameNetwork, type NetworkRef } from '../gcp/paths.js';

/** What was observed, plus the raw facts the report and the apply step need. */
export interface RangeObservation {
  observed: ObservedNetwork;
  /** `projects/{projectNumber}/global/networks/{name}`. */
  consumerNetwork: string;
  networkUrl: string;
  preflight: PreflightReport;
  /** Runs that started (their PipelineJobs carry netreflex's run label): their reservations are spent. */
  startedRuns: Set<string>;
}

/** What the demand count needs besides the cloud: the lease's reservations and this run. */
export interface DemandContext {
  reservations: readonly DemandReservation[];
  runId?: string;
  now: number;
}

async function requireNetwork(t: Transport, cfg: PeeringRangesConfig, network: string): Promise<Network> {
  const net = await unlessNotFound(getNetwork(t, cfg.project, network));
  if (!net)
    throw new ConfigError(
      `peeringRanges: network "${network}" does not exist in project ${cfg.project}; pass the VPC the pipelines run on (network) or set NETREFLEX_NETWORK`,
    );
  return net;
}

async function requireMig(t: Transport, cfg: PeeringRangesConfig): Promise<InstanceGroupManager> {
  const mig = await unlessNotFound(getRegionMig(t, cfg.project, cfg.region, cfg.natMig));
  if (!mig)
    throw new ConfigError(
      `peeringRanges: NAT MIG "${cfg.natMig}" does not exist in ${cfg.region}; set NETREFLEX_NAT_MIG (and NETREFLEX_REGION) to the NAT VMs' regional MIG`,
    );
  return mig;
}

/** Where the run goes: VPC A's name, and the region its Vertex jobs run in (the preflight's and the demand's). */
export interface RangeTarget {
  network: string;
  region: string;
}

export async function observeRanges(
  t: Transport,
  cfg: PeeringRangesConfig,
  target: RangeTarget,
  demand: DemandContext = { reservations: [], now: 0 },
): Promise<RangeObservation> {
  const { network, region } = target;
  const net = await requireNetwork(t, cfg, network);
  const consumer = consumerNetwork(cfg.projectNumber, network);
  // Which reserved runs have a PipelineJob is read *before* the active jobs, never beside them: a run
  // whose job is created between two parallel reads would lose its reservation (its job exists) and
  // not be counted as a job either (the active list was read before it), and the next run would be
  // given its room. In this order a job created in between counts twice (reservation and job), which
  // only errs on the safe side; one that ended in between is rightly gone from both.
  const ended = await startedRuns(t, cfg.project, region, demand);
  const [jobs, addresses, connection, subnets, routes, peerImportedRanges, firewall, mig] = await Promise.all([
    vertexJobs(t, cfg.project, region, { project: cfg.project, projectNumber: cfg.projectNumber, name: network }),
    listGlobalAddresses(t, cfg.project),
    getConnection(t, consumer),
    Promise.all((net.subnetworks ?? []).map((url) => getSubnetwork(t, url))),
    listRoutes(t, cfg.project),
    peerImported(t, cfg, net),
    unlessNotFound(getFirewall(t, cfg.project, cfg.plan.firewall)),
    requireMig(t, cfg),
  ]);
  const [migRanges, nat] = await Promise.all([publishedRanges(t, cfg, mig), observeNat(t, cfg, mig)]);
  const ours = networkRef(cfg, network);
  const observed: ObservedNetwork = {
    addresses: addresses
      .filter((a) => a.purpose !== 'VPC_PEERING' || sameNetwork(a.network, ours))
      .map((a) => ({ name: a.name, address: a.address, prefixLength: a.prefixLength ?? 32, purpose: a.purpose })),
    connection: connection ? { reservedPeeringRanges: connection.reservedPeeringRanges ?? [] } : null,
    subnets: subnets.map((s) => ({ name: s.name, ipCidrRange: s.ipCidrRange, secondaryIpRanges: s.secondaryIpRanges })),
    routeDestRanges: routes.filter((r) => sameNetwork(r.network, ours)).map((r) => r.destRange),
    peerImportedRanges,
    reservedRanges: cfg.reservedRanges,
    firewallSourceRanges: firewall && sameNetwork(firewall.network, ours) ? (firewall.sourceRanges ?? []) : null,
    migRanges,
    exportCustomRoutes: net.peerings?.find((p) => p.name === cfg.plan.peering)?.exportCustomRoutes === true,
    nat,
    demand: observedDemand({
      ...jobs.ours,
      ...demand,
      reservations: demand.reservations.filter((r) => !ended.has(r.runId)),
    }),
  };
  const started = new Set([
    ...ended,
    ...jobs.ours.pipelineJobs.map((j) => j.labels?.[RUN_LABELS.run]).filter((r): r is string => !!r),
  ]);
  return {
    observed,
    consumerNetwork: consumer,
    networkUrl: net.selfLink,
    preflight: jobs.report,
    startedRuns: started,
  };
}

/**
 * The reserved runs whose PipelineJob exists in any state. A run that started and already ended
 * never shows among the active jobs, and its reservation would otherwise count for its whole TTL
 * (and make the next preparation allocate for a run that is over): one filtered list finds them.
 */
async function startedRuns(t: Transport, project: string, region: string, demand: DemandContext): Promise<Set<string>> {
  const pending = [
    ...new Set(
      demand.reservations
        .filter((r) => r.runId !== demand.runId && Date.parse(r.expiresAt) > demand.now && RUN_ID.test(r.runId))
        .map((r) => r.runId),
    ),
  ];
  if (!pending.length) return new Set();
  const jobs = await listPipelineJobsLabelled(t, project, region, RUN_LABELS.run, pending);
  return new Set(jobs.map((j) => j.labels?.[RUN_LABELS.run]).filter((r): r is string => !!r && pending.includes(r)));
}

/** The three lists a preparation extends, and the addresses and export flag, read back after its writes. */
export interface Wiring {
  addresses: string[];
  /** The network's VPC_PEERING addresses with their creation time: one created while a preparation ran is someone's concurrent addition, which its read-back puts back. */
  created: { name: string; at: number }[];
  connection: string[] | null;
  firewall: string[] | null;
  metadata: string[];
  exportCustomRoutes: boolean;
}

export async function observeWiring(
  t: Transport,
  cfg: PeeringRangesConfig,
  obs: Pick<RangeObservation, 'consumerNetwork' | 'networkUrl'>,
): Promise<Wiring> {
  const name = obs.networkUrl.split('/').pop()!;
  const ours = networkRef(cfg, name);
  const [addresses, connection, firewall, mig, net] = await Promise.all([
    listGlobalAddresses(t, cfg.project),
    getConnection(t, obs.consumerNetwork),
    unlessNotFound(getFirewall(t, cfg.project, cfg.plan.firewall)),
    requireMig(t, cfg),
    getNetwork(t, cfg.project, name),
  ]);
  const psa = addresses.filter((a) => a.purpose === 'VPC_PEERING' && sameNetwork(a.network, ours));
  return {
    addresses: psa.map((a) => a.name),
    created: psa.map((a) => ({ name: a.name, at: Date.parse(a.creationTimestamp ?? '') || 0 })),
    connection: connection ? (connection.reservedPeeringRanges ?? []) : null,
    firewall: firewall && sameNetwork(firewall.network, ours) ? (firewall.sourceRanges ?? []) : null,
    metadata: await publishedRanges(t, cfg, mig),
    exportCustomRoutes: net.peerings?.find((p) => p.name === cfg.plan.peering)?.exportCustomRoutes === true,
  };
}

/** This network, as the one network test (`sameNetwork`) takes it. */
const networkRef = (cfg: PeeringRangesConfig, name: string): NetworkRef => ({
  project: cfg.project,
  projectNumber: cfg.projectNumber,
  name,
});

/** Ranges VPC A imports over every one of its peerings (the producer's subnets among them). */
async function peerImported(t: Transport, cfg: PeeringRangesConfig, net: Network): Promise<string[]> {
  const lists = await Promise.all(
    (net.peerings ?? []).map((p) => listPeeringRoutes(t, cfg.project, net.name, p.name, cfg.region, 'INCOMING')),
  );
  return [...new Set(lists.flat().map((r) => r.destRange))];
}

/** The return-path ranges every NAT VM gets: the MIG's all-instances value, else the template's. */
export async function publishedRanges(
  t: Transport,
  cfg: PeeringRangesConfig,
  mig: InstanceGroupManager,
): Promise<string[]> {
  const key = cfg.plan.metadataKey;
  let value = mig.allInstancesConfig?.properties?.metadata?.[key];
  if (value === undefined && mig.instanceTemplate) {
    const template = await getInstanceTemplate(t, cfg.project, mig.instanceTemplate);
    value = template.properties?.metadata?.items?.find((i) => i.key === key)?.value;
  }
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The egress Cloud NAT's port settings and the NAT VM count; null (the check is skipped) when unreadable. */
async function observeNat(
  t: Transport,
  cfg: PeeringRangesConfig,
  mig: InstanceGroupManager,
): Promise<ObservedNat | null> {
  const router = await unlessNotFound(getRouter(t, cfg.project, cfg.region, cfg.natRouter));
  const nat = router?.nats?.find((n) => n.name === cfg.natName) as (CloudNat & { maxPortsPerVm?: number }) | undefined;
  if (!nat) return null;
  return {
    vmCount: mig.targetSize,
    minPortsPerVm: nat.minPortsPerVm ?? 64,
    enableDynamicPortAllocation: nat.enableDynamicPortAllocation === true,
    ...(nat.maxPortsPerVm !== undefined ? { maxPortsPerVm: nat.maxPortsPerVm } : {}),
  };
}
