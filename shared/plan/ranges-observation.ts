/**
 * What peeringRanges read, as the range planner reads it (pure): shared/peering-ranges/observe.ts
 * reads the cloud — VPC A's global addresses, subnets, routes and peer-imported ranges, the Service
 * Networking connection, the PSA firewall rule, the NAT MIG's published ranges, the peering's export
 * flag, the Cloud NAT port settings, the Vertex jobs of the region — and these turn the answers into
 * the planner's `ObservedNetwork`, the read-back's `Wiring`, and the runs whose reservations are
 * spent. Every list is of this network only (`sameNetwork`, the one network test): another
 * network's PSA addresses, routes or firewall are not ours to count or extend.
 */
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import type { GlobalAddress } from '../gcp/addresses.js';
import type { Firewall } from '../gcp/firewalls.js';
import type { Network, Subnetwork } from '../gcp/networks.js';
import type { Route } from '../gcp/routes.js';
import type { CloudRouter } from '../gcp/routers.js';
import type { Connection } from '../gcp/servicenetworking.js';
import type { CustomJob, PipelineJob } from '../gcp/vertex.js';
import { sameNetwork, type NetworkRef } from '../gcp/paths.js';
import { observedDemand, RUN_LABELS, type DemandReservation } from './ranges-demand.js';
import type { PreflightReport } from './ranges-preflight.js';
import { RUN_ID, type ObservedNat, type ObservedNetwork } from './ranges-types.js';

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

/** What one observation of the network read, besides the lease. */
export interface NetworkReads {
  network: Pick<Network, 'peerings'>;
  addresses: readonly GlobalAddress[];
  connection: Pick<Connection, 'reservedPeeringRanges'> | null;
  subnets: readonly Pick<Subnetwork, 'name' | 'ipCidrRange' | 'secondaryIpRanges'>[];
  routes: readonly Pick<Route, 'network' | 'destRange'>[];
  peerImportedRanges: string[];
  firewall: Pick<Firewall, 'network' | 'sourceRanges'> | undefined;
  /** The return-path ranges the NAT MIG publishes. */
  migRanges: string[];
  nat: ObservedNat | null;
  /** The region's active jobs on this network. */
  jobs: { pipelineJobs: readonly PipelineJob[]; customJobs: readonly CustomJob[] };
  /** The reserved runs whose PipelineJob exists in any state (`pendingRuns`, looked up). */
  ended: ReadonlySet<string>;
}

/** The run ids `jobs` carry in netreflex's run label, among `among` when given. */
export function labelledRuns(jobs: readonly Pick<PipelineJob, 'labels'>[], among?: readonly string[]): Set<string> {
  return new Set(
    jobs
      .map((j) => j.labels?.[RUN_LABELS.run])
      .filter((r): r is string => !!r && (among === undefined || among.includes(r))),
  );
}

/**
 * The reserved runs whose PipelineJob to look for, in any state: the unexpired reservations of
 * other runs (a run that started and already ended never shows among the active jobs, and its
 * reservation would otherwise count for its whole TTL). A run id the label could not carry is
 * never looked up.
 */
export function pendingRuns(demand: DemandContext): string[] {
  return [
    ...new Set(
      demand.reservations
        .filter((r) => r.runId !== demand.runId && Date.parse(r.expiresAt) > demand.now && RUN_ID.test(r.runId))
        .map((r) => r.runId),
    ),
  ];
}

/** The runs that started: those found by their reservation, and those of the active jobs on this network. */
export const startedRunsOf = (reads: Pick<NetworkReads, 'jobs' | 'ended'>): Set<string> =>
  new Set([...reads.ended, ...labelledRuns(reads.jobs.pipelineJobs)]);

/** The firewall rule's source ranges; null when there is none on this network (the planner then skips it). */
const firewallRanges = (firewall: Pick<Firewall, 'network' | 'sourceRanges'> | undefined, ours: NetworkRef) =>
  firewall && sameNetwork(firewall.network, ours) ? (firewall.sourceRanges ?? []) : null;

