/** Timing knobs of the local Google Cloud, changeable at run time through the control API. */
export interface Settings {
  /** How long a Compute operation stays RUNNING before it is DONE. */
  operationLatencyMs: number;
  /** Time between two lifecycle steps of a MIG instance (PROVISIONING → STAGING → RUNNING …). */
  instanceStepMs: number;
  /** How long after an instance stops or turns unhealthy the MIG autoheals it (0 = never). */
  autohealDelayMs: number;
  /** Longest time `operations.wait` blocks before answering with a still-running operation. */
  waitTimeoutMs: number;
  /** Time between two states of a Vertex AI pipeline job (QUEUED → PENDING → RUNNING, CANCELLING → CANCELLED). */
  pipelineStepMs: number;
  /** How long a Vertex AI pipeline job stays RUNNING before it SUCCEEDS. */
  pipelineRunMs: number;
}

export const DEFAULT_SETTINGS: Settings = {
  operationLatencyMs: 50,
  instanceStepMs: 100,
  autohealDelayMs: 0,
  waitTimeoutMs: 10_000,
  pipelineStepMs: 100,
  pipelineRunMs: 2_000,
};
