/**
 * Whatever reaches natRoutes — a malformed CloudEvent, a log-sink message with odd JSON, bytes
 * that are not UTF-8 — `parseCloudEvent` and `judgeTrigger` answer with a structured result and
 * never throw: a throw would be a 500, and a 500 is a redelivery loop for an event no retry fixes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_LOG_WRITTEN,
  parseCloudEvent,
  PUBSUB_PUBLISHED,
  STORAGE_FINALIZED,
  type CloudEventLike,
  type ParsedEvent,
} from '../../shared/events/parse.js';
import { judgeTrigger } from '../../shared/nat-routes/trigger.js';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { sampleEnv } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';

const cfg = loadNatRoutesConfig(sampleEnv('http://127.0.0.1:1'));
const KINDS = ['audit', 'pubsub', 'storage', 'invalid'];
const anything = fc.anything({
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  maxDepth: 4,
});

/** Text fields: mostly plausible, sometimes hostile. */
const text = fc.oneof(
  fc.string(),
  fc.constantFrom(
    '',
    '__proto__',
    'constructor',
    'projects/netreflex-demo/zones/asia-northeast1-a/instances/nat-a1b2',
    `projects/${SAMPLE.project}/regions/${SAMPLE.region}/instanceGroupManagers/${SAMPLE.nat.mig}`,
  ),
);
const base64Of = (a: fc.Arbitrary<string>) => a.map((s) => Buffer.from(s).toString('base64'));

const auditData = fc.record(
  {
    protoPayload: fc.oneof(
      anything,
      fc.record({ methodName: fc.oneof(text, anything), resourceName: fc.oneof(text, anything) }, { requiredKeys: [] }),
    ),
    operation: anything,
  },
  { requiredKeys: [] },
);
const pubsubData = fc.record(
  {
    message: fc.oneof(
      anything,
      fc.record(
        {
          data: fc.oneof(base64Of(fc.json()), base64Of(fc.string()), anything),
          attributes: fc.oneof(anything, fc.dictionary(fc.string(), anything)),
          messageId: anything,
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const storageData = fc.record(
  {
    bucket: fc.oneof(text, anything),
    name: fc.oneof(text, anything),
    generation: fc.oneof(fc.bigInt().map(String), anything),
    size: anything,
  },
  { requiredKeys: [] },
);

/** The data field as the Functions Framework may hand it over: an object, JSON text, bytes or junk. */
const dataOf = (shape: fc.Arbitrary<unknown>) =>
  fc.oneof(
    shape,
    shape.map((v) => safeJson(v)),
    shape.map((v) => new TextEncoder().encode(safeJson(v))),
    fc.uint8Array(),
    anything,
  );

const event: fc.Arbitrary<unknown> = fc.oneof(
  anything,
  fc.record(
    {
      id: fc.oneof(fc.string(), anything),
      type: fc.oneof(fc.constantFrom(AUDIT_LOG_WRITTEN, PUBSUB_PUBLISHED, STORAGE_FINALIZED), fc.string(), anything),
      source: fc.oneof(fc.string(), anything),
      data: dataOf(fc.oneof(auditData, pubsubData, storageData)),
    },
    { requiredKeys: [] },
  ),
);

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return '{"unserializable":true}';
  }
}

function expectStructured(parsed: ParsedEvent): void {
  expect(KINDS).toContain(parsed.kind);
  expect(typeof parsed.id).toBe('string');
  if (parsed.kind === 'invalid') expect(parsed.reason.length).toBeGreaterThan(0);
  if (parsed.kind === 'audit')
    expect([typeof parsed.methodName, typeof parsed.resourceName]).toEqual(['string', 'string']);
  if (parsed.kind === 'storage') expect(parsed.generation).toMatch(/^\d+$/);
}

describe('CloudEvent parsing and trigger judgement, fuzzed', () => {
  it('parseCloudEvent never throws and always answers a structured event', () => {
    fc.assert(
      fc.property(event, (e) => expectStructured(parseCloudEvent(e as CloudEventLike))),
      { numRuns: 1_000 },
    );
  });

  it('judgeTrigger never throws and always says whether to sync and why', () => {
    fc.assert(
      fc.property(event, (e) => {
        const decision = judgeTrigger(parseCloudEvent(e as CloudEventLike), cfg);
        expect(typeof decision.sync).toBe('boolean');
        expect(decision.why.length).toBeGreaterThan(0);
      }),
      { numRuns: 1_000 },
    );
  });

  it('a Pub/Sub event whose source is not a string is still parsed (found by this fuzz test)', () => {
    const parsed = parseCloudEvent({
      id: '1',
      type: PUBSUB_PUBLISHED,
      source: new Uint8Array() as unknown as string,
      data: '{"message":{}}',
    });
    expect(parsed).toMatchObject({ kind: 'pubsub', text: '' });
  });

  it('syncs for an audit event on any instance in the MIG region, and never for another project or region', () => {
    const zone = fc.constantFrom(...SAMPLE.zones, 'us-central1-a', 'asia-northeast2-b');
    const project = fc.constantFrom(SAMPLE.project, 'someone-else');
    fc.assert(
      fc.property(
        project,
        zone,
        fc.stringMatching(/^[a-z][-a-z0-9]{0,20}$/),
        fc.constantFrom('v1.compute.instances.insert', 'v1.compute.instances.delete'),
        (p, z, name, method) => {
          const e = {
            id: '1',
            type: AUDIT_LOG_WRITTEN,
            source: '//cloudaudit.googleapis.com',
            data: { protoPayload: { methodName: method, resourceName: `projects/${p}/zones/${z}/instances/${name}` } },
          };
          expect(judgeTrigger(parseCloudEvent(e), cfg).sync).toBe(
            p === SAMPLE.project && z.startsWith(`${SAMPLE.region}-`),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
