/**
 * Which events make natRoutes look again. Instance events in the MIG's region and events naming
 * the MIG do; the scheduled tick does; a log-sink message is judged by the LogEntry it carries.
 * Everything else is acknowledged with one log line and no API call.
 */
import type { NatRoutesConfig } from '../config/nat-routes.js';
import type { AuditEvent, ParsedEvent } from '../events/parse.js';
import { migPath } from '../gcp/paths.js';

/**
 * Every Admin Activity method that can change which NAT VMs exist, run or sit behind the MIG, as
 * compute.proto (v1 and v1beta, shipped with @google-cloud/compute) names them: the VM's own power
 * methods (Instances: insert, delete, stop, start, startWithEncryptionKey, reset, suspend, resume,
 * and update, which may restart the VM) and every RegionInstanceGroupManagers method that changes
 * the group's membership (create/delete/abandon/recreate instances, resize), which of its VMs run
 * (stop/start/suspend/resume instances) or its configuration (setInstanceTemplate, patch,
 * applyUpdatesToInstances). What the MIG does itself is logged as instances.insert/delete/stop/
 * start by the Google APIs Service Agent; an autoheal is a System Event entry Eventarc does not
 * deliver (the tick covers it). test/terraform/events.test.ts holds this list to the protos.
 */
export const NAT_METHODS = [
  'compute.instances.insert',
  'compute.instances.delete',
  'compute.instances.stop',
  'compute.instances.start',
  'compute.instances.startWithEncryptionKey',
  'compute.instances.reset',
  'compute.instances.suspend',
  'compute.instances.resume',
  'compute.instances.update',
  'compute.regionInstanceGroupManagers.createInstances',
  'compute.regionInstanceGroupManagers.deleteInstances',
  'compute.regionInstanceGroupManagers.abandonInstances',
  'compute.regionInstanceGroupManagers.recreateInstances',
  'compute.regionInstanceGroupManagers.resize',
  'compute.regionInstanceGroupManagers.stopInstances',
  'compute.regionInstanceGroupManagers.startInstances',
  'compute.regionInstanceGroupManagers.suspendInstances',
  'compute.regionInstanceGroupManagers.resumeInstances',
  'compute.regionInstanceGroupManagers.setInstanceTemplate',
  'compute.regionInstanceGroupManagers.patch',
  'compute.regionInstanceGroupManagers.applyUpdatesToInstances',
] as const;

/**
 * The same kind of methods that only the beta API has (v1beta's RegionInstanceGroupManagers:
 * adoptInstances adds VMs to the group, resizeAdvanced resizes it, update replaces its configuration).
 */
export const NAT_BETA_METHODS = [
  'compute.regionInstanceGroupManagers.adoptInstances',
  'compute.regionInstanceGroupManagers.resizeAdvanced',
  'compute.regionInstanceGroupManagers.update',
] as const;

/**
 * Audit-log method names carry the API version of the call, `v1.` or `beta.`
 * (https://cloud.google.com/compute/docs/logging/migrating-from-activity-logs-to-audit-logs:
 * "API_VERSION.RESOURCE.METHOD"; https://cloud.google.com/vpc/docs/audit-logging: "When the beta or
 * alpha version of the API is called the method name will start with beta or alpha respectively").
 * Eventarc matches `methodName` exactly, so each version of each method is one trigger. The local stack subscribes
 * natRoutes to exactly these, and a Terraform check holds terraform-bootstrap/events.tf to the same list.
 */
export const NAT_AUDIT_METHODS: readonly string[] = [
  ...(['v1', 'beta'] as const).flatMap((version) => NAT_METHODS.map((m) => `${version}.${m}`)),
  ...NAT_BETA_METHODS.map((m) => `beta.${m}`),
];

export type TriggerDecision = { sync: true; why: string } | { sync: false; why: string };

/**
 * A project named by id or by number is ours: API calls are logged with the id the caller used,
 * but changes Compute Engine makes itself — a MIG creating, deleting or recreating its VMs — are
 * logged with `projects/<number>/zones/…` (Google's own gcpdiag fixtures, test-data/gce5 and gce4).
 */
const isOurProject = (project: string | undefined, cfg: Pick<NatRoutesConfig, 'project' | 'projectNumber'>) =>
  project === cfg.project || project === cfg.projectNumber;

function judgeAudit(e: Pick<AuditEvent, 'methodName' | 'resourceName'>, cfg: NatRoutesConfig): TriggerDecision {
  const instance = /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(e.resourceName);
  if (instance) {
    const [, project, zone] = instance;
    if (!isOurProject(project, cfg))
      return { sync: false, why: `instance in project ${project}, not ${cfg.project} (#${cfg.projectNumber})` };
    if (!zone!.startsWith(`${cfg.region}-`))
      return { sync: false, why: `instance in zone ${zone}, outside region ${cfg.region}` };
    return { sync: true, why: `${e.methodName} on ${e.resourceName}` };
  }
  const mig = /^projects\/([^/]+)\/regions\/([^/]+)\/instanceGroupManagers\/([^/]+)$/.exec(e.resourceName);
  if (mig) {
    const [, project, region, name] = mig;
    if (!isOurProject(project, cfg) || region !== cfg.region || name !== cfg.mig)
      return {
        sync: false,
        why: `event for MIG ${e.resourceName}, not ${migPath(cfg)}`,
      };
    return { sync: true, why: `${e.methodName} on ${e.resourceName}` };
  }
  return { sync: false, why: `audit log for ${e.resourceName} is neither a NAT instance nor the NAT MIG` };
}

/** A log-sink message carries a LogEntry; any other JSON object on the topic is a tick. */
function judgePubsub(json: unknown, cfg: NatRoutesConfig): TriggerDecision {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { sync: false, why: 'Pub/Sub message data is not a JSON object; publish {"kind":"tick"} to request a sync' };
  }
  const payload = (json as { protoPayload?: { methodName?: unknown; resourceName?: unknown } } | undefined)
    ?.protoPayload;
  if (payload && typeof payload.methodName === 'string' && typeof payload.resourceName === 'string') {
    return judgeAudit({ methodName: payload.methodName, resourceName: payload.resourceName }, cfg);
  }
  return { sync: true, why: 'scheduled safety-net sync' };
}

export function judgeTrigger(event: ParsedEvent, cfg: NatRoutesConfig): TriggerDecision {
  switch (event.kind) {
    case 'audit':
      return judgeAudit(event, cfg);
    case 'pubsub':
      return judgePubsub(event.json, cfg);
    case 'storage':
      return { sync: false, why: `storage event for gs://${event.bucket}/${event.name} is not for natRoutes` };
    case 'invalid':
      return { sync: false, why: event.reason };
  }
}
