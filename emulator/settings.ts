/** Timing knobs and quota limits of the local Google Cloud, changeable at run time through the control API. */
export interface Settings {
  /** How long a Compute operation stays RUNNING before it is DONE. */
  operationLatencyMs: number;
  /** Time between two lifecycle steps of a MIG instance (PROVISIONING → STAGING → RUNNING …). */
  instanceStepMs: number;
  /** How long after an instance stops or turns unhealthy the MIG autoheals it (0 = never). */
  autohealDelayMs: number;
  /**
   * Real milliseconds one second of a health check's timing lasts when a load balancer probes its
   * backends (`checkIntervalSec`, thresholds: compute/lb-health.ts); 0 = the load balancer sees
   * each VM's state at once. Takes effect when the emulator starts.
   */
  healthCheckSecondMs: number;
  /** Longest time `operations.wait` blocks before answering with a still-running operation. */
  waitTimeoutMs: number;
  /** Time between two states of a Vertex AI pipeline job (QUEUED → PENDING → RUNNING, CANCELLING → CANCELLED). */
  pipelineStepMs: number;
  /** How long a Vertex AI pipeline job stays RUNNING before it SUCCEEDS. */
  pipelineRunMs: number;
  /** Cloud Armor `SECURITY_POLICIES`: global security policies per project (emulator/compute/security-policies-quota.ts). */
  securityPoliciesQuota: number;
  /** Cloud Armor `SECURITY_POLICY_RULES`: rules across all global security policies of a project. */
  securityPolicyRulesQuota: number;
  /** Cloud Armor `SECURITY_POLICY_CEVAL_RULES`: rules with advanced (CEL) match conditions per project. */
  securityPolicyAdvancedRulesQuota: number;
}

/** Settings that are counts (quota limits), not milliseconds. */
export const COUNT_SETTINGS: readonly (keyof Settings)[] = [
  'securityPoliciesQuota',
  'securityPolicyRulesQuota',
  'securityPolicyAdvancedRulesQuota',
];

export const DEFAULT_SETTINGS: Settings = {
  operationLatencyMs: 50,
  instanceStepMs: 100,
  autohealDelayMs: 0,
  healthCheckSecondMs: 0,
  waitTimeoutMs: 10_000,
  pipelineStepMs: 100,
  pipelineRunMs: 2_000,
  // The defaults of https://cloud.google.com/armor/quotas (quota values commonly granted).
  securityPoliciesQuota: 10,
  securityPolicyRulesQuota: 200,
  securityPolicyAdvancedRulesQuota: 20,
};
