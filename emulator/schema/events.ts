/**
 * The data of the CloudEvents the local Eventarc delivers, held to Google's definitions as every
 * reply is (shapes.ts, findings.ts): a field Google's event does not have is a finding.
 *
 * - `google.cloud.audit.log.v1.written`: LogEntryData, from google-cloudevents
 *   proto/google/events/cloud/audit/v1/data.proto (https://github.com/googleapis/google-cloudevents),
 *   whose AuditLog is "Copied from googleapis google/cloud/audit/audit_log.proto, but changing
 *   service_data from Any to Struct". `protoPayload` is a google.protobuf.Any as in googleapis
 *   google/logging/v2/log_entry.proto (`proto_payload`): `{"@type":
 *   "type.googleapis.com/google.cloud.audit.AuditLog", …}`, as google-cloudevents'
 *   testdata/google/events/cloud/audit/v1/LogEntryData-pubsubCreateTopic.json shows it — "always
 *   an AuditLog for Cloud Audit Log events" (data.proto), so another `@type` is a finding too.
 *   MonitoredResource from googleapis google/api/monitored_resource.proto (`type`, `labels`).
 *   The IAM attribute contexts (`resourceAttributes`, `requestAttributes`,
 *   `destinationAttributes`), which the emulator does not write, are checked as JSON objects.
 * - `google.cloud.storage.object.v1.*`: the object resource of the Cloud Storage JSON API
 *   (storage.ts; https://cloud.google.com/storage/docs/json_api/v1/objects#resource), which the
 *   event carries (google-cloudevents' StorageObjectData is a subset of it: its own
 *   testdata/google/events/cloud/storage/v1/StorageObjectData-complex.json carries `kind`, which
 *   data.proto lacks), the same message an `objects.get` reply is held to.
 * - `google.cloud.pubsub.topic.v1.messagePublished`: MessagePublishedData, from google-cloudevents
 *   proto/google/events/cloud/pubsub/v1/data.proto. Its PubsubMessage is read by proto3 JSON rules,
 *   so `message_id` and `publish_time` pass beside `messageId` and `publishTime` (Pub/Sub sends
 *   both: testdata/google/events/cloud/pubsub/v1/MessagePublishedData-duplicatedFields.json).
 */
import { Checker, type Finding } from './check.js';
import { MAP, REPEATED, type ApiSchema, type MessageDef } from './compact.js';
import { STORAGE } from './storage.js';

const A = 'google.events.cloud.audit.v1';
const P = 'google.events.cloud.pubsub.v1';
const AUDIT_LOG = 'google.cloud.audit.AuditLog';
const ts = 'M:google.protobuf.Timestamp';
const struct = 'M:google.protobuf.Struct';
const str = (flags = 0): ['string', number] => ['string', flags];

