/**
 * Pull subscriptions of the local Pub/Sub: each gets a copy of every message published to its
 * topic after it was created, leases it to a puller for the ack deadline, and redelivers it when
 * the deadline passes or it is nacked (deadline 0) — at-least-once delivery, as in production.
 * Push delivery to functions is the event router's job (see topics.ts); this is what a test or
 * a user reads back through the official client.
 */
import { randomUUID } from 'node:crypto';
import type { PubsubMessage, Topics } from './topics.js';
import { PubsubError } from './errors.js';
import type { Timer, Timers } from '../timers.js';

export interface SubscriptionConfig {
  name: string;
  topic: string;
  ackDeadlineSeconds: number;
  labels: Record<string, string>;
}

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

interface State {
  config: SubscriptionConfig;
  pending: Pending[];
  waiters: Set<() => void>;
}

export const DELETED_TOPIC = '_deleted-topic_';
const NAME = /^projects\/[^/]+\/subscriptions\/[A-Za-z][\w.~+%-]{2,254}$/;

export class Subscriptions {
  private readonly subs = new Map<string, State>();

  constructor(
    private readonly topics: Topics,
    private readonly timers: Timers,
  ) {
    topics.onPublish((topic, message) => {
      for (const s of this.subs.values()) {
        if (s.config.topic !== topic) continue;
        s.pending.push({ message, attempts: 0 });
        this.wake(s);
      }
    });
  }

  create(config: {
    name: string;
    topic: string;
    ackDeadlineSeconds?: number;
    labels?: Record<string, string>;
  }): SubscriptionConfig {
    if (!NAME.test(config.name))
      throw new PubsubError('INVALID_ARGUMENT', `Invalid [subscriptions] name: (name=${config.name})`);
    if (this.subs.has(config.name)) throw new PubsubError('ALREADY_EXISTS', 'Subscription already exists');
    this.topicOrThrow(config.topic);
    const ack = config.ackDeadlineSeconds || 10;
    if (ack < 10 || ack > 600)
      throw new PubsubError(
        'INVALID_ARGUMENT',
        `Invalid ack deadline given: ${ack}. The minimum deadline is 10 seconds and the maximum is 600 seconds.`,
      );
    const created: SubscriptionConfig = {
      name: config.name,
      topic: config.topic,
      ackDeadlineSeconds: ack,
      labels: config.labels ?? {},
    };
    this.subs.set(config.name, { config: created, pending: [], waiters: new Set() });
    return created;
  }

  get(name: string): SubscriptionConfig {
    return this.state(name).config;
  }

  list(project: string): SubscriptionConfig[] {
    return [...this.subs.values()]
      .map((s) => s.config)
      .filter((c) => c.name.startsWith(`projects/${project}/subscriptions/`))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  delete(name: string): void {
    const s = this.state(name);
    for (const p of s.pending) this.timers.cancel(p.lease);
    this.subs.delete(name);
    this.wake(s);
  }

  /** Detaches the subscriptions of a deleted topic, as Pub/Sub shows them. */
  topicDeleted(topic: string): void {
    for (const s of this.subs.values()) if (s.config.topic === topic) s.config.topic = DELETED_TOPIC;
  }

  /** Leases up to `max` available messages for the ack deadline (or `deadlineSeconds`). */
  pull(name: string, max: number, deadlineSeconds?: number): Delivered[] {
    const s = this.state(name);
    const out: Delivered[] = [];
    for (const p of s.pending) {
      if (out.length >= max) break;
      if (p.lease) continue;
      p.attempts += 1;
      p.ackId = `${randomUUID()}-${p.message.messageId}`;
      this.lease(s, p, deadlineSeconds ?? s.config.ackDeadlineSeconds);
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
  private lease(s: State, p: Pending, seconds: number): void {
    this.timers.cancel(p.lease);
    p.lease = undefined;
    if (seconds > 0) {
      const lease = this.timers.after(
        seconds * 1000,
        () => {
          if (p.lease !== lease) return;
          p.lease = undefined;
          this.wake(s);
        },
        { unref: true },
      );
      p.lease = lease;
    } else this.wake(s);
  }

  /** Resolves when messages may be available (or after `ms`). */
  waitForMessages(name: string, ms: number): Promise<void> {
    const s = this.state(name);
    return new Promise((resolve) => {
      const done = () => {
        this.timers.cancel(timer);
        s.waiters.delete(done);
        resolve();
      };
      const timer = this.timers.after(ms, done);
      s.waiters.add(done);
    });
  }

  acknowledge(name: string, ackIds: string[]): void {
    const s = this.state(name);
    const acked = new Set(ackIds);
    for (const p of s.pending) if (p.ackId && acked.has(p.ackId)) this.timers.cancel(p.lease);
    s.pending = s.pending.filter((p) => !(p.ackId && acked.has(p.ackId)));
  }

  /** Extends or ends (0 = nack) the lease of the given deliveries. */
  modifyAckDeadline(name: string, ackIds: string[], seconds: number): void {
    if (seconds < 0 || seconds > 600)
      throw new PubsubError(
        'INVALID_ARGUMENT',
        `Invalid ack deadline given: ${seconds}. The maximum deadline is 600 seconds.`,
      );
    const s = this.state(name);
    const ids = new Set(ackIds);
    for (const p of s.pending) if (p.ackId && ids.has(p.ackId) && p.lease) this.lease(s, p, seconds);
  }

  private wake(s: State): void {
    for (const w of [...s.waiters]) w();
  }

  private state(name: string): State {
    const s = this.subs.get(name);
    if (!s) throw new PubsubError('NOT_FOUND', `Resource not found (resource=${name.split('/').pop()}).`);
    return s;
  }

  private topicOrThrow(topic: string): void {
    try {
      this.topics.get(topic);
    } catch {
      throw new PubsubError('NOT_FOUND', `Resource not found (resource=${topic.split('/').pop()}).`);
    }
  }
}
