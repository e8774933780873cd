/**
 * Cloud Audit Logs as Compute Engine writes them and Eventarc delivers them
 * (`google.cloud.audit.log.v1.written`): a LogEntry whose `protoPayload` is an AuditLog, with
 * `methodname`/`servicename`/`resourcename` extension attributes for trigger filters.
 * Long-running operations log twice: `operation.first` when accepted and `operation.last` when done.
 *
 * Who did it decides three fields, as Google writes them:
 * - an API call (a person, a function, a test) — `resourceName` names the project by the id the
 *   caller used and the principal is the caller;
 * - a change the MIG makes itself (creating, deleting, restarting or refreshing its VMs) —
 *   `resourceName` names the project by NUMBER (`projects/123456789012/zones/…/instances/…`) and the
 *   principal is the Google APIs Service Agent `<number>@cloudservices.gserviceaccount.com`
 *   (gcpdiag, Google's diagnostics tool: test-data/gce4/json-dumps/global-operations.json shows the
 *   MIG's instance inserts run as that agent; test-data/gce5/json-dumps/logging-entries-1.json shows
 *   Compute's own instance operations logged with `projects/<number>/…`; the agent is described at
 *   https://cloud.google.com/iam/docs/service-agents);
 * - a system event (an autoheal: `compute.instances.repair.recreateInstance`, principal
 *   `system@google.com`, gcpdiag gcpdiag/runbook/gce/constants.py and runbook/gcp/constants.py) —
 *   written to the `cloudaudit.googleapis.com%2Fsystem_event` log
 *   (https://cloud.google.com/compute/docs/logging/audit-logging: "System Event audit logs …
 *   automated Google Cloud actions"). Eventarc's audit-log triggers match Admin Activity (and, when
 *   enabled, Data Access) entries (https://cloud.google.com/eventarc/docs/determining-filters-cal):
 *   a system event is kept in `entries` but never delivered: no Eventarc trigger fires on an
 *   autoheal, so a subscriber that must see it has to look for itself on a schedule.
 *
 * Method names carry the API version of the call, `v1.compute.instances.stop` or
 * `beta.compute.instances.stop` (https://cloud.google.com/compute/docs/logging/migrating-from-activity-logs-to-audit-logs:
 * "API_VERSION.RESOURCE.METHOD").
 */
import { randomUUID } from 'node:crypto';
import type { EventRouter } from './router.js';

/**
 * The principal of API calls that carry no identity of their own (the official clients in tests,
 * the CLI) unless the emulator is given one (`EmulatorOptions.ownerPrincipal`): the project owner,
 * under a name of the domain reserved for examples (RFC 2606), as Google's own samples write users.
 */
export const DEFAULT_OWNER_PRINCIPAL = 'user@example.com';
export const SYSTEM_PRINCIPAL = 'system@google.com';
export const googleApisServiceAgent = (projectNumber: string) => `${projectNumber}@cloudservices.gserviceaccount.com`;

/** Who made the change: a caller (with its principal), the MIG itself, or Google's system. */
export type Initiator = { kind: 'caller'; principal: string } | { kind: 'mig' } | { kind: 'system' };

export type ApiVersion = 'v1' | 'beta';

/**
 * The principal email a request's bearer token stands for (`my-sa@….iam.gserviceaccount.com`
 * for a function calling as its service account); undefined for a call without a token of its own.
 */
export type TokenPrincipal = (token: string) => string | undefined;

const bearer = (h: unknown) => (typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h.trim())?.[1] : undefined);

/** The principal email of an initiator (an Operation's `user`, an entry's principalEmail). */
export function principalOf(ctx: { audit: AuditLog }, project: string, initiator: Initiator): string {
  return initiator.kind === 'caller'
    ? initiator.principal
    : initiator.kind === 'mig'
      ? googleApisServiceAgent(ctx.audit.numberOf(project))
      : SYSTEM_PRINCIPAL;
}

