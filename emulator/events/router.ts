/**
 * The local Eventarc: subscriptions match CloudEvents by type and attributes, and matching events
 * are POSTed to the function in CloudEvents binary content mode (`ce-*` headers, JSON body), as
 * Eventarc delivers to Cloud Run. Delivery is at least once and unordered in production, so the
 * router can be told to drop, duplicate, delay or reorder deliveries — per event type or
 * subscription, for a number of deliveries or until cleared.
 *
 * Every wait of a delivery (a delay fault, a duplicate's spacing, a reorder window, the backoff
 * between attempts) runs on the emulator's `Timers`, so `Emulator.close()` cancels it: a delivery
 * parked in a wait when the emulator closes is never sent.
 */
import { randomUUID } from 'node:crypto';
import { Timers } from '../timers.js';

export interface CloudEventMessage {
  id: string;
  source: string;
  type: string;
  specversion?: '1.0';
  subject?: string;
  time?: string;
  datacontenttype?: string;
  /** Extension attributes (Eventarc's `methodname`, `servicename`, `resourcename`, ...). */
  extensions?: Record<string, string>;
  data: unknown;
}

export interface Subscription {
  id: string;
  /** The CloudEvent type, e.g. `google.cloud.audit.log.v1.written`. */
  type: string;
  /** Attributes that must equal (Eventarc trigger filters); `source` and extensions are matched. */
  filters?: Record<string, string>;
  url: string;
  /**
   * Delivery attempts on a failed answer (anything but 2xx) or a network error. Default 1: a
   * Cloud Run function's Eventarc trigger does not retry unless its retry policy is enabled.
   */
  attempts?: number;
}

export interface Delivery {
  subscription: string;
  eventId: string;
  type: string;
  /** HTTP status, `error` (no answer) or `dropped` (a drop fault ate it: the function never saw it). */
  status: number | 'error' | 'dropped';
  at: string;
}

/** Which deliveries a fault applies to; unset fields match everything. */
export interface EventFaultScope {
  /** CloudEvent type, e.g. `google.cloud.audit.log.v1.written`. */
  type?: string;
  /** Subscription id. */
  subscription?: string;
}

/**
 * A delivery fault for the next `count` matching deliveries (one event to one subscription);
 * `count` omitted = every matching delivery until `clearFaults()` ("the event source is down").
 * `duplicate` sends `times` extra copies (default 2: three deliveries in all), `spacingMs` apart
 * (default 0: all at once, the hardest case for a handler); `reorder` holds deliveries for
 * `windowMs` and sends what it caught newest first; `delay` sends each one `ms` late.
 */
export type EventFault = EventFaultScope &
  (
    | { kind: 'drop'; count?: number }
    | { kind: 'duplicate'; count?: number; times?: number; spacingMs?: number }
    | { kind: 'delay'; count?: number; ms: number }
    | { kind: 'reorder'; count?: number; windowMs: number }
  );

export const EVENT_FAULT_KINDS = ['drop', 'duplicate', 'delay', 'reorder'] as const;

/** Checks a fault that came from outside (the control API); answers what is wrong, if anything. */
export function eventFaultProblem(f: Partial<EventFault> | undefined): string | undefined {
  if (!f || !(EVENT_FAULT_KINDS as readonly unknown[]).includes(f.kind))
    return `event fault kind must be one of ${EVENT_FAULT_KINDS.join(', ')}`;
  const nonNegative = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
  if (f.count !== undefined && !(Number.isInteger(f.count) && f.count >= 1))
    return 'event fault count must be a whole number ≥ 1 (omit it for "until cleared")';
  if (f.kind === 'delay' && !(nonNegative(f.ms) && f.ms !== undefined)) return 'a delay fault needs ms ≥ 0';
  if (f.kind === 'reorder' && !(nonNegative(f.windowMs) && f.windowMs !== undefined))
    return 'a reorder fault needs windowMs ≥ 0';
  if (f.kind === 'duplicate' && !(nonNegative(f.times) && nonNegative(f.spacingMs)))
    return 'a duplicate fault takes times ≥ 0 and spacingMs ≥ 0';
  return undefined;
}

