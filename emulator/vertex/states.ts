/**
 * Vertex AI job states and how they go on the wire. The official Node client in REST mode asks
 * `$alt=json;enum-encoding=int`, so enums are answered as numbers when asked for and as names
 * otherwise (the REST default); numbers are the proto values of `PipelineState` and `JobState`.
 */
export const PIPELINE_STATES = [
  'PIPELINE_STATE_UNSPECIFIED',
  'PIPELINE_STATE_QUEUED',
  'PIPELINE_STATE_PENDING',
  'PIPELINE_STATE_RUNNING',
  'PIPELINE_STATE_SUCCEEDED',
  'PIPELINE_STATE_FAILED',
  'PIPELINE_STATE_CANCELLING',
  'PIPELINE_STATE_CANCELLED',
  'PIPELINE_STATE_PAUSED',
] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];

export const JOB_STATES = [
  'JOB_STATE_UNSPECIFIED',
  'JOB_STATE_QUEUED',
  'JOB_STATE_PENDING',
  'JOB_STATE_RUNNING',
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLING',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_PAUSED',
  'JOB_STATE_EXPIRED',
  'JOB_STATE_UPDATING',
  'JOB_STATE_PARTIALLY_SUCCEEDED',
] as const;

/** States after which a pipeline job never changes again. */
export const TERMINAL: readonly PipelineState[] = [
  'PIPELINE_STATE_SUCCEEDED',
  'PIPELINE_STATE_FAILED',
  'PIPELINE_STATE_CANCELLED',
];

/** States in which a job holds its network (and its addresses in the PSA ranges). */
export const HOLDS_NETWORK: readonly PipelineState[] = ['PIPELINE_STATE_RUNNING', 'PIPELINE_STATE_CANCELLING'];

/** True when the request asked for integer enums (`$alt=json;enum-encoding=int`). */
export const wantsIntEnums = (query: URLSearchParams) => /enum-encoding=int/.test(query.get('$alt') ?? '');

/** A job as the client asked for it: `state` as a number or a name. */
export function encodeState<T extends Record<string, unknown>>(job: T, names: readonly string[], asInt: boolean): T {
  if (!asInt || typeof job.state !== 'string') return job;
  return { ...job, state: Math.max(0, names.indexOf(job.state)) };
}
