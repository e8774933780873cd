/**
 * The local Pub/Sub over gRPC through the official @google-cloud/pubsub client: topics, Publish
 * (which also pushes messagePublished CloudEvents to subscribed functions), and pull
 * subscriptions read back with streaming and unary pull. Errors carry the gRPC status codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, PubSub } from '@google-cloud/pubsub';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { pubsubClient, pubsubClientFromEnv, subscriberClient } from '../helpers/pubsub.js';
import { eventSink } from '../helpers/storage.js';
import { waitFor } from '../helpers/compute.js';

let emu: Emulator;
let ps: PubSub;
const P = SAMPLE.project;
const status = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: number; details?: string }) => `${e.code}: ${e.details}`,
  );

beforeAll(async () => {
  emu = await startSampleEmulator();
  ps = pubsubClient(emu.pubsubHost);
});

afterAll(async () => {
  await ps?.close();
  await emu?.close();
});

describe('topics', () => {
  it('creates, gets, lists and deletes topics with ALREADY_EXISTS, NOT_FOUND and INVALID_ARGUMENT errors', async () => {
    const [topic] = await ps.createTopic('alpha');
    expect(topic.name).toBe(`projects/${P}/topics/alpha`);
    expect(await status(ps.createTopic('alpha'))).toBe('6: Topic already exists');
    expect(await status(ps.topic('missing').get())).toBe('5: Resource not found (resource=missing).');
    expect((await ps.topic('missing').exists())[0]).toBe(false);
    expect(await status(ps.createTopic('9bad'))).toBe(`3: Invalid [topics] name: (name=projects/${P}/topics/9bad)`);
    await ps.createTopic('beta');
    const [topics] = await ps.getTopics();
    expect(topics.map((t) => t.name)).toEqual(
      expect.arrayContaining([`projects/${P}/topics/alpha`, `projects/${P}/topics/beta`]),
    );
    const [page, next] = await ps.getTopics({ pageSize: 1, autoPaginate: false });
    expect(page).toHaveLength(1);
    expect(next).toBeTruthy();
    await ps.topic('beta').delete();
    expect(await status(ps.topic('beta').delete())).toBe('5: Resource not found (resource=beta).');
  });

  it('keeps topics in the store: a listener sees one created and deleted through the client', async () => {
    const seen: string[] = [];
    const stop = emu.store.onMutation((m) => {
      if (m.collection === 'pubsub/topics') seen.push(`${m.action} ${m.name}`);
    });
    try {
      await ps.createTopic('stored');
      await ps.topic('stored').delete();
    } finally {
      stop();
    }
    expect(seen).toEqual([`insert projects/${P}/topics/stored`, `delete projects/${P}/topics/stored`]);
  });

  it('answers the client configured through PUBSUB_EMULATOR_HOST too', async () => {
    const viaEnv = pubsubClientFromEnv(emu.pubsubHost);
    try {
      expect((await viaEnv.topic('alpha').exists())[0]).toBe(true);
    } finally {
      await viaEnv.close();
    }
  });
});

describe('publish', () => {
  it('publishes to the topic, pushes the messagePublished CloudEvent, and refuses a missing topic', async () => {
    const sink = await eventSink();
    emu.events.subscribe({
      id: 'test-published',
      type: 'google.cloud.pubsub.topic.v1.messagePublished',
      filters: { source: `//pubsub.googleapis.com/projects/${P}/topics/alpha` },
      url: sink.url,
    });
    try {
      const id = await ps.topic('alpha').publishMessage({ json: { kind: 'tick' }, attributes: { job: 'safety-net' } });
      expect(id).toMatch(/^\d+$/);
      const [event] = await waitFor('messagePublished event', async () =>
        sink.events.length ? sink.events : undefined,
      );
      expect(event!.headers['ce-type']).toBe('google.cloud.pubsub.topic.v1.messagePublished');
      const message = (
        event!.body as { message: { data: string; attributes: Record<string, string>; messageId: string } }
      ).message;
      expect(JSON.parse(Buffer.from(message.data, 'base64').toString())).toEqual({ kind: 'tick' });
      expect(message).toMatchObject({ attributes: { job: 'safety-net' }, messageId: id });
      expect(await status(ps.topic('nowhere').publishMessage({ data: Buffer.from('x') }))).toMatch(
        /^5: Resource not found \(resource=nowhere\)/,
      );
    } finally {
      emu.events.unsubscribe('test-published');
      await sink.close();
    }
  });
});

describe('subscriptions', () => {
  it('creates pull subscriptions (with errors), and reads published messages back with subscription.on("message")', async () => {
    await ps.createTopic('gamma');
    const [sub] = await ps.topic('gamma').createSubscription('gamma-sub');
    expect(await status(ps.topic('gamma').createSubscription('gamma-sub'))).toBe('6: Subscription already exists');
    expect(await status(ps.topic('no-topic').createSubscription('orphan'))).toBe(
      '5: Resource not found (resource=no-topic).',
    );
    const [meta] = await sub.getMetadata();
    expect(meta).toMatchObject({
      name: `projects/${P}/subscriptions/gamma-sub`,
      topic: `projects/${P}/topics/gamma`,
      ackDeadlineSeconds: 10,
    });
    const got: Message[] = [];
    sub.on('message', (m: Message) => {
      got.push(m);
      m.ack();
    });
    await Promise.all(
      ['one', 'two', 'three'].map((text) =>
        ps.topic('gamma').publishMessage({ data: Buffer.from(text), attributes: { n: text } }),
      ),
    );
    await waitFor('three messages', async () => got.length >= 3);
    expect(got.map((m) => m.data.toString()).sort()).toEqual(['one', 'three', 'two']);
    expect(got[0]!.publishTime.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await sub.close();
  });

  it('keeps subscriptions in the store: a listener sees one created, detached and deleted through the client', async () => {
    const name = `projects/${P}/subscriptions/stored-sub`;
    const seen: string[] = [];
    const stored: unknown[] = [];
    const stop = emu.store.onMutation((m) => {
      if (m.collection !== 'pubsub/subscriptions') return;
      seen.push(`${m.action} ${m.name}`);
      if (m.after) stored.push(m.after);
    });
    try {
      await ps.createTopic('delta');
      const [sub] = await ps.topic('delta').createSubscription('stored-sub', { labels: { team: 'net' } });
      await ps.topic('delta').delete();
      await sub.delete();
    } finally {
      stop();
    }
    expect(seen).toEqual([`insert ${name}`, `update ${name}`, `delete ${name}`]);
    const resource = {
      name,
      topic: `projects/${P}/topics/delta`,
      ackDeadlineSeconds: 10,
      labels: { team: 'net' },
      state: 'ACTIVE',
      messageRetentionDuration: '604800s',
      expirationPolicy: { ttl: '2678400s' },
    };
    expect(stored).toEqual([resource, { ...resource, topic: '_deleted-topic_' }]);
  });

  it('drops what a deleted subscription held: one created again under its name starts with nothing to pull', async () => {
    const [sub] = await ps.topic('gamma').createSubscription('gamma-again');
    await ps.topic('gamma').publishMessage({ data: Buffer.from('before') });
    await sub.delete();
    await ps.topic('gamma').createSubscription('gamma-again');
    const client = subscriberClient(emu.pubsubHost);
    try {
      const [got] = await client.pull({ subscription: sub.name, maxMessages: 10, returnImmediately: true });
      expect(got.receivedMessages ?? []).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('redelivers a nacked message and keeps acked ones gone (unary Pull / Acknowledge / ModifyAckDeadline)', async () => {
    const [sub] = await ps.topic('gamma').createSubscription('gamma-pull');
    await ps.topic('gamma').publishMessage({ data: Buffer.from('again') });
    const client = subscriberClient(emu.pubsubHost);
    try {
      const [first] = await client.pull({ subscription: sub.name, maxMessages: 10 });
      expect(first.receivedMessages!.map((m) => m.message!.data!.toString())).toEqual(['again']);
      await client.modifyAckDeadline({
        subscription: sub.name,
        ackIds: [first.receivedMessages![0]!.ackId!],
        ackDeadlineSeconds: 0,
      });
      const [second] = await client.pull({ subscription: sub.name, maxMessages: 10 });
      expect(second.receivedMessages![0]!.deliveryAttempt).toBe(2);
      await client.acknowledge({ subscription: sub.name, ackIds: [second.receivedMessages![0]!.ackId!] });
      const [third] = await client.pull({ subscription: sub.name, maxMessages: 10, returnImmediately: true });
      expect(third.receivedMessages ?? []).toEqual([]);
      expect(await status(client.pull({ subscription: `projects/${P}/subscriptions/nope`, maxMessages: 1 }))).toBe(
        '5: Resource not found (resource=nope).',
      );
    } finally {
      await client.close();
    }
  });
});