export interface AuditRecord {
  /** Project id. */
  project: string;
  /** `compute.instances.insert` — the version prefix is added from `version` (system events have none). */
  method: string;
  version?: ApiVersion;
  /** Resource path under the project: `zones/z/instances/nat-abcd`. */
  path: string;
  /** Monitored resource of the entry: type and labels (`gce_instance`, `{instance_id, zone}`). */
  resource: { type: string; labels: Record<string, string> };
  operationId: string;
  phase: 'first' | 'last' | 'single';
  initiator: Initiator;
  request?: Record<string, unknown>;
}

/** A written LogEntry (what Cloud Logging would hold). */
export interface LogEntry {
  logName: string;
  protoPayload: {
    methodName: string;
    resourceName: string;
    authenticationInfo: { principalEmail: string };
    [k: string]: unknown;
  };
  operation: { id: string; producer: string; first?: boolean; last?: boolean };
  [k: string]: unknown;
}

const SERVICE = 'compute.googleapis.com';
const KEEP = 10_000;

export class AuditLog {
  /** Every entry written, delivered or not (newest last, the last 10,000). */
  readonly entries: LogEntry[] = [];

  constructor(
    private readonly events: EventRouter,
    private readonly projectNumber: (project: string) => string,
    private readonly tokenPrincipal: TokenPrincipal = () => undefined,
    /** Who a call without an identity of its own acts as. */
    readonly ownerPrincipal: string = DEFAULT_OWNER_PRINCIPAL,
  ) {}

  /**
   * Who a request acts as: the member its token stands for — an entry's
   * `authenticationInfo.principalEmail` is "the email address of the authenticated user (or
   * service account on behalf of third party principal) making the request" (audit_log.proto,
   * AuthenticationInfo.principal_email) — and the project owner for calls without an identity of
   * their own (the official clients in tests, the CLI). IAM has refused unknown tokens already.
   */
  callerOf(req: { headers: Record<string, unknown> }): Initiator {
    const token = bearer(req.headers.authorization);
    return { kind: 'caller', principal: (token && this.tokenPrincipal(token)) || this.ownerPrincipal };
  }

  /** The project's number as the project resource states it. */
  numberOf(project: string): string {
    return this.projectNumber(project);
  }

  write(rec: AuditRecord): LogEntry {
    const number = this.projectNumber(rec.project);
    const system = rec.initiator.kind === 'system';
    const log = system ? 'system_event' : 'activity';
    const logName = `projects/${rec.project}/logs/cloudaudit.googleapis.com%2F${log}`;
    const resourceName = `projects/${rec.initiator.kind === 'caller' ? rec.project : number}/${rec.path}`;
    const methodName = system ? rec.method : `${rec.version ?? 'v1'}.${rec.method}`;
    const principalEmail = principalOf({ audit: this }, rec.project, rec.initiator);
    const insertId = randomUUID().replace(/-/g, '').slice(0, 12);
    const timestamp = this.events.nowIso();
    const entry: LogEntry = {
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        status: {},
        authenticationInfo: { principalEmail },
        serviceName: SERVICE,
        methodName,
        resourceName,
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
    this.entries.push(entry);
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP);
    if (!system) this.deliver(rec.project, log, entry);
    return entry;
  }

  private deliver(project: string, log: string, entry: LogEntry): void {
    const { methodName, resourceName } = entry.protoPayload;
    this.events.publish({
      id: `${entry.logName}${String(entry.insertId)}${String(entry.timestamp)}`,
      source: `//cloudaudit.googleapis.com/projects/${project}/logs/${log}`,
      type: 'google.cloud.audit.log.v1.written',
      subject: `${SERVICE}/${resourceName}`,
      extensions: {
        methodname: methodName,
        servicename: SERVICE,
        resourcename: resourceName,
        recordedtime: String(entry.timestamp),
      },
      data: entry,
    });
  }
}
