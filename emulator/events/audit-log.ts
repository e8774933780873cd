/**
 * Cloud Audit Logs as Eventarc delivers them (`google.cloud.audit.log.v1.written`): a LogEntry
 * whose `protoPayload` is an AuditLog, with `methodname`/`servicename`/`resourcename` extension
 * attributes for trigger filters. Long-running operations log twice: `operation.first` when
 * accepted and `operation.last` when done — both reach subscribers, as in production.
 */
import { randomUUID } from 'node:crypto';
import type { EventRouter } from './router.js';

export interface AuditRecord {
  project: string;
  /** e.g. `v1.compute.instances.insert` */
  methodName: string;
  /** e.g. `projects/p/zones/z/instances/nat-abcd` */
  resourceName: string;
  /** Monitored resource of the entry: type and labels (`gce_instance`, `{instance_id, zone}`). */
  resource: { type: string; labels: Record<string, string> };
  operationId: string;
  phase: 'first' | 'last' | 'single';
  principal?: string;
  request?: Record<string, unknown>;
}

const SERVICE = 'compute.googleapis.com';

export class AuditLog {
  constructor(private readonly events: EventRouter) {}

  write(rec: AuditRecord): void {
    const insertId = randomUUID().replace(/-/g, '').slice(0, 12);
    const logName = `projects/${rec.project}/logs/cloudaudit.googleapis.com%2Factivity`;
    const timestamp = new Date().toISOString();
    const data = {
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        status: {},
        authenticationInfo: { principalEmail: rec.principal ?? `service-123456789012@compute-system.iam.gserviceaccount.com` },
        serviceName: SERVICE,
        methodName: rec.methodName,
        resourceName: rec.resourceName,
        ...(rec.request ? { request: rec.request } : {}),
      },
      insertId,
      resource: { type: rec.resource.type, labels: { project_id: rec.project, ...rec.resource.labels } },
      timestamp,
      severity: 'NOTICE',
      logName,
      operation: {
        id: rec.operationId,
        producer: SERVICE,
        ...(rec.phase === 'first' ? { first: true } : rec.phase === 'last' ? { last: true } : {}),
      },
      receiveTimestamp: timestamp,
    };
    this.events.publish({
      id: `${logName}${insertId}${timestamp}`,
      source: `//cloudaudit.googleapis.com/projects/${rec.project}/logs/activity`,
      type: 'google.cloud.audit.log.v1.written',
      subject: `${SERVICE}/${rec.resourceName}`,
      extensions: { methodname: rec.methodName, servicename: SERVICE, resourcename: rec.resourceName, recordedtime: timestamp },
      data,
    });
  }
}
