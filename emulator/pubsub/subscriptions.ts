/**
 * Pull subscriptions of the local Pub/Sub: each gets a copy of every message published to its
 * topic after it was created, leases it to a puller for the ack deadline, and redelivers it when
 * the deadline passes or it is nacked (deadline 0) — at-least-once delivery, as in production.
 * Push delivery to functions is the event router's job (see topics.ts); this is what a test or
 * a user reads back through the official client.
 *
 * Subscriptions live in the emulator's store (`pubsub/subscriptions`, by full name) as the
 * Subscription resource of Pub/Sub's REST API
 * (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.subscriptions), so its mutation
 * listeners see them created, detached from a deleted topic and deleted. What is not a resource,
 * each subscription's delivery bookkeeping (its outstanding messages, their ack ids and leases on
 * the emulator's Timers, and the pulls waiting on it), sits beside the store in a plain map, like
 * the message log of topics.ts: a lease is a live timer, not JSON. Deleting a subscription drops it.
 */
import { randomUUID } from 'node:crypto';
import type { PubsubMessage, Topics } from './topics.js';
import { PubsubError } from './errors.js';
import { collection, type Store } from '../store.js';
import type { Timer, Timers } from '../timers.js';

/**
 * A subscription as the store keeps it: the REST `Subscription`, Durations in their JSON form
 * (`"604800s"`); subscriber.ts answers it on gRPC. Defaults from pubsub.proto, Subscription:
 * message_retention_duration "Defaults to 7 days"; expiration_policy "If `expiration_policy` is not
 * set, a *default policy* with `ttl` of 31 days will be used"; state, "whether or not the
 * subscription can receive messages", always ACTIVE here.
 */
export interface Subscription {
  name: string;
  topic: string;
  ackDeadlineSeconds: number;
  labels: Record<string, string>;
  state: 'ACTIVE';
  messageRetentionDuration: string;
  expirationPolicy: { ttl: string };
}

const SUBSCRIPTIONS = collection<Subscription>('pubsub/subscriptions');
const SEVEN_DAYS = `${7 * 24 * 3600}s`;
const THIRTY_ONE_DAYS = `${31 * 24 * 3600}s`;

export interface Delivered {
  ackId: string;
  message: PubsubMessage;
  deliveryAttempt: number;
}

interface Pending {
  message: PubsubMessage;
  ackId?: string;
  /** The delivery's lease, while outstanding: when it comes due the message is available again. */
  lease?: Timer;
  attempts: number;
}

/** A subscription's delivery bookkeeping, beside its resource in the store. */
interface Delivery {
  pending: Pending[];
  waiters: Set<() => void>;
}

export const DELETED_TOPIC = '_deleted-topic_';
const NAME = /^projects\/[^/]+\/subscriptions\/[A-Za-z][\w.~+%-]{2,254}$/;

export class Subscriptions {
  /** Each subscription's delivery bookkeeping, by subscription name. */
  private readonly deliveries = new Map<string, Delivery>();

  constructor(
    private readonly store: Store,
    private readonly topics: Topics,
    private readonly timers: Timers,
  ) {
    topics.onPublish((topic, message) => {
      for (const sub of this.store.list(SUBSCRIPTIONS)) {
        if (sub.topic !== topic) continue;
        const d = this.delivery(sub.name);
        d.pending.push({ message, attempts: 0 });
        this.wake(d);
      }
    });
  }

  create(config: {
    name: string;
    topic: string;
    ackDeadlineSeconds?: number;
    labels?: Record<string, string>;
  }): Subscription {
    if (!NAME.test(config.name))
      throw new PubsubError('INVALID_ARGUMENT', `Invalid [subscriptions] name: (name=${config.name})`);
    if (this.store.has(SUBSCRIPTIONS, config.name))
      throw new PubsubError('ALREADY_EXISTS', 'Subscription already exists');
    this.topicOrThrow(config.topic);
    const ack = config.ackDeadlineSeconds || 10;
    if (ack < 10 || ack > 600)
      throw new PubsubError(
        'INVALID_ARGUMENT',
        `Invalid ack deadline given: ${ack}. The minimum deadline is 10 seconds and the maximum is 600 seconds.`,
      );
    this.store.insert(SUBSCRIPTIONS, {
      name: config.name,
      topic: config.topic,
      ackDeadlineSeconds: ack,
      labels: { ...config.labels },
      state: 'ACTIVE',
      messageRetentionDuration: SEVEN_DAYS,
      expirationPolicy: { ttl: THIRTY_ONE_DAYS },
    });
    this.deliveries.set(config.name, { pending: [], waiters: new Set() });
    return this.get(config.name);
  }

  get(name: string): Subscription {
    return structuredClone(this.resource(name));
  }

  list(project: string): Subscription[] {
    return this.store
      .list(SUBSCRIPTIONS)
      .filter((s) => s.name.startsWith(`projects/${project}/subscriptions/`))
      .map((s) => structuredClone(s));
  }

