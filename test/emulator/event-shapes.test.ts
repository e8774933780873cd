/**
 * The CloudEvents the local Eventarc publishes carry only what Google's definitions of their data
 * have (emulator/schema/events.ts): audit-log entries (LogEntryData with an AuditLog payload),
 * Cloud Storage objects and Pub/Sub's MessagePublishedData. Real events of each kind pass; a
 * planted unknown field in each is a finding naming the event and the field, which
 * test/schema/reply-findings.test.ts would fail the suite on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import type { CloudEventMessage } from '../../emulator/events/router.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, REGION } from '../helpers/compute.js';

let emu: Emulator;
const AUDIT = 'google.cloud.audit.log.v1.written';
const FINALIZED = 'google.cloud.storage.object.v1.finalized';
const PUBLISHED = 'google.cloud.pubsub.topic.v1.messagePublished';
const TOPIC = `projects/${SAMPLE.project}/topics/event-shapes`;
const MIG = { project: PROJECT, region: REGION, instanceGroupManager: 'nat-mig' };

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 10, instanceStepMs: 10 } });
  // A VM reset is audited (Compute's Admin Activity log, first and last of its operation).
  const c = computeClients(emu.port);
  const [managed] = await c.migs.listManagedInstances(MIG);
  const [, zone, instance] = /\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(managed[0]!.instance!)!;
  await c.wait(await c.instances.reset({ project: PROJECT, zone: zone!, instance: instance! }));
  emu.storage.writeObject(SAMPLE.bucket.name, 'event-shapes.txt', Buffer.from('x'), { contentType: 'text/plain' });
  emu.topics.create(TOPIC, {});
  emu.topics.publish(TOPIC, [{ data: Buffer.from('hello'), attributes: { k: 'v' }, orderingKey: 'o' }]);
});
afterAll(() => emu.close());

const latest = (type: string): CloudEventMessage => {
  const found = emu.events.published.filter((e) => e.type === type).at(-1);
  if (!found) throw new Error(`no ${type} event was published`);
  return structuredClone(found);
};

describe('events the emulator publishes', () => {
  it('an audit entry, a storage object and a published message each carry only what Google defines', () => {
    for (const type of [AUDIT, FINALIZED, PUBLISHED]) expect(latest(type).data).toBeDefined();
    expect(emu.shapes.findings).toEqual([]);
  });

  it('planted: an unknown field in each kind of event is a finding naming the event type and field', async () => {
    const audit = latest(AUDIT);
    (audit.data as { protoPayload: Record<string, unknown> }).protoPayload.callerNote = 'not in audit_log.proto';
    const object = latest(FINALIZED);
    (object.data as Record<string, unknown>).internalPath = '/var/lib/object';
    const message = latest(PUBLISHED);
    (message.data as { message: Record<string, unknown> }).message.deliveryAttempt = 1;
    const findings = await emu.shapes.planted(async () => {
      for (const e of [audit, object, message]) emu.events.publish(e);
    });
    expect(findings.map((f) => [f.methodId, f.field, f.problem])).toEqual([
      [AUDIT, 'data.protoPayload.callerNote', 'unknown field "callerNote"'],
      [FINALIZED, 'data.internalPath', 'unknown field "internalPath"'],
      [PUBLISHED, 'data.message.deliveryAttempt', 'unknown field "deliveryAttempt"'],
    ]);
    expect(findings[0]!.definition).toBe(
      'google.events.cloud.audit.v1.LogEntryData (google-cloudevents proto/google/events/cloud/audit/v1/data.proto)',
    );
  });

  it('planted: an audit payload that is not an AuditLog, a bad severity, a Google event type with no definition', async () => {
    const audit = latest(AUDIT);
    const data = audit.data as { protoPayload: Record<string, unknown>; severity: string };
    data.protoPayload['@type'] = 'type.googleapis.com/google.cloud.audit.Other';
    data.severity = 'LOUD';
    const findings = await emu.shapes.planted(async () => {
      emu.events.publish(audit);
      emu.events.publish({ id: '1', source: '//x.googleapis.com', type: 'google.cloud.x.v1.happened', data: {} });
    });
    expect(findings.map((f) => [f.methodId, f.field, f.problem.split(' (')[0]])).toEqual([
      [AUDIT, 'data.severity', 'LOUD is not a LogSeverity value'],
      [
        AUDIT,
        'data.protoPayload.@type',
        'type.googleapis.com/google.cloud.audit.Other is not a payload type of an audit log event',
      ],
      [
        'google.cloud.x.v1.happened',
        'data',
        "expected a definition of this event type's data in emulator/schema/events.ts",
      ],
    ]);
  });
});
