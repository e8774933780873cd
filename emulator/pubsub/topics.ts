/**
 * Pub/Sub topics of the local Google Cloud. A published message becomes the
 * `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent Eventarc pushes to subscribed
 * functions; messages are also kept per topic so tests and the CLI can read what was published.
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, notFound } from '../errors.js';
import type { EventRouter } from '../events/router.js';

export interface PubsubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
  publishTime: string;
  orderingKey?: string;
}

export const PUBLISHED_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

export type PublishListener = (topic: string, message: PubsubMessage) => void;

export class Topics {
  private readonly topics = new Map<
    string,
    { name: string; labels: Record<string, string>; messages: PubsubMessage[] }
  >();
  private readonly listeners: PublishListener[] = [];
  private seq = 0;

  constructor(private readonly events: EventRouter) {}

  create(name: string, labels: Record<string, string> = {}): { name: string; labels: Record<string, string> } {
    if (this.topics.has(name)) throw alreadyExists(name);
    const topic = { name, labels, messages: [] };
    this.topics.set(name, topic);
    return { name, labels };
  }

  ensure(name: string): void {
    if (!this.topics.has(name)) this.create(name);
  }

  get(name: string): { name: string; labels: Record<string, string> } {
    const t = this.topics.get(name);
    if (!t) throw notFound(name);
    return { name: t.name, labels: t.labels };
  }

  list(project: string): { name: string }[] {
    return [...this.topics.values()]
      .filter((t) => t.name.startsWith(`projects/${project}/topics/`))
      .map((t) => ({ name: t.name }));
  }

  delete(name: string): void {
    if (!this.topics.delete(name)) throw notFound(name);
  }

  /** Tells `listener` about every message published from now on (how pull subscriptions fill). */
  onPublish(listener: PublishListener): void {
    this.listeners.push(listener);
  }

  messages(name: string): PubsubMessage[] {
    return this.topics.get(name)?.messages ?? [];
  }

  /** Publishes to `name` (`projects/p/topics/t`); answers the message ids. */
  publish(
    name: string,
    messages: { data?: Buffer | string; attributes?: Record<string, string>; orderingKey?: string }[],
  ): string[] {
    const topic = this.topics.get(name);
    if (!topic) throw notFound(name);
    return messages.map((m) => {
      const msg: PubsubMessage = {
        data: Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data ?? ''),
        attributes: m.attributes ?? {},
        messageId: String(++this.seq),
        publishTime: this.events.nowIso(),
        ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
      };
      topic.messages.push(msg);
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
