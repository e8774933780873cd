/**
 * Pub/Sub's REST publish (`POST /v1/{topic}:publish`), the method the Workflows connector
 * googleapis.pubsub.v1.projects.topics.publish calls: the same topics and checks as the gRPC
 * Publisher the official client uses, so a message published either way reaches the same
 * subscribers, and a bad request is refused either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { connectorHandler } from '../../emulator/connectors/call.js';
import { startMetadataServer } from '../../emulator/iam/metadata-server.js';
import { publishJson } from '../../shared/gcp/pubsub.js';
import { Transport } from '../../shared/gcp/transport.js';

const TOPIC = 'projects/netreflex-demo/topics/rest-replies';
let emu: Emulator;

beforeAll(async () => {
  emu = await startSampleEmulator();
  emu.topics.ensure(TOPIC);
});
afterAll(() => emu?.close());

const publish = (topic: string, body: unknown) =>
  fetch(`${emu.url}/v1/${topic}:publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('Pub/Sub REST publish', () => {
  it('publishes base64 data with attributes and answers the message ids', async () => {
    const res = await publish(TOPIC, {
      messages: [
        { data: Buffer.from('{"status":"succeeded"}').toString('base64'), attributes: { status: 'succeeded' } },
      ],
    });
    expect(res.status).toBe(200);
    const { messageIds } = (await res.json()) as { messageIds: string[] };
    expect(messageIds).toHaveLength(1);
    const stored = emu.topics.messages(TOPIC).find((m) => m.messageId === messageIds[0])!;
    expect(stored.data.toString()).toBe('{"status":"succeeded"}');
    expect(stored.attributes).toEqual({ status: 'succeeded' });
  });

  it('through the Workflows connector, as the workflow publishes its reply', async () => {
    const call = connectorHandler({ baseUrl: () => emu.url, sleep: (ms, signal) => emu.timers.sleep(ms, signal) });
    const out = (await call(
      'googleapis.pubsub.v1.projects.topics.publish',
      { topic: TOPIC, body: { messages: [{ data: Buffer.from('hi').toString('base64') }] } },
      new AbortController().signal,
    )) as { messageIds: string[] };
    expect(
      emu.topics
        .messages(TOPIC)
        .find((m) => m.messageId === out.messageIds[0])!
        .data.toString(),
    ).toBe('hi');
  });

  it.each([
    [
      'a missing topic',
      'projects/netreflex-demo/topics/nope',
      { messages: [{ data: 'aGk=' }] },
      404,
      /Resource not found \(resource=nope\)/,
    ],
    ['no messages', TOPIC, { messages: [] }, 400, /minimum value is 1/],
    ['an empty message', TOPIC, { messages: [{}] }, 400, /non-empty data or at least one attribute/],
    ['data that is not base64', TOPIC, { messages: [{ data: 'not base64!' }] }, 400, /Base64 decoding failed/],
    ['an unknown field', TOPIC, { messages: [{ data: 'aGk=', payload: 'x' }] }, 400, /Unknown name "payload"/],
    [
      'a bad topic name',
      'projects/netreflex-demo/topics/go',
      { messages: [{ data: 'aGk=' }] },
      400,
      /Invalid \[topics\] name/,
    ],
  ])('refuses %s', async (_what, topic, body, code, message) => {
    const before = emu.topics.messages(TOPIC).length;
    const res = await publish(topic, body);
    expect(res.status).toBe(code);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
    expect(emu.topics.messages(TOPIC).length).toBe(before);
  });
});

describe("shared/gcp/pubsub.ts, how netreflex's functions publish", () => {
  it('publishes one JSON message with its attributes through the transport, and answers its id', async () => {
    const id = await publishJson(
      new Transport({ emulatorHost: emu.url }),
      'netreflex-demo',
      'rest-replies',
      { from: 'wrapper' },
      { source: 'test' },
    );
    const stored = emu.topics.messages(TOPIC).find((m) => m.messageId === id)!;
    expect(JSON.parse(stored.data.toString())).toEqual({ from: 'wrapper' });
    expect(stored.attributes).toEqual({ source: 'test' });
  });

  it("carries the caller's identity: without pubsub.topics.publish on the topic it is Pub/Sub's 403", async () => {
    const email = 'netreflex-nat-routes@netreflex-demo.iam.gserviceaccount.com';
    const md = await startMetadataServer({
      email,
      project: 'netreflex-demo',
      projectNumber: '123456789012',
      mintToken: () => emu.iam.mintToken(`serviceAccount:${email}`),
    });
    const before = process.env.GCE_METADATA_HOST;
    process.env.GCE_METADATA_HOST = md.host;
    try {
      const t = new Transport({ emulatorHost: emu.url, metadataHost: md.host, retry: { attempts: 1 } });
      await expect(publishJson(t, 'netreflex-demo', 'rest-replies', { x: 1 })).rejects.toMatchObject({
        code: 403,
        message: 'User not authorized to perform this action.',
      });
      emu.iam.grant({ member: `serviceAccount:${email}`, role: 'roles/pubsub.publisher', resource: TOPIC });
      await expect(publishJson(t, 'netreflex-demo', 'rest-replies', { x: 2 })).resolves.toMatch(/\S/);
      expect(
        emu.iamChecks
          .filter((c) => c.member === `serviceAccount:${email}`)
          .map((c) => [c.methodId, c.permission, c.resource, c.allowed]),
      ).toEqual([
        ['pubsub.projects.topics.publish', 'pubsub.topics.publish', TOPIC, false],
        ['pubsub.projects.topics.publish', 'pubsub.topics.publish', TOPIC, true],
      ]);
    } finally {
      if (before === undefined) delete process.env.GCE_METADATA_HOST;
      else process.env.GCE_METADATA_HOST = before;
      await md.close();
    }
  });
});
