/**
 * Cloud Armor security policies: read the policy, and change one rule at a time with
 * `addRule` / `patchRule` / `removeRule`, each waited on until its operation is DONE (the
 * policy-level `patch` cannot change rules, so there is no atomic multi-rule update).
 */
import type { Transport } from './transport.js';
import { waitOperation, type ComputeOperation } from './operations.js';
import { listAll } from './paging.js';

/** Priority of the default rule every policy has; it cannot be removed. */
export const DEFAULT_RULE_PRIORITY = 2147483647;

/**
 * A rule as Compute's REST surface spells it (compute.v1 SecurityPolicyRule), the fields netreflex
 * reads or writes. Optional as on the wire: a rule matching a CEL `expr` has no `config`, and
 * Google leaves out what is unset. The allowlist planner reads a `Pick` of it.
 */
export interface SecurityPolicyRule {
  priority: number;
  /** `allow`, `deny(403)`, `deny(404)`, `deny(502)`, `redirect`, `throttle`, `rate_based_ban`. */
  action: string;
  description?: string;
  preview?: boolean;
  match?: {
    /** `SRC_IPS_V1`, the only version Compute defines, for `config.srcIpRanges`. */
    versionedExpr?: string;
    config?: { srcIpRanges?: string[] };
    expr?: { expression?: string };
  };
  /** Output only: `compute#securityPolicyRule`. */
  kind?: string;
}

export interface SecurityPolicy {
  name: string;
  description?: string;
  /** Changes on every update; `patch` with a stale one is refused (412). */
  fingerprint: string;
  type?: string;
  rules: SecurityPolicyRule[];
  /** Set only through `setLabels`, guarded by `labelFingerprint` (stale → 412). */
  labels?: Record<string, string>;
  labelFingerprint?: string;
  selfLink?: string;
}

const base = (project: string, policy: string) => `/compute/v1/projects/${project}/global/securityPolicies/${policy}`;

export const getSecurityPolicy = (t: Transport, project: string, policy: string) =>
  t.request<SecurityPolicy>({ service: 'compute', method: 'GET', path: base(project, policy) });

/** Every global security policy of the project, rules and labels included (what Cloud Armor's rule quota counts). */
export const listSecurityPolicies = (t: Transport, project: string) =>
  listAll<SecurityPolicy>(t, `/compute/v1/projects/${project}/global/securityPolicies`, 'items', { maxResults: 500 });

export const getSecurityPolicyRule = (t: Transport, project: string, policy: string, priority: number) =>
  t.request<SecurityPolicyRule>({
    service: 'compute',
    method: 'GET',
    path: `${base(project, policy)}/getRule`,
    query: { priority },
  });

async function ruleCall(
  t: Transport,
  project: string,
  policy: string,
  verb: 'addRule' | 'patchRule' | 'removeRule',
  priority?: number,
  rule?: SecurityPolicyRule,
): Promise<void> {
  const op = await t.request<ComputeOperation>({
    service: 'compute',
    method: 'POST',
    path: `${base(project, policy)}/${verb}`,
    query: { priority },
    body: rule,
  });
  await waitOperation(t, op);
}

/** Adds `rule` at its priority (400 when the priority is taken) and waits until it is in force. */
export const addSecurityPolicyRule = (t: Transport, project: string, policy: string, rule: SecurityPolicyRule) =>
  ruleCall(t, project, policy, 'addRule', undefined, rule);

/** Replaces the rule at `priority` with `rule` (which may move it to `rule.priority`) and waits. */
export const patchSecurityPolicyRule = (
  t: Transport,
  project: string,
  policy: string,
  priority: number,
  rule: SecurityPolicyRule,
) => ruleCall(t, project, policy, 'patchRule', priority, rule);

/** Removes the rule at `priority` and waits. */
export const removeSecurityPolicyRule = (t: Transport, project: string, policy: string, priority: number) =>
  ruleCall(t, project, policy, 'removeRule', priority);

/**
 * Replaces the policy's labels (all of them: pass the ones to keep) if `labelFingerprint` is still
 * the current one, and waits; a stale fingerprint is a 412, the compare-and-set netreflex uses to
 * let one of two concurrent syncs through.
 */
export async function setSecurityPolicyLabels(
  t: Transport,
  project: string,
  policy: string,
  labels: Record<string, string>,
  labelFingerprint: string | undefined,
): Promise<void> {
  const op = await t.request<ComputeOperation>({
    service: 'compute',
    method: 'POST',
    path: `${base(project, policy)}/setLabels`,
    body: { labels, labelFingerprint },
  });
  await waitOperation(t, op);
}
