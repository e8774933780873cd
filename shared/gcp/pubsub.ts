/**
 * Publishing to Pub/Sub with the official client. It is imported on first use only, so a
 * function that never publishes never pays for loading gRPC (~0.3 s, `npm run bench`).
 */
import type { PubSub } from '@google-cloud/pubsub';

export interface PubsubTarget {
  project: string;
  /** host:port of the local Pub/Sub; unset = production. */
  emulatorHost?: string;
}

const clients = new Map<string, Promise<PubSub>>();

function client(target: PubsubTarget): Promise<PubSub> {
  const key = `${target.project}@${target.emulatorHost ?? 'prod'}`;
  let c = clients.get(key);
  if (!c) {
    c = import('@google-cloud/pubsub').then(({ PubSub }) => new PubSub({ projectId: target.project, ...(target.emulatorHost ? { apiEndpoint: target.emulatorHost, emulatorMode: true } : {}) }));
    clients.set(key, c);
  }
  return c;
}

/** Publishes `payload` as JSON; answers the message id. */
export async function publishJson(target: PubsubTarget, topic: string, payload: unknown, attributes: Record<string, string> = {}): Promise<string> {
  const pubsub = await client(target);
  return pubsub.topic(topic).publishMessage({ json: payload, attributes });
}

export async function closePubsub(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map(async (c) => (await c).close()));
}