type ActiveFault = EventFault & { remaining: number; buffer: { event: CloudEventMessage; sub: Subscription }[] };

/** A function answers within Cloud Run's default request timeout, or the delivery fails. */
const DELIVERY_TIMEOUT_MS = 300_000;

export class EventRouter {
  private readonly subscriptions = new Map<string, Subscription>();
  private faults: ActiveFault[] = [];
  private inFlight = new Set<Promise<void>>();
  /** Requests to the functions that have not answered yet. */
  private readonly posting = new Set<Promise<unknown>>();
  /** Set by `close()`: a parked delivery will never go on, and `idle()` stops waiting for it. */
  private closed = false;
  private readonly whenClosed: Promise<void>;
  private fireClosed = () => {};
  readonly deliveries: Delivery[] = [];
  readonly published: CloudEventMessage[] = [];
  /** Run on each event before it goes out (server.ts: its data against Google's definition, emulator/schema/events.ts). */
  readonly checks: ((event: CloudEventMessage) => void)[] = [];

  /** `timers`: the emulator's, which `Emulator.close()` clears; a router of its own by default. */
  constructor(private readonly timers: Timers = new Timers()) {
    this.whenClosed = new Promise((resolve) => (this.fireClosed = resolve));
  }

  subscribe(sub: Subscription): void {
    this.subscriptions.set(sub.id, sub);
  }

  unsubscribe(id: string): void {
    this.subscriptions.delete(id);
  }

  listSubscriptions(): Subscription[] {
    return [...this.subscriptions.values()];
  }

  injectFault(fault: EventFault): void {
    const problem = eventFaultProblem(fault);
    if (problem) throw new RangeError(problem);
    this.faults.push({ ...fault, remaining: fault.count ?? Infinity, buffer: [] });
  }

  /** Removes every fault; deliveries a reorder fault is holding still go out when its window ends. */
  clearFaults(): void {
    this.faults = [];
  }

