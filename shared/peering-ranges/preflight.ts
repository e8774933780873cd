/**
 * Vertex AI preflight: Vertex uses ONE VPC network per region at a time (docs/architecture.md §1), so a run
 * on VPC A cannot start while jobs of the region run on another network; finding out by a failed
 * run wastes the queue time. This lists the region's active pipeline jobs and custom jobs (the API
 * filters on state only; the network is compared here) and names every job on another network.
 * Jobs without a network do not use PSA and do not block.
 */
import { SafetyError } from '../errors.js';
import { sameNetwork } from '../gcp/paths.js';
import type { Transport } from '../gcp/transport.js';
import { listCustomJobs, listPipelineJobs, type CustomJob, type PipelineJob } from '../gcp/vertex.js';

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

/** The preflight's report and the active jobs on our own network (what shares its ranges). */
export interface Preflight {
  report: PreflightReport;
  ours: { pipelineJobs: PipelineJob[]; customJobs: CustomJob[] };
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

/** One read of the region's active jobs: the preflight's verdict and the jobs on our network. */
export async function vertexJobs(
  t: Transport,
  project: string,
  region: string,
  ours: { project: string; projectNumber: string; name: string },
): Promise<Preflight> {
  const [pipelines, customs] = await Promise.all([
    listPipelineJobs(t, project, region, ACTIVE_PIPELINE_STATES),
    listCustomJobs(t, project, region, ACTIVE_JOB_STATES),
  ]);
  const onOurs = {
    pipelineJobs: pipelines.filter((j) => j.network && sameNetwork(j.network, ours)),
    customJobs: customs.filter((j) => j.jobSpec?.network && sameNetwork(j.jobSpec.network, ours)),
  };
  return { report: preflightReport(region, pipelines, customs, ours), ours: onOurs };
}

function preflightReport(
  region: string,
  pipelines: PipelineJob[],
  customs: CustomJob[],
  ours: { project: string; projectNumber: string; name: string },
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
