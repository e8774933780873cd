/**
 * The local Eventarc: subscriptions match CloudEvents by type and attributes, and matching events
 * are POSTed to the function in CloudEvents binary content mode (`ce-*` headers, JSON body), as
 * Eventarc delivers to Cloud Run. Delivery is at least once and unordered in production, so the
 * router can be told to drop, duplicate, delay or reorder deliveries.
 */
import { randomUUID } from 'node:crypto';

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
  /** Redeliver on 5xx / network errors (Eventarc with retries enabled); default 3 attempts. */
  attempts?: number;
}

export interface Delivery {
  subscription: string;
  eventId: string;
  type: string;
  status: number | 'error';
  at: string;
}

export type EventFault = { kind: 'drop' | 'duplicate'; count: number; times?: number } | { kind: 'delay'; count: number; ms: number } | { kind: 'reorder'; count: number; windowMs: number };

export class EventRouter {
  private readonly subscriptions = new Map<string, Subscription>();
  private faults: (EventFault & { remaining: number })[] = [];
  private reorderBuffer: { event: CloudEventMessage; sub: Subscription }[] = [];
  private inFlight = new Set<Promise<void>>();
  readonly deliveries: Delivery[] = [];
  readonly published: CloudEventMessage[] = [];

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
    this.faults.push({ ...fault, remaining: fault.count });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Publishes an event to every matching subscription (fire and forget; see `idle()`). */
  publish(event: CloudEventMessage): void {
    const full: CloudEventMessage = { specversion: '1.0', time: new Date().toISOString(), datacontenttype: 'application/json', ...event };
    this.published.push(full);
    for (const sub of this.subscriptions.values()) {
      if (matches(sub, full)) this.track(this.route(full, sub));
    }
  }

  /** Resolves when every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async route(event: CloudEventMessage, sub: Subscription): Promise<void> {
    const fault = this.faults.find((f) => f.remaining > 0);
    if (fault) fault.remaining -= 1;
    switch (fault?.kind) {
      case 'drop':
        this.deliveries.push({ subscription: sub.id, eventId: event.id, type: event.type, status: 'error', at: new Date().toISOString() });
        return;
      case 'duplicate':
        await Promise.all(Array.from({ length: 1 + (fault.times ?? 2) }, () => this.deliver(event, sub)));
        return;
      case 'delay':
        await sleep(fault.ms);
        return this.deliver(event, sub);
      case 'reorder':
        return this.reorder(event, sub, fault.windowMs);
      default:
        return this.deliver(event, sub);
    }
  }

  /** Holds events for a window and sends them newest first. */
  private async reorder(event: CloudEventMessage, sub: Subscription, windowMs: number): Promise<void> {
    this.reorderBuffer.push({ event, sub });
    if (this.reorderBuffer.length > 1) return;
    await sleep(windowMs);
    const batch = this.reorderBuffer.reverse();
    this.reorderBuffer = [];
    for (const item of batch) await this.deliver(item.event, item.sub);
  }

  private async deliver(event: CloudEventMessage, sub: Subscription): Promise<void> {
    const attempts = sub.attempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const status = await post(sub.url, event).catch(() => 'error' as const);
      this.deliveries.push({ subscription: sub.id, eventId: event.id, type: event.type, status, at: new Date().toISOString() });
      if (status !== 'error' && status < 500 && status !== 429) return;
      await sleep(50 * 2 ** attempt);
    }
  }
}

function matches(sub: Subscription, event: CloudEventMessage): boolean {
  if (sub.type !== event.type) return false;
  const attrs: Record<string, string | undefined> = { source: event.source, subject: event.subject, ...event.extensions };
  return Object.entries(sub.filters ?? {}).every(([k, v]) => attrs[k] === v);
}

/** POSTs one event in binary content mode; answers the HTTP status. */
async function post(url: string, event: CloudEventMessage): Promise<number> {
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
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(event.data) });
  await res.arrayBuffer();
  return res.status;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const newEventId = () => randomUUID();
