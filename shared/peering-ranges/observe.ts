/**
 * Reads what the range planner needs, all of it from the cloud: VPC A's global addresses,
 * subnets (primary and secondary), routes and peer-imported ranges (the allocator must avoid them
 * all), the Service Networking connection, the PSA firewall rule, the return-path ranges the NAT
 * MIG publishes in its metadata, the peering's export flag, the Cloud NAT port settings, and the
 * Vertex jobs of the run's region (the preflight, and what else shares this network's ranges: the
 * demand, shared/plan/ranges-demand.ts, and which reserved runs have started since). Reads run in
 * parallel; a missing network or NAT MIG is a ConfigError naming what to set. What was read becomes
 * the planner's observation and the read-back's lists in shared/plan/ranges-observation.ts.
 */
import { ConfigError, unlessNotFound } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { ObservedNat } from '../plan/ranges.js';
import { listGlobalAddresses } from '../gcp/addresses.js';
import { getFirewall } from '../gcp/firewalls.js';
import { consumerNetwork, getConnection } from '../gcp/servicenetworking.js';
import { getNetwork, getSubnetwork, listPeeringRoutes, type Network } from '../gcp/networks.js';
import { listRoutes } from '../gcp/routes.js';
import { getInstanceTemplate, getRegionMig, type InstanceGroupManager } from '../gcp/instance-groups.js';
import { getRouter } from '../gcp/routers.js';
import { RUN_LABELS } from '../plan/ranges-demand.js';
import {
  labelledRuns,
  observedNat,
  observedNetworkOf,
  pendingRuns,
  rangeList,
  startedRunsOf,
  wiringOf,
  type DemandContext,
  type RangeObservation,
  type Wiring,
} from '../plan/ranges-observation.js';
import { listPipelineJobsLabelled } from '../gcp/vertex.js';
import { vertexJobs } from './preflight.js';
import type { NetworkRef } from '../gcp/paths.js';

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
  const reads = {
    network: net,
    addresses,
    connection,
    subnets,
    routes,
    peerImportedRanges,
    firewall,
    migRanges,
    nat,
    jobs: jobs.ours,
    ended,
  };
  return {
    observed: observedNetworkOf(reads, networkRef(cfg, network), cfg, demand),
    consumerNetwork: consumer,
    networkUrl: net.selfLink,
    preflight: jobs.report,
    startedRuns: startedRunsOf(reads),
  };
}

/**
 * The reserved runs whose PipelineJob exists in any state. A run that started and already ended
 * never shows among the active jobs, and its reservation would otherwise count for its whole TTL
 * (and make the next preparation allocate for a run that is over): one filtered list finds them.
 */
async function startedRuns(t: Transport, project: string, region: string, demand: DemandContext): Promise<Set<string>> {
  const pending = pendingRuns(demand);
  if (!pending.length) return new Set();
  return labelledRuns(await listPipelineJobsLabelled(t, project, region, RUN_LABELS.run, pending), pending);
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
  return wiringOf(
    { addresses, connection, firewall, metadata: await publishedRanges(t, cfg, mig), network: net },
    ours,
    cfg.plan.peering,
  );
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
  return rangeList(value);
}

/** The egress Cloud NAT's port settings and the NAT VM count; null (the check is skipped) when unreadable. */
async function observeNat(
  t: Transport,
  cfg: PeeringRangesConfig,
  mig: InstanceGroupManager,
): Promise<ObservedNat | null> {
  const router = await unlessNotFound(getRouter(t, cfg.project, cfg.region, cfg.natRouter));
  return observedNat(router, cfg.natName, mig.targetSize);
}
