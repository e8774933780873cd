/**
 * The Vertex AI preflight's verdict (pure): Vertex uses ONE VPC network per region at a time
 * (docs/architecture.md §1), so a run on VPC A cannot start while jobs of the region run on another
 * network; finding out by a failed run wastes the queue time. From the region's active pipeline
 * jobs and custom jobs (shared/peering-ranges/preflight.ts reads them; the API filters on state
 * only, the network is compared here) it names every job on another network, and the plan is made
 * only when there is none. Jobs without a network do not use PSA and do not block.
 */
import { SafetyError } from '../errors.js';
import { sameNetwork, type NetworkRef } from '../gcp/paths.js';
import type { CustomJob, PipelineJob } from '../gcp/vertex.js';
import { planRanges } from './ranges.js';
import type { ObservedNetwork, RangePlan, RangePlanOptions, RangeRequest } from './ranges-types.js';

export const ACTIVE_PIPELINE_STATES = [
  'PIPELINE_STATE_RUNNING',
  'PIPELINE_STATE_PENDING',
  'PIPELINE_STATE_QUEUED',
  'PIPELINE_STATE_CANCELLING',
] as const;
export const ACTIVE_JOB_STATES = [
  'JOB_STATE_RUNNING',
  'JOB_STATE_PENDING',
  'JOB_STATE_QUEUED',
  'JOB_STATE_CANCELLING',
] as const;

export interface ActiveJob {
  kind: 'pipelineJob' | 'customJob';
  name: string;
  displayName?: string;
  state: string;
  network: string;
}

export interface PreflightReport {
  region: string;
  /** Active jobs in the region with a network (any). */
  active: number;
  /** Active jobs on another network: the run cannot start while they hold the region. */
  otherNetwork: ActiveJob[];
}

/** Refusal of the preflight: permanent for this request until the named jobs end (HTTP 409). */
export class PreflightRefusal extends SafetyError {
  /** A conflict with what else runs in the region (HTTP 409), not a refusal of the request itself. */
  readonly failureKind = 'conflict';
  constructor(
    readonly report: PreflightReport,
    network: string,
  ) {
    super(
      `Vertex AI preflight: ${report.otherNetwork.length} job(s) in ${report.region} use another network, and Vertex uses one network per region at a time, ` +
        `so a run on ${network} would fail: ${report.otherNetwork.map((j) => `${j.name} (${j.displayName ?? ''}, ${j.state}, ${j.network})`).join('; ')}. ` +
        'Wait for them to finish or cancel them, then retry.',
    );
  }
}

/** The region's active jobs that run on our network (what shares its ranges). */
export function jobsOnNetwork(
  pipelines: readonly PipelineJob[],
  customs: readonly CustomJob[],
  ours: NetworkRef,
): { pipelineJobs: PipelineJob[]; customJobs: CustomJob[] } {
  return {
    pipelineJobs: pipelines.filter((j) => j.network && sameNetwork(j.network, ours)),
    customJobs: customs.filter((j) => j.jobSpec?.network && sameNetwork(j.jobSpec.network, ours)),
  };
}

/** The preflight's verdict on the region's active jobs: how many have a network, and those on another one. */
export function preflightReport(
  region: string,
  pipelines: readonly PipelineJob[],
  customs: readonly CustomJob[],
  ours: NetworkRef,
): PreflightReport {
  const active: ActiveJob[] = [
    ...pipelines.map((j) => ({
      kind: 'pipelineJob' as const,
      name: j.name,
      displayName: j.displayName,
      state: j.state ?? '',
      network: j.network ?? '',
    })),
    ...customs.map((j) => ({
      kind: 'customJob' as const,
      name: j.name,
      displayName: j.displayName,
      state: j.state ?? '',
      network: j.jobSpec?.network ?? '',
    })),
  ].filter((j) => j.network !== '');
  return { region, active: active.length, otherNetwork: active.filter((j) => !sameNetwork(j.network, ours)) };
}

/** What the plan after the preflight reads: the network as observed, and the preflight's verdict on it. */
export interface PreflightedNetwork {
  observed: ObservedNetwork;
  /** `projects/{projectNumber}/global/networks/{name}`: the network the refusal names. */
  consumerNetwork: string;
  preflight: PreflightReport;
}

/** The plan, once the preflight lets the run start at all (else PreflightRefusal, before any change). */
export function planAfterPreflight(
  request: RangeRequest,
  obs: PreflightedNetwork,
  options: Partial<RangePlanOptions>,
): RangePlan {
  if (obs.preflight.otherNetwork.length) throw new PreflightRefusal(obs.preflight, obs.consumerNetwork);
  return planRanges(request, obs.observed, options);
}