  /** Removes the subscription from the store and drops its bookkeeping: leases end, waiting pulls wake to NOT_FOUND. */
  delete(name: string): void {
    this.resource(name);
    const d = this.deliveries.get(name);
    this.store.remove(SUBSCRIPTIONS, name);
    this.deliveries.delete(name);
    if (!d) return;
    for (const p of d.pending) this.timers.cancel(p.lease);
    this.wake(d);
  }

  /**
   * Detaches the subscriptions of a deleted topic, as Pub/Sub shows them. pubsub.proto, DeleteTopic:
   * "Existing subscriptions to this topic are not deleted, but their `topic` field is set to
   * `_deleted-topic_`."
   */
  topicDeleted(topic: string): void {
    for (const s of this.store.list(SUBSCRIPTIONS)) {
      if (s.topic !== topic) continue;
      this.store.update(SUBSCRIPTIONS, s.name, (copy) => {
        copy.topic = DELETED_TOPIC;
      });
    }
  }

  /** Leases up to `max` available messages for the ack deadline (or `deadlineSeconds`). */
  pull(name: string, max: number, deadlineSeconds?: number): Delivered[] {
    const sub = this.resource(name);
    const d = this.delivery(name);
    const out: Delivered[] = [];
    for (const p of d.pending) {
      if (out.length >= max) break;
      if (p.lease) continue;
      p.attempts += 1;
      p.ackId = `${randomUUID()}-${p.message.messageId}`;
      this.lease(d, p, deadlineSeconds ?? sub.ackDeadlineSeconds);
      out.push({ ackId: p.ackId, message: p.message, deliveryAttempt: p.attempts });
    }
    return out;
  }

  /**
   * Leases a delivery for `seconds` on the emulator's Timers (so a test's clock moves it): while
   * leased the message is outstanding and not redelivered; when the lease ends it is available
   * again, to this puller or another, with a new ackId. pubsub.proto, Subscription.ack_deadline_seconds:
   * "The approximate amount of time (on a best-effort basis) Pub/Sub waits for the subscriber to
   * acknowledge receipt before resending the message. [...] During that time period, the message
   * will not be redelivered"; ModifyAckDeadlineRequest.ack_deadline_seconds: "The new ack deadline
   * with respect to the time this request was sent [...] Specifying zero might immediately make the
   * message available for delivery to another subscriber client." Here the deadline is exact, the
   * strictest reading of "best-effort": no redelivery before it, none missed after it.
   */
  private lease(d: Delivery, p: Pending, seconds: number): void {
    this.timers.cancel(p.lease);
    p.lease = undefined;
    if (seconds > 0) {
      const lease = this.timers.after(
        seconds * 1000,
        () => {
          if (p.lease !== lease) return;
          p.lease = undefined;
          this.wake(d);
        },
        { unref: true },
      );
      p.lease = lease;
    } else this.wake(d);
  }

  /** Resolves when messages may be available (or after `ms`). */
  waitForMessages(name: string, ms: number): Promise<void> {
    const d = this.delivery(name);
    return new Promise((resolve) => {
      const done = () => {
        this.timers.cancel(timer);
        d.waiters.delete(done);
        resolve();
      };
      const timer = this.timers.after(ms, done);
      d.waiters.add(done);
    });
  }

  acknowledge(name: string, ackIds: string[]): void {
    const d = this.delivery(name);
    const acked = new Set(ackIds);
    for (const p of d.pending) if (p.ackId && acked.has(p.ackId)) this.timers.cancel(p.lease);
    d.pending = d.pending.filter((p) => !(p.ackId && acked.has(p.ackId)));
  }

  /** Extends or ends (0 = nack) the lease of the given deliveries. */
  modifyAckDeadline(name: string, ackIds: string[], seconds: number): void {
    if (seconds < 0 || seconds > 600)
      throw new PubsubError(
        'INVALID_ARGUMENT',
        `Invalid ack deadline given: ${seconds}. The maximum deadline is 600 seconds.`,
      );
    const d = this.delivery(name);
    const ids = new Set(ackIds);
    for (const p of d.pending) if (p.ackId && ids.has(p.ackId) && p.lease) this.lease(d, p, seconds);
  }

  private wake(d: Delivery): void {
    for (const w of [...d.waiters]) w();
  }

  /** The stored subscription (the store's own record: copy before handing it out). */
  private resource(name: string): Subscription {
    const s = this.store.get(SUBSCRIPTIONS, name);
    if (!s) throw new PubsubError('NOT_FOUND', `Resource not found (resource=${name.split('/').pop()}).`);
    return s;
  }

  /** The bookkeeping of a stored subscription, begun empty for one put in the store some other way. */
  private delivery(name: string): Delivery {
    this.resource(name);
    let d = this.deliveries.get(name);
    if (!d) this.deliveries.set(name, (d = { pending: [], waiters: new Set() }));
    return d;
  }

  private topicOrThrow(topic: string): void {
    try {
      this.topics.get(topic);
    } catch {
      throw new PubsubError('NOT_FOUND', `Resource not found (resource=${topic.split('/').pop()}).`);
    }
  }
}