  /** Event faults still in force (what the control API's `GET /faults` lists beside call faults). */
  activeFaults(): EventFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The emulator's time as an RFC 3339 string (its Timers' clock): what events, messages and log entries are stamped with. */
  nowIso(): string {
    return new Date(this.timers.now()).toISOString();
  }

  /** Publishes an event to every matching subscription (fire and forget; see `idle()`). */
  publish(event: CloudEventMessage): void {
    const full: CloudEventMessage = {
      specversion: '1.0',
      time: this.nowIso(),
      datacontenttype: 'application/json',
      ...event,
    };
    for (const check of this.checks) check(full);
    this.published.push(full);
    for (const sub of this.subscriptions.values()) {
      if (matches(sub, full)) this.track(this.route(full, sub));
    }
  }

  /**
   * Sends an event published earlier once more, through the faults, to `subscriptionId` (or to
   * every subscription it matches): Pub/Sub redelivering a message whose ack was lost, after the
   * ack deadline, possibly to another instance (https://cloud.google.com/pubsub/docs/subscription-overview:
   * "at-least-once delivery"). A test decides when, so "redelivered after a restart" is exact.
   */
  redeliver(eventId: string, subscriptionId?: string): void {
    const event = this.published.findLast((e) => e.id === eventId);
    if (!event) throw new RangeError(`no published event ${eventId}`);
    const subs = [...this.subscriptions.values()].filter((sub) =>
      subscriptionId ? sub.id === subscriptionId : matches(sub, event),
    );
    if (!subs.length) throw new RangeError(`no subscription ${subscriptionId ?? `matches event ${eventId}`}`);
    for (const sub of subs) this.track(this.route(event, sub));
  }

  /**
   * Resolves when every delivery started so far (and any they started) has finished — or, once
   * `close()` came, when no request to a function is still waiting for its answer: a delivery
   * parked in a wait whose timer was cleared never goes on, and is not waited for.
   */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 && !this.closed)
      await Promise.race([Promise.allSettled([...this.inFlight]), this.whenClosed]);
    // A delivery that got its answer may send the next one (a retry, the rest of a reorder batch).
    while (this.posting.size > 0) {
      await Promise.allSettled([...this.posting]);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * For `Emulator.close()`, once it cleared the timers: the deliveries parked in a wait are given
   * up (their timers will never fire), and this resolves when the requests already sent are answered.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.fireClosed();
    await this.idle();
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private takeFault(event: CloudEventMessage, sub: Subscription): ActiveFault | undefined {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && (!f.type || f.type === event.type) && (!f.subscription || f.subscription === sub.id),
    );
    if (fault) fault.remaining -= 1;
    return fault;
  }

  private async route(event: CloudEventMessage, sub: Subscription): Promise<void> {
    const fault = this.takeFault(event, sub);
    switch (fault?.kind) {
      case undefined:
        return this.deliver(event, sub);
      case 'drop':
        this.record(sub, event, 'dropped');
        return;
      case 'duplicate': {
        const copies = 1 + (fault.times ?? 2);
        const spacing = fault.spacingMs ?? 0;
        await Promise.all(
          Array.from({ length: copies }, async (_, i) => {
            if (spacing > 0 && i > 0) await this.timers.sleep(spacing * i);
            await this.deliver(event, sub);
          }),
        );
        return;
      }
      case 'delay':
        await this.timers.sleep(fault.ms);
        return this.deliver(event, sub);
      case 'reorder':
        return this.reorder(fault, event, sub);
    }
  }

  /** The first delivery a reorder fault catches opens a window; at its end the batch goes out newest first. */
  private async reorder(
    fault: ActiveFault & { kind: 'reorder' },
    event: CloudEventMessage,
    sub: Subscription,
  ): Promise<void> {
    fault.buffer.push({ event, sub });
    if (fault.buffer.length > 1) return;
    await this.timers.sleep(fault.windowMs);
    const batch = fault.buffer.splice(0).reverse();
    for (const item of batch) await this.deliver(item.event, item.sub);
  }

  /** One request to the function, tracked until it is answered: its status, or `error` without an answer. */
  private async post(url: string, event: CloudEventMessage): Promise<number | 'error'> {
    const answer = post(url, event, this.timers).catch(() => 'error' as const);
    this.posting.add(answer);
    try {
      return await answer;
    } finally {
      this.posting.delete(answer);
    }
  }

  private record(sub: Subscription, event: CloudEventMessage, status: Delivery['status']): void {
    this.deliveries.push({
      subscription: sub.id,
      eventId: event.id,
      type: event.type,
      status,
      at: this.nowIso(),
    });
  }

  private async deliver(event: CloudEventMessage, sub: Subscription): Promise<void> {
    const attempts = Math.max(1, sub.attempts ?? 1);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const status = await this.post(sub.url, event);
      this.record(sub, event, status);
      if (status !== 'error' && status >= 200 && status < 300) return;
      if (attempt < attempts) await this.timers.sleep(50 * 2 ** attempt);
    }
  }
}

function matches(sub: Subscription, event: CloudEventMessage): boolean {
  if (sub.type !== event.type) return false;
  const attrs: Record<string, string | undefined> = {
    source: event.source,
    subject: event.subject,
    ...event.extensions,
  };
  return Object.entries(sub.filters ?? {}).every(([k, v]) => attrs[k] === v);
}

/** POSTs one event in binary content mode; answers the HTTP status. */
async function post(url: string, event: CloudEventMessage, timers: Timers): Promise<number> {
  const headers: Record<string, string> = {
    'content-type': event.datacontenttype ?? 'application/json',
    'ce-id': event.id,
    'ce-source': event.source,
    'ce-type': event.type,
    'ce-specversion': event.specversion ?? '1.0',
    ...(event.subject ? { 'ce-subject': event.subject } : {}),
    ...(event.time ? { 'ce-time': event.time } : {}),
  };
  for (const [k, v] of Object.entries(event.extensions ?? {})) headers[`ce-${k}`] = v;
  const deadline = timers.deadline(DELIVERY_TIMEOUT_MS);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(event.data),
      signal: deadline.signal,
    });
    await res.arrayBuffer();
    return res.status;
  } finally {
    deadline.done();
  }
}

export const newEventId = () => randomUUID();