/** True when the named peering exports custom routes (a missing peering does not). */
const exportsCustomRoutes = (network: Pick<Network, 'peerings'>, peering: string) =>
  network.peerings?.find((p) => p.name === peering)?.exportCustomRoutes === true;

/** The network as the planner reads it, from one observation's reads. */
export function observedNetworkOf(
  reads: NetworkReads,
  ours: NetworkRef,
  cfg: Pick<PeeringRangesConfig, 'reservedRanges'> & { plan: Pick<PeeringRangesConfig['plan'], 'peering'> },
  demand: DemandContext,
): ObservedNetwork {
  return {
    addresses: reads.addresses
      .filter((a) => a.purpose !== 'VPC_PEERING' || sameNetwork(a.network, ours))
      .map((a) => ({ name: a.name, address: a.address, prefixLength: a.prefixLength ?? 32, purpose: a.purpose })),
    connection: reads.connection ? { reservedPeeringRanges: reads.connection.reservedPeeringRanges ?? [] } : null,
    subnets: reads.subnets.map((s) => ({
      name: s.name,
      ipCidrRange: s.ipCidrRange,
      secondaryIpRanges: s.secondaryIpRanges,
    })),
    routeDestRanges: reads.routes.filter((r) => sameNetwork(r.network, ours)).map((r) => r.destRange),
    peerImportedRanges: reads.peerImportedRanges,
    reservedRanges: cfg.reservedRanges,
    firewallSourceRanges: firewallRanges(reads.firewall, ours),
    migRanges: reads.migRanges,
    exportCustomRoutes: exportsCustomRoutes(reads.network, cfg.plan.peering),
    nat: reads.nat,
    demand: observedDemand({
      ...reads.jobs,
      ...demand,
      reservations: demand.reservations.filter((r) => !reads.ended.has(r.runId)),
    }),
  };
}

/** The read-back's lists, from its reads. */
export function wiringOf(
  reads: {
    addresses: readonly GlobalAddress[];
    connection: Pick<Connection, 'reservedPeeringRanges'> | null;
    firewall: Pick<Firewall, 'network' | 'sourceRanges'> | undefined;
    metadata: string[];
    network: Pick<Network, 'peerings'>;
  },
  ours: NetworkRef,
  peering: string,
): Wiring {
  const psa = reads.addresses.filter((a) => a.purpose === 'VPC_PEERING' && sameNetwork(a.network, ours));
  return {
    addresses: psa.map((a) => a.name),
    // Stryker disable next-line StringLiteral: Date.parse of '' and of any other non-date is NaN, which `|| 0` makes 0 either way
    created: psa.map((a) => ({ name: a.name, at: Date.parse(a.creationTimestamp ?? '') || 0 })),
    connection: reads.connection ? (reads.connection.reservedPeeringRanges ?? []) : null,
    firewall: firewallRanges(reads.firewall, ours),
    metadata: reads.metadata,
    exportCustomRoutes: exportsCustomRoutes(reads.network, peering),
  };
}

/** A published list of ranges (`a, b,c`) as its entries: trimmed, empty ones dropped. */
export const rangeList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The egress Cloud NAT's port settings and the NAT VM count; null (the check is skipped) when the router or the NAT is not there. */
export function observedNat(router: CloudRouter | undefined, natName: string, vmCount: number): ObservedNat | null {
  const nat = router?.nats?.find((n) => n.name === natName);
  if (!nat) return null;
  return {
    vmCount,
    minPortsPerVm: nat.minPortsPerVm ?? 64,
    enableDynamicPortAllocation: nat.enableDynamicPortAllocation === true,
    ...(nat.maxPortsPerVm !== undefined ? { maxPortsPerVm: nat.maxPortsPerVm } : {}),
  };
}
