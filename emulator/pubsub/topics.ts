/**
 * Pub/Sub topics of the local Google Cloud. A published message becomes the
 * `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent Eventarc pushes to subscribed
 * functions; messages are also kept per topic so tests and the CLI can read what was published.
 *
 * Topics live in the emulator's store (`pubsub/topics`, by full name), so its mutation listeners
 * see them come and go; the messages published to each, an append-only log with their bytes, sit
 * beside it (the store clones records on update, and a clone of a Buffer is a plain Uint8Array).
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, notFound } from '../errors.js';
import type { EventRouter } from '../events/router.js';
import type { Store } from '../store.js';

export interface PubsubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
  publishTime: string;
  orderingKey?: string;
}

export const PUBLISHED_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

/** A topic as the store keeps it. */
export interface Topic {
  name: string;
  labels: Record<string, string>;
}

const TOPICS = 'pubsub/topics';

export type PublishListener = (topic: string, message: PubsubMessage) => void;

export class Topics {
  /** What was published to each topic, by topic name. */
  private readonly published = new Map<string, PubsubMessage[]>();
  private readonly listeners: PublishListener[] = [];
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly events: EventRouter,
  ) {}

  create(name: string, labels: Record<string, string> = {}): Topic {
    if (this.store.has(TOPICS, name)) throw alreadyExists(name);
    this.store.insert(TOPICS, { name, labels: { ...labels } });
    this.published.set(name, []);
    return { name, labels: { ...labels } };
  }

  ensure(name: string): void {
    if (!this.store.has(TOPICS, name)) this.create(name);
  }

  get(name: string): Topic {
    const t = this.store.get(TOPICS, name) as Topic | undefined;
    if (!t) throw notFound(name);
    return { name: t.name, labels: { ...t.labels } };
  }

  list(project: string): { name: string }[] {
    return this.store
      .list(TOPICS)
      .filter((t) => t.name.startsWith(`projects/${project}/topics/`))
      .map((t) => ({ name: t.name }));
  }

  delete(name: string): void {
    if (!this.store.remove(TOPICS, name)) throw notFound(name);
    this.published.delete(name);
  }

  /** Tells `listener` about every message published from now on (how pull subscriptions fill). */
  onPublish(listener: PublishListener): void {
    this.listeners.push(listener);
  }

  messages(name: string): PubsubMessage[] {
    return this.published.get(name) ?? [];
  }

  /** Publishes to `name` (`projects/p/topics/t`); answers the message ids. */
  publish(
    name: string,
    messages: { data?: Buffer | string; attributes?: Record<string, string>; orderingKey?: string }[],
  ): string[] {
    if (!this.store.has(TOPICS, name)) throw notFound(name);
    const log = this.published.get(name) ?? [];
    this.published.set(name, log);
    return messages.map((m) => {
      const msg: PubsubMessage = {
        data: Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data ?? ''),
        attributes: m.attributes ?? {},
        messageId: String(++this.seq),
        publishTime: this.events.nowIso(),
        ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
      };
      log.push(msg);
      this.push(name, msg);
      for (const listener of this.listeners) listener(name, msg);
      return msg.messageId;
    });
  }

  private push(topic: string, msg: PubsubMessage): void {
    const project = topic.split('/')[1];
    this.events.publish({
      id: msg.messageId,
      source: `//pubsub.googleapis.com/${topic}`,
      type: PUBLISHED_TYPE,
      extensions: { topic },
      data: {
        message: {
          data: msg.data.toString('base64'),
          attributes: msg.attributes,
          messageId: msg.messageId,
          message_id: msg.messageId,
          publishTime: msg.publishTime,
          publish_time: msg.publishTime,
        },
        subscription: `projects/${project}/subscriptions/eventarc-${topic.split('/').pop()}-${randomUUID().slice(0, 4)}`,
      },
    });
  }
}
