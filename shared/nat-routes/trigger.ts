/**
 * Which events make natRoutes look again. Instance events in the MIG's region and events naming
 * the MIG do; the scheduled tick does; a log-sink message is judged by the LogEntry it carries.
 * Everything else is acknowledged with one log line and no API call.
 */
import type { NatRoutesConfig } from '../config/nat-routes.js';
import type { AuditEvent, ParsedEvent } from '../events/parse.js';

/**
 * The Admin Activity audit-log methods that move NAT VMs, one Eventarc trigger each (Eventarc
 * matches method names exactly). The local stack subscribes natRoutes to exactly these, and a
 * Terraform check holds terraform-bootstrap/events.tf to the same list.
 */
export const NAT_AUDIT_METHODS = [
  'v1.compute.instances.insert',
  'v1.compute.instances.delete',
  'v1.compute.regionInstanceGroupManagers.recreateInstances',
  'v1.compute.regionInstanceGroupManagers.resize',
  'v1.compute.regionInstanceGroupManagers.deleteInstances',
  'v1.compute.regionInstanceGroupManagers.applyUpdatesToInstances',
  'v1.compute.regionInstanceGroupManagers.patch',
] as const;

export type TriggerDecision = { sync: true; why: string } | { sync: false; why: string };

/**
 * A project named by id or by number is ours: API calls are logged with the id the caller used,
 * but changes Compute Engine makes itself — a MIG creating, deleting or recreating its VMs — are
 * logged with `projects/<number>/zones/…` (Google's own gcpdiag fixtures, test-data/gce5 and gce4).
 */
const isOurProject = (project: string | undefined, cfg: Pick<NatRoutesConfig, 'project' | 'projectNumber'>) => project === cfg.project || project === cfg.projectNumber;

function judgeAudit(e: Pick<AuditEvent, 'methodName' | 'resourceName'>, cfg: NatRoutesConfig): TriggerDecision {
  const instance = /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(e.resourceName);
  if (instance) {
    const [, project, zone] = instance;
    if (!isOurProject(project, cfg)) return { sync: false, why: `instance in project ${project}, not ${cfg.project} (#${cfg.projectNumber})` };
    if (!zone!.startsWith(`${cfg.region}-`)) return { sync: false, why: `instance in zone ${zone}, outside region ${cfg.region}` };
    return { sync: true, why: `${e.methodName} on ${e.resourceName}` };
  }
  const mig = /^projects\/([^/]+)\/regions\/([^/]+)\/instanceGroupManagers\/([^/]+)$/.exec(e.resourceName);
  if (mig) {
    const [, project, region, name] = mig;
    if (!isOurProject(project, cfg) || region !== cfg.region || name !== cfg.mig) return { sync: false, why: `event for MIG ${e.resourceName}, not projects/${cfg.project}/regions/${cfg.region}/instanceGroupManagers/${cfg.mig}` };
    return { sync: true, why: `${e.methodName} on ${e.resourceName}` };
  }
  return { sync: false, why: `audit log for ${e.resourceName} is neither a NAT instance nor the NAT MIG` };
}

/** A log-sink message carries a LogEntry; any other JSON object on the topic is a tick. */
function judgePubsub(json: unknown, cfg: NatRoutesConfig): TriggerDecision {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { sync: false, why: 'Pub/Sub message data is not a JSON object; publish {"kind":"tick"} to request a sync' };
  }
  const payload = (json as { protoPayload?: { methodName?: unknown; resourceName?: unknown } } | undefined)?.protoPayload;
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