const MESSAGES: Record<string, MessageDef> = {
  [`${A}.LogEntryData`]: {
    logName: str(),
    resource: ['M:google.api.MonitoredResource', 0],
    protoPayload: ['M:google.protobuf.Any', 0, 'proto_payload'],
    insertId: str(),
    labels: ['string', MAP],
    operation: [`M:${A}.LogEntryOperation`, 0],
    timestamp: [ts, 0],
    receiveTimestamp: [ts, 0, 'receive_timestamp'],
    severity: [`E:${A}.LogSeverity`, 0],
    trace: str(),
    spanId: ['string', 0, 'span_id'],
    split: [`M:${A}.LogSplit`, 0],
  },
  'google.api.MonitoredResource': { type: str(), labels: ['string', MAP] },
  [`${A}.LogEntryOperation`]: { id: str(), producer: str(), first: ['bool', 0], last: ['bool', 0] },
  [`${A}.LogSplit`]: { uid: str(), index: ['int32', 0], totalSplits: ['int32', 0, 'total_splits'] },
  [AUDIT_LOG]: {
    serviceName: ['string', 0, 'service_name'],
    methodName: ['string', 0, 'method_name'],
    resourceName: ['string', 0, 'resource_name'],
    resourceLocation: [`M:${A}.ResourceLocation`, 0, 'resource_location'],
    resourceOriginalState: [struct, 0, 'resource_original_state'],
    numResponseItems: ['int64', 0, 'num_response_items'],
    status: ['M:google.rpc.Status', 0],
    authenticationInfo: [`M:${A}.AuthenticationInfo`, 0, 'authentication_info'],
    authorizationInfo: [`M:${A}.AuthorizationInfo`, REPEATED, 'authorization_info'],
    requestMetadata: [`M:${A}.RequestMetadata`, 0, 'request_metadata'],
    request: [struct, 0],
    response: [struct, 0],
    metadata: [struct, 0],
    serviceData: [struct, 0, 'service_data'],
  },
  'google.rpc.Status': { code: ['int32', 0], message: str(), details: ['M:google.protobuf.Any', REPEATED] },
  [`${A}.AuthenticationInfo`]: {
    principalEmail: ['string', 0, 'principal_email'],
    authoritySelector: ['string', 0, 'authority_selector'],
    thirdPartyPrincipal: [struct, 0, 'third_party_principal'],
    serviceAccountKeyName: ['string', 0, 'service_account_key_name'],
    serviceAccountDelegationInfo: [`M:${A}.ServiceAccountDelegationInfo`, REPEATED, 'service_account_delegation_info'],
    principalSubject: ['string', 0, 'principal_subject'],
  },
  [`${A}.ServiceAccountDelegationInfo`]: {
    firstPartyPrincipal: [`M:${A}.ServiceAccountDelegationInfo.FirstPartyPrincipal`, 0, 'first_party_principal'],
    thirdPartyPrincipal: [`M:${A}.ServiceAccountDelegationInfo.ThirdPartyPrincipal`, 0, 'third_party_principal'],
  },
  [`${A}.ServiceAccountDelegationInfo.FirstPartyPrincipal`]: {
    principalEmail: ['string', 0, 'principal_email'],
    serviceMetadata: [struct, 0, 'service_metadata'],
  },
  [`${A}.ServiceAccountDelegationInfo.ThirdPartyPrincipal`]: {
    thirdPartyClaims: [struct, 0, 'third_party_claims'],
  },
  [`${A}.AuthorizationInfo`]: {
    resource: str(),
    permission: str(),
    granted: ['bool', 0],
    resourceAttributes: [struct, 0, 'resource_attributes'],
  },
  [`${A}.RequestMetadata`]: {
    callerIp: ['string', 0, 'caller_ip'],
    callerSuppliedUserAgent: ['string', 0, 'caller_supplied_user_agent'],
    callerNetwork: ['string', 0, 'caller_network'],
    requestAttributes: [struct, 0, 'request_attributes'],
    destinationAttributes: [struct, 0, 'destination_attributes'],
  },
  [`${A}.ResourceLocation`]: {
    currentLocations: ['string', REPEATED, 'current_locations'],
    originalLocations: ['string', REPEATED, 'original_locations'],
  },
  [`${P}.MessagePublishedData`]: { message: [`M:${P}.PubsubMessage`, 0], subscription: str() },
  [`${P}.PubsubMessage`]: {
    data: ['bytes', 0],
    attributes: ['string', MAP],
    messageId: ['string', 0, 'message_id'],
    publishTime: [ts, 0, 'publish_time'],
    orderingKey: ['string', 0, 'ordering_key'],
  },
};

/** LogSeverity (data.proto, "Copied from googleapis google/logging/type/log_severity.proto"). */
const SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];

export const EVENTS: ApiSchema = {
  api: 'events',
  source: ['https://github.com/googleapis/google-cloudevents/tree/main/proto/google/events/cloud', ...STORAGE.source],
  style: 'oneplatform',
  methods: [],
  messages: { ...STORAGE.messages, ...MESSAGES },
  enums: {
    [`${A}.LogSeverity`]: { values: SEVERITIES, numbers: SEVERITIES.map((_, i) => i * 100) },
  },
};

/** The message each event type's `data` is, and where it is defined. */
export function dataMessageOf(type: string): { message: string; source: string } | undefined {
  if (type === 'google.cloud.audit.log.v1.written')
    return { message: `${A}.LogEntryData`, source: 'google-cloudevents proto/google/events/cloud/audit/v1/data.proto' };
  if (type.startsWith('google.cloud.storage.object.v1.'))
    return {
      message: 'storage.v1.Object',
      source: 'https://cloud.google.com/storage/docs/json_api/v1/objects#resource',
    };
  if (type === 'google.cloud.pubsub.topic.v1.messagePublished')
    return {
      message: `${P}.MessagePublishedData`,
      source: 'google-cloudevents proto/google/events/cloud/pubsub/v1/data.proto',
    };
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with the `data` of an event of `type`; undefined when no definition is known for the type. */
export function eventDataFindings(type: string, data: unknown): Finding[] | undefined {
  const def = dataMessageOf(type);
  if (!def) return undefined;
  const checker = new Checker(EVENTS, { mode: 'response', required: false });
  checker.message(def.message, data, []);
  const findings = [...checker.findings];
  const payload = isObject(data) ? data.protoPayload : undefined;
  if (def.message === `${A}.LogEntryData` && payload !== undefined) {
    const at = isObject(payload) ? payload['@type'] : undefined;
    if (at !== `type.googleapis.com/${AUDIT_LOG}`)
      findings.push({
        path: [
          { json: 'protoPayload', proto: 'proto_payload' },
          { json: '@type', proto: '@type' },
        ],
        kind: 'enum',
        detail: String(at),
        enumName: 'payload type of an audit log event (data.proto: "always an AuditLog")',
        allowed: [`type.googleapis.com/${AUDIT_LOG}`],
      });
  }
  return findings;
}
