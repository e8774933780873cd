/**
 * Vertex AI preflight, the read: the region's active pipeline jobs and custom jobs (the API filters
 * on state only); the verdict on them — which run on another network, the run refused while any
 * does — is shared/plan/ranges-preflight.ts.
 */
import type { Transport } from '../gcp/transport.js';
import { listCustomJobs, listPipelineJobs, type CustomJob, type PipelineJob } from '../gcp/vertex.js';
import {
  ACTIVE_JOB_STATES,
  ACTIVE_PIPELINE_STATES,
  jobsOnNetwork,
  preflightReport,
  type PreflightReport,
} from '../plan/ranges-preflight.js';

/** The preflight's report and the active jobs on our own network (what shares its ranges). */
export interface Preflight {
  report: PreflightReport;
  ours: { pipelineJobs: PipelineJob[]; customJobs: CustomJob[] };
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
  return { report: preflightReport(region, pipelines, customs, ours), ours: jobsOnNetwork(pipelines, customs, ours) };
}
