/**
 * Vertex AI jobs, read for the preflight: pipeline jobs and custom jobs of one region, filtered
 * on state by the API (it cannot filter on network: that is checked by the caller). Enums come
 * back as names (the REST default; netreflex never asks for integer enums).
 */
import type { Transport } from './transport.js';
import { listAll } from './paging.js';

export interface PipelineJob {
  name: string;
  displayName?: string;
  state?: string;
  network?: string;
  reservedIpRanges?: string[];
  createTime?: string;
  labels?: Record<string, string>;
  /** Each task's CustomJob (`executorDetail.containerDetail.mainJob` / `customJobDetail.job`). */
  jobDetail?: {
    taskDetails?: {
      taskName?: string;
      state?: string;
      executorDetail?: { containerDetail?: { mainJob?: string }; customJobDetail?: { job?: string } };
    }[];
  };
}

export interface CustomJob {
  name: string;
  displayName?: string;
  state?: string;
  labels?: Record<string, string>;
  jobSpec?: { network?: string; reservedIpRanges?: string[]; workerPoolSpecs?: { replicaCount?: string | number }[] };
  createTime?: string;
}

/** `state="A" OR state="B"`: the filter form Vertex AI's list methods accept. */
const stateFilter = (states: readonly string[]) => states.map((s) => `state="${s}"`).join(' OR ');

const listPaged = <T>(t: Transport, path: string, key: string, filter: string) =>
  listAll<T>(t, path, key, { filter, pageSize: 100 }, { service: 'aiplatform' });

export const listPipelineJobs = (t: Transport, project: string, region: string, states: readonly string[]) =>
  listPaged<PipelineJob>(
    t,
    `/v1/projects/${project}/locations/${region}/pipelineJobs`,
    'pipelineJobs',
    stateFilter(states),
  );

/**
 * PipelineJobs of the region in any state whose label `key` has one of `values`, a few at a time:
 * `labels.k="a" OR labels.k="b"` (pipeline_service.proto, ListPipelineJobsRequest.filter: "`labels`:
 * Supports key-value equality", joined by OR; a `-` inside a label key is plain text in the
 * AIP-160 grammar, https://google.aip.dev/160). Values must be label values (`[-_a-z0-9]`), never quoted text.
 */
export async function listPipelineJobsLabelled(
  t: Transport,
  project: string,
  region: string,
  key: string,
  values: readonly string[],
): Promise<PipelineJob[]> {
  const chunks = Array.from({ length: Math.ceil(values.length / 10) }, (_, i) => values.slice(i * 10, i * 10 + 10));
  const pages = await Promise.all(
    chunks.map((chunk) =>
      listPaged<PipelineJob>(
        t,
        `/v1/projects/${project}/locations/${region}/pipelineJobs`,
        'pipelineJobs',
        chunk.map((v) => `labels.${key}="${v}"`).join(' OR '),
      ),
    ),
  );
  return pages.flat();
}

export const listCustomJobs = (t: Transport, project: string, region: string, states: readonly string[]) =>
  listPaged<CustomJob>(t, `/v1/projects/${project}/locations/${region}/customJobs`, 'customJobs', stateFilter(states));
