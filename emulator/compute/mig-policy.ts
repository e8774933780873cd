/**
 * How a MIG's updater decides what to do to a VM whose configuration (instance template and
 * all-instances configuration) differs from the group's — pure functions, the rules as Google
 * documents them in compute.proto's InstanceGroupManagerUpdatePolicy and
 * https://cloud.google.com/compute/docs/instance-groups/updating-migs:
 *
 * - actions are ordered NONE < REFRESH < RESTART < REPLACE;
 * - the action a change NEEDS: metadata and labels (and network tags, set in place by
 *   instances.setTags) need only REFRESH ("Compute Engine does not need to restart a VM to change
 *   its metadata", MinimalAction); machine type, service accounts, scheduling and accelerators need
 *   the VM stopped (RESTART: instances.setMachineType and setServiceAccount require a stopped VM);
 *   anything else in the template — disks, images, network interfaces, IP forwarding — needs a new
 *   VM (REPLACE; "Recreating an instance deletes the existing root persistent disk and creates a new
 *   disk from the image that is defined in the instance template", InstanceGroupManagerActionsSummary);
 * - the updater performs max(needed, minimalAction); "If the Updater determines that the minimal
 *   update action needed is more disruptive than most disruptive allowed action you specify it will
 *   not perform the update at all" (MostDisruptiveAllowedAction);
 * - PROACTIVE rolls out on its own; OPPORTUNISTIC "will apply new configurations to existing VMs
 *   only when you selectively target specific or all VMs" (Type) — and a VM created or recreated
 *   for another reason starts from the current configuration. Without an update policy the group
 *   is opportunistic: "The templates for existing instances in the group do not change unless you
 *   run recreateInstances, run applyUpdatesToInstances, or set the group's updatePolicy.type to
 *   PROACTIVE" (InstanceGroupManager.instance_template);
 * - REPLACE uses `replacementMethod`: SUBSTITUTE (default) "instances will be deleted and created
 *   (with a new name)", RECREATE "instances will be recreated (with the same name)";
 * - maxSurge and maxUnavailable default to the number of zones, "at least one of either maxSurge
 *   or maxUnavailable must be greater than 0", and a percentage needs 10 or more instances;
 *   RECREATE keeps names, so it cannot surge (maxSurge must be 0 —
 *   https://cloud.google.com/compute/docs/instance-groups/rolling-out-updates-to-managed-instance-groups).
 */
import { badRequest } from '../errors.js';
import { isRecord } from './validate.js';

export const ACTIONS = ['NONE', 'REFRESH', 'RESTART', 'REPLACE'] as const;
export type Action = (typeof ACTIONS)[number];
export const isAction = (v: unknown): v is Action => ACTIONS.some((a) => a === v);
export const UPDATE_TYPES = ['PROACTIVE', 'OPPORTUNISTIC'] as const;
export const REPLACEMENT_METHODS = ['SUBSTITUTE', 'RECREATE'] as const;

export interface UpdatePolicy {
  type: (typeof UPDATE_TYPES)[number];
  minimalAction: Action;
  mostDisruptiveAllowedAction: Action;
  replacementMethod: (typeof REPLACEMENT_METHODS)[number];
  /** Fixed numbers, percentages already resolved against the group size. */
  maxSurge: number;
  maxUnavailable: number;
}

const rank = (a: Action) => ACTIONS.indexOf(a);
export const moreDisruptive = (a: Action, b: Action): Action => (rank(a) >= rank(b) ? a : b);

/** The updater's decision for one VM: the action, or `blocked` beyond the allowed one. */
export type Decision = Action | 'BLOCKED';

export function decide(needed: Action, minimal: Action, mostAllowed: Action): Decision {
  if (needed === 'NONE') return 'NONE';
  const action = moreDisruptive(needed, minimal);
  return rank(action) > rank(mostAllowed) ? 'BLOCKED' : action;
}

