/** The Publisher service of the local Pub/Sub (topics and Publish) over the shared Topics state. */
import { PubsubError } from './errors.js';
import type { Subscriptions } from './subscriptions.js';
import type { PubsubMessage, Topics } from './topics.js';
import { pageOf, timestamp, unary } from './wire.js';

const TOPIC = /^projects\/[^/]+\/topics\/([A-Za-z][\w.~+%-]{2,254})$/;

export interface WireMessage {
  data?: Buffer;
  attributes?: Record<string, string>;
  orderingKey?: string;
}

export function requireTopicName(name: string): string {
  const m = TOPIC.exec(name);
  if (!m || m[1]!.startsWith('goog'))
    throw new PubsubError('INVALID_ARGUMENT', `Invalid [topics] name: (name=${name})`);
  return name;
}

/** Runs `f`, answering NOT_FOUND in Pub/Sub's words when the topic does not exist. */
export function withTopic<T>(topics: Topics, name: string, f: () => T): T {
  try {
    topics.get(name);
  } catch {
    throw new PubsubError('NOT_FOUND', `Resource not found (resource=${name.split('/').pop()}).`);
  }
  return f();
}

/** A published message as the Pub/Sub wire shows it. */
export const wireMessage = (m: PubsubMessage) => ({
  data: m.data,
  attributes: m.attributes,
  messageId: m.messageId,
  publishTime: timestamp(m.publishTime),
  orderingKey: m.orderingKey ?? '',
});

export function validateMessages(messages: WireMessage[]): void {
  if (messages.length === 0)
    throw new PubsubError(
      'INVALID_ARGUMENT',
      'The value for message_count is too small. You passed 0 in the request, but the minimum value is 1.',
    );
  if (messages.some((m) => (!m.data || m.data.length === 0) && Object.keys(m.attributes ?? {}).length === 0)) {
    throw new PubsubError(
      'INVALID_ARGUMENT',
      'Some messages are empty: each message needs non-empty data or at least one attribute.',
    );
  }
}

export function publisherHandlers(topics: Topics, subscriptions: Subscriptions) {
  return {
    CreateTopic: unary((req: { name: string; labels?: Record<string, string> }) => {
      requireTopicName(req.name);
      try {
        return topics.create(req.name, req.labels ?? {});
      } catch {
        throw new PubsubError('ALREADY_EXISTS', 'Topic already exists');
      }
    }),
    GetTopic: unary((req: { topic: string }) => withTopic(topics, req.topic, () => topics.get(req.topic))),
    ListTopics: unary((req: { project: string; pageSize?: number; pageToken?: string }) => {
      const page = pageOf(topics.list(req.project.replace(/^projects\//, '')), req.pageSize, req.pageToken);
      return { topics: page.items, nextPageToken: page.next };
    }),
    DeleteTopic: unary((req: { topic: string }) =>
      withTopic(topics, req.topic, () => {
        topics.delete(req.topic);
        subscriptions.topicDeleted(req.topic);
        return {};
      }),
    ),
    ListTopicSubscriptions: unary((req: { topic: string; pageSize?: number; pageToken?: string }) =>
      withTopic(topics, req.topic, () => {
        const all = subscriptions.list(req.topic.split('/')[1]!).filter((s) => s.topic === req.topic);
        const page = pageOf(all, req.pageSize, req.pageToken);
        return { subscriptions: page.items.map((s) => s.name), nextPageToken: page.next };
      }),
    ),
    Publish: unary((req: { topic: string; messages: WireMessage[] }) =>
      withTopic(topics, req.topic, () => {
        validateMessages(req.messages);
        return {
          messageIds: topics.publish(
            req.topic,
            req.messages.map((m) => ({
              data: m.data ?? Buffer.alloc(0),
              attributes: m.attributes ?? {},
              ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
            })),
          ),
        };
      }),
    ),
  };
}
