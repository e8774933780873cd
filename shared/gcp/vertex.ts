/**
 * Vertex AI jobs, read for the preflight: pipeline jobs and custom jobs of one region, filtered
 * on state by the API (it cannot filter on network: that is checked by the caller). Enums come
 * back as names (the REST default; netreflex never asks for integer enums).
 */
import type { Transport } from './transport.js';

export interface PipelineJob {
  name: string;
  displayName?: string;
  state?: string;
  network?: string;
  reservedIpRanges?: string[];
  createTime?: string;
}

export interface CustomJob {
  name: string;
  displayName?: string;
  state?: string;
  jobSpec?: { network?: string };
  createTime?: string;
}

/** `state="A" OR state="B"`: the filter form Vertex AI's list methods accept. */
export const stateFilter = (states: readonly string[]) => states.map((s) => `state="${s}"`).join(' OR ');

async function listPaged<T>(t: Transport, path: string, key: string, filter: string): Promise<T[]> {
  const all: T[] = [];
  let pageToken: string | undefined;
  do {
    const page = await t.request<Record<string, unknown>>({ service: 'aiplatform', method: 'GET', path, query: { filter, pageSize: 100, pageToken } });
    all.push(...((page[key] as T[] | undefined) ?? []));
    pageToken = page.nextPageToken as string | undefined;
  } while (pageToken);
  return all;
}

export const listPipelineJobs = (t: Transport, project: string, region: string, states: readonly string[]) =>
  listPaged<PipelineJob>(t, `/v1/projects/${project}/locations/${region}/pipelineJobs`, 'pipelineJobs', stateFilter(states));

export const listCustomJobs = (t: Transport, project: string, region: string, states: readonly string[]) =>
  listPaged<CustomJob>(t, `/v1/projects/${project}/locations/${region}/customJobs`, 'customJobs', stateFilter(states));