const REFRESH_FIELDS = new Set(['metadata', 'labels', 'tags', 'description']);
const RESTART_FIELDS = new Set(['machineType', 'serviceAccounts', 'scheduling', 'guestAccelerators', 'minCpuPlatform']);

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The least action that turns a VM built from `from` into one built from `to`. */
export function neededAction(from: InstanceConfigView, to: InstanceConfigView): Action {
  let needed: Action = 'NONE';
  const fields = new Set([...Object.keys(from.properties), ...Object.keys(to.properties)]);
  for (const field of fields) {
    if (same(from.properties[field], to.properties[field])) continue;
    needed = moreDisruptive(
      needed,
      REFRESH_FIELDS.has(field) ? 'REFRESH' : RESTART_FIELDS.has(field) ? 'RESTART' : 'REPLACE',
    );
  }
  if (!same(from.allInstances, to.allInstances) || from.template !== to.template)
    needed = moreDisruptive(needed, 'REFRESH');
  return needed;
}

/** What a VM is built from: its template (URL and properties) and the all-instances overrides. */
export interface InstanceConfigView {
  template: string;
  properties: Record<string, unknown>;
  allInstances: { metadata: Record<string, string>; labels: Record<string, string> };
}

function fixedOrPercent(value: unknown, field: string, size: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (!isRecord(value)) throw badRequest(`Invalid value for field '${field}': must be {fixed} or {percent}.`);
  const v = value;
  if (v.percent !== undefined) {
    if (size < 10)
      throw badRequest(
        `Invalid value for field '${field}.percent': a percentage is allowed only for groups of 10 or more instances.`,
      );
    return Math.round((Number(v.percent) * size) / 100);
  }
  const fixed = Number(v.fixed ?? 0);
  if (!Number.isInteger(fixed) || fixed < 0)
    throw badRequest(`Invalid value for field '${field}.fixed': '${String(v.fixed)}'. Must be a whole number ≥ 0.`);
  return fixed;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, fallback: T): T {
  if (value === undefined || value === null || value === '') return fallback;
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw badRequest(`Invalid value for field '${field}': '${String(value)}'. Must be one of ${allowed.join(', ')}.`);
  return found;
}

/** The group's `updatePolicy` with Google's defaults filled in, validated; 400 in Compute's words. */
export function effectivePolicy(raw: unknown, size: number, zones: number): UpdatePolicy {
  const p: Record<string, unknown> = isRecord(raw) ? raw : {};
  const policy: UpdatePolicy = {
    type: oneOf(p.type, UPDATE_TYPES, 'updatePolicy.type', 'OPPORTUNISTIC'),
    minimalAction: oneOf(p.minimalAction, ACTIONS, 'updatePolicy.minimalAction', 'NONE'),
    mostDisruptiveAllowedAction: oneOf(
      p.mostDisruptiveAllowedAction,
      ACTIONS,
      'updatePolicy.mostDisruptiveAllowedAction',
      'REPLACE',
    ),
    replacementMethod: oneOf(p.replacementMethod, REPLACEMENT_METHODS, 'updatePolicy.replacementMethod', 'SUBSTITUTE'),
    maxSurge: fixedOrPercent(p.maxSurge, 'updatePolicy.maxSurge', size, p.replacementMethod === 'RECREATE' ? 0 : zones),
    maxUnavailable: fixedOrPercent(p.maxUnavailable, 'updatePolicy.maxUnavailable', size, zones),
  };
  if (policy.maxSurge === 0 && policy.maxUnavailable === 0)
    throw badRequest(
      `Invalid value for field 'updatePolicy': at least one of maxSurge or maxUnavailable must be greater than 0.`,
    );
  if (policy.replacementMethod === 'RECREATE' && policy.maxSurge > 0)
    throw badRequest(
      `Invalid value for field 'updatePolicy.maxSurge': must be 0 when replacementMethod is RECREATE (instances keep their names, so none can be created beside them).`,
    );
  return policy;
}

/** How many VMs one step of a rollout may take on for `action` (0 = the budget allows none). */
export function batchSize(policy: UpdatePolicy, action: Action): number {
  if (action === 'REFRESH') return Number.MAX_SAFE_INTEGER; // nothing becomes unavailable
  if (action === 'REPLACE' && policy.replacementMethod === 'SUBSTITUTE' && policy.maxSurge > 0) return policy.maxSurge;
  return policy.maxUnavailable;
}
