/**
 * A pulled message's lease runs on the emulator's clock: outstanding until its ack deadline (never
 * redelivered before it, however much wall time passes), available again the moment the deadline
 * passes, and moved by ModifyAckDeadline relative to the time of that call — through the official
 * client's unary Pull, on an emulator whose clock the test moves by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { v1 } from '@google-cloud/pubsub';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { subscriberClient } from '../helpers/pubsub.js';
import { ManualClock } from '../helpers/emulator-clock.js';

const clock = new ManualClock();
let emu: Emulator;
let client: v1.SubscriberClient;
const TOPIC = `projects/${SAMPLE.project}/topics/leases`;
let n = 0;

beforeAll(async () => {
  emu = await startSampleEmulator({ clock, settings: { operationLatencyMs: 5 } });
  client = subscriberClient(emu.pubsubHost);
  emu.topics.create(TOPIC);
});
afterAll(async () => {
  await client?.close();
  await emu?.close();
});

/** A fresh subscription (deadline 10 s) with one message published to its topic. */
async function subscribed(): Promise<string> {
  const sub = emu.subscriptions.create({
    name: `projects/${SAMPLE.project}/subscriptions/leases-${++n}`,
    topic: TOPIC,
    ackDeadlineSeconds: 10,
  });
  emu.topics.publish(TOPIC, [{ data: Buffer.from(`m${n}`) }]);
  return sub.name;
}

const pull = async (subscription: string) =>
  ((await client.pull({ subscription, maxMessages: 10, returnImmediately: true }))[0].receivedMessages ?? []).map(
    (m) => ({ ackId: m.ackId!, attempt: m.deliveryAttempt }),
  );

describe('Pub/Sub leases end on the emulator clock', () => {
  it('an unacked message is not redelivered before its ack deadline, and is right after it', async () => {
    const sub = await subscribed();
    expect(await pull(sub)).toMatchObject([{ attempt: 1 }]);
    await new Promise((r) => setTimeout(r, 50)); // wall time alone ends no lease
    await clock.advance(9_999);
    expect(await pull(sub)).toEqual([]);
    await clock.advance(1);
    expect(await pull(sub)).toMatchObject([{ attempt: 2 }]);
  });

  it('ModifyAckDeadline sets a new deadline counted from the call: an extension holds the message longer', async () => {
    const sub = await subscribed();
    const [first] = await pull(sub);
    await clock.advance(5_000);
    await client.modifyAckDeadline({ subscription: sub, ackIds: [first!.ackId], ackDeadlineSeconds: 30 });
    await clock.advance(29_999);
    expect(await pull(sub)).toEqual([]);
    await clock.advance(1);
    expect(await pull(sub)).toMatchObject([{ attempt: 2 }]);
  });

  it('a deadline of 0 makes it available at once; an acked message never comes back', async () => {
    const sub = await subscribed();
    const [first] = await pull(sub);
    await client.modifyAckDeadline({ subscription: sub, ackIds: [first!.ackId], ackDeadlineSeconds: 0 });
    const [second] = await pull(sub);
    expect(second).toMatchObject({ attempt: 2 });
    await client.acknowledge({ subscription: sub, ackIds: [second!.ackId] });
    await clock.advance(600_000);
    expect(await pull(sub)).toEqual([]);
  });

  it('deleting the subscription ends the leases of what it delivered: none of its timers is left', async () => {
    const sub = await subscribed();
    const before = clock.pending;
    expect(await pull(sub)).toMatchObject([{ attempt: 1 }]);
    expect(clock.pending).toBe(before + 1);
    await client.deleteSubscription({ subscription: sub });
    expect(clock.pending).toBe(before);
  });
});
