/**
 * CloudEvents as netreflex's functions receive them from Eventarc: audit-log entries, Pub/Sub
 * messages and Cloud Storage object events. Parsing never throws: anything malformed becomes an
 * `invalid` event with a reason, which handlers acknowledge with one log line (a retry would
 * not make a malformed event well-formed).
 */
export const AUDIT_LOG_WRITTEN = 'google.cloud.audit.log.v1.written';
export const PUBSUB_PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';
export const STORAGE_FINALIZED = 'google.cloud.storage.object.v1.finalized';

export interface CloudEventLike {
  id?: string;
  type?: string;
  source?: string;
  subject?: string;
  data?: unknown;
  [attr: string]: unknown;
}

export interface AuditEvent {
  kind: 'audit';
  id: string;
  methodName: string;
  resourceName: string;
  operation?: { id?: string; first?: boolean; last?: boolean };
}

export interface PubsubEvent {
  kind: 'pubsub';
  id: string;
  topic?: string;
  messageId?: string;
  attributes: Record<string, string>;
  /** Decoded message data (UTF-8 text); the payload may itself be JSON. */
  text: string;
  json?: unknown;
}

export interface StorageEvent {
  kind: 'storage';
  id: string;
  bucket: string;
  name: string;
  generation: string;
  metageneration?: string;
  size?: number;
}

export interface InvalidEvent {
  kind: 'invalid';
  id: string;
  reason: string;
}

export type ParsedEvent = AuditEvent | PubsubEvent | StorageEvent | InvalidEvent;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Event data may arrive as an object, a JSON string or bytes depending on the transport. */
function dataObject(data: unknown): Record<string, unknown> | string {
  if (isObject(data) && !(data instanceof Uint8Array)) return data;
  const text =
    data instanceof Uint8Array ? Buffer.from(data).toString('utf8') : typeof data === 'string' ? data : undefined;
  if (text === undefined)
    return data === undefined || data === null
      ? 'the event has no data'
      : `the event data is a ${Array.isArray(data) ? 'list' : typeof data}, not a JSON object`;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : 'the event data is JSON but not an object';
  } catch {
    return 'the event data is not JSON';
  }
}

function parseAudit(id: string, data: Record<string, unknown>): AuditEvent | InvalidEvent {
  const payload = data.protoPayload;
  if (!isObject(payload) || typeof payload.methodName !== 'string' || typeof payload.resourceName !== 'string') {
    return { kind: 'invalid', id, reason: 'audit-log event without protoPayload.methodName/resourceName' };
  }
  const op = isObject(data.operation) ? data.operation : undefined;
  return {
    kind: 'audit',
    id,
    methodName: payload.methodName,
    resourceName: payload.resourceName,
    ...(op ? { operation: { id: op.id as string | undefined, first: op.first === true, last: op.last === true } } : {}),
  };
}

/** `String(value)` or `Number(value)` of a field that should be one, without throwing on a value with no primitive form. */
function primitive<T>(convert: (value: unknown) => T, value: unknown, fallback: T): T {
  try {
    return convert(value);
  } catch {
    return fallback;
  }
}

function parsePubsub(
  id: string,
  source: string | undefined,
  data: Record<string, unknown>,
): PubsubEvent | InvalidEvent {
  const message = data.message;
  if (!isObject(message)) return { kind: 'invalid', id, reason: 'Pub/Sub event without data.message' };
  const raw = typeof message.data === 'string' ? message.data : '';
  const text = Buffer.from(raw, 'base64').toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const attributes = isObject(message.attributes)
    ? Object.fromEntries(Object.entries(message.attributes).map(([k, v]) => [k, primitive(String, v, '[object]')]))
    : {};
  const topic = source?.match(/\/topics\/([^/]+)$/)?.[1];
  return {
    kind: 'pubsub',
    id,
    ...(topic ? { topic } : {}),
    messageId: typeof message.messageId === 'string' ? message.messageId : undefined,
    attributes,
    text,
    ...(json !== undefined ? { json } : {}),
  };
}

function parseStorage(id: string, data: Record<string, unknown>): StorageEvent | InvalidEvent {
  const { bucket, name, generation } = data;
  if (
    typeof bucket !== 'string' ||
    typeof name !== 'string' ||
    (typeof generation !== 'string' && typeof generation !== 'number')
  ) {
    return { kind: 'invalid', id, reason: 'storage event without bucket/name/generation' };
  }
  if (!/^\d+$/.test(String(generation)))
    return { kind: 'invalid', id, reason: `storage event generation "${String(generation)}" is not a number` };
  return {
    kind: 'storage',
    id,
    bucket,
    name,
    generation: String(generation),
    metageneration: data.metageneration === undefined ? undefined : primitive(String, data.metageneration, '[object]'),
    size: data.size === undefined ? undefined : primitive(Number, data.size, NaN),
  };
}

export function parseCloudEvent(event: CloudEventLike | undefined | null): ParsedEvent {
  const id = typeof event?.id === 'string' ? event.id : '(no id)';
  if (!event || typeof event.type !== 'string') return { kind: 'invalid', id, reason: 'not a CloudEvent (no type)' };
  const data = dataObject(event.data);
  if (typeof data === 'string') return { kind: 'invalid', id, reason: data };
  switch (event.type) {
    case AUDIT_LOG_WRITTEN:
      return parseAudit(id, data);
    case PUBSUB_PUBLISHED:
      return parsePubsub(id, typeof event.source === 'string' ? event.source : undefined, data);
    case STORAGE_FINALIZED:
      return parseStorage(id, data);
    default:
      return { kind: 'invalid', id, reason: `unsupported event type ${event.type}` };
  }
}
