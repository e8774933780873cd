/**
 * The Subscriber service of the local Pub/Sub: pull subscriptions, unary Pull and the
 * StreamingPull that `subscription.on('message')` opens (acks and modacks may come on the
 * stream or as unary calls; both are served).
 */
import type * as grpc from '@grpc/grpc-js';
import { PubsubError, toGrpcError } from './errors.js';
import { wireMessage } from './publisher.js';
import type { Delivered, Subscription, Subscriptions } from './subscriptions.js';
import { duration, pageOf, unary } from './wire.js';

/** How long a unary Pull waits for a message before answering empty. */
const PULL_WAIT_MS = 1_000;

/** A stored subscription (REST JSON) as the gRPC Subscription message: its Durations as google.protobuf.Duration. */
const wireSubscription = (s: Subscription) => ({
  name: s.name,
  topic: s.topic,
  ackDeadlineSeconds: s.ackDeadlineSeconds,
  labels: s.labels,
  state: s.state,
  messageRetentionDuration: duration(s.messageRetentionDuration),
  expirationPolicy: { ttl: duration(s.expirationPolicy.ttl) },
});

const received = (d: Delivered[]) =>
  d.map((x) => ({ ackId: x.ackId, message: wireMessage(x.message), deliveryAttempt: x.deliveryAttempt }));

async function pull(
  subs: Subscriptions,
  req: { subscription: string; maxMessages: number; returnImmediately?: boolean },
) {
  if (!req.maxMessages || req.maxMessages < 1)
    throw new PubsubError('INVALID_ARGUMENT', 'max_messages must be a positive integer.');
  let got = subs.pull(req.subscription, req.maxMessages);
  if (got.length === 0 && !req.returnImmediately) {
    await subs.waitForMessages(req.subscription, PULL_WAIT_MS);
    got = subs.pull(req.subscription, req.maxMessages);
  }
  return { receivedMessages: received(got) };
}

interface StreamRequest {
  subscription?: string;
  ackIds?: string[];
  modifyDeadlineSeconds?: number[];
  modifyDeadlineAckIds?: string[];
  streamAckDeadlineSeconds?: number;
  maxOutstandingMessages?: string | number;
}

/** One StreamingPull: applies acks/modacks as they arrive and writes messages as they come. */
function streamingPull(subs: Subscriptions, streams: Set<grpc.ServerDuplexStream<unknown, unknown>>) {
  return (call: grpc.ServerDuplexStream<StreamRequest, unknown>) => {
    let name: string | undefined;
    let deadline = 10;
    let open = true;
    streams.add(call as grpc.ServerDuplexStream<unknown, unknown>);
    const stop = () => {
      open = false;
      streams.delete(call as grpc.ServerDuplexStream<unknown, unknown>);
    };
    const fail = (err: unknown) => {
      if (!open) return;
      stop();
      call.emit('error', toGrpcError(err));
    };
    const loop = async () => {
      while (open && name) {
        const batch = subs.pull(name, 100, deadline);
        if (batch.length) call.write({ receivedMessages: received(batch) });
        else await subs.waitForMessages(name, 1_000);
      }
    };
    call.on('data', (req: StreamRequest) => {
      try {
        if (!name) {
          if (!req.subscription)
            throw new PubsubError('INVALID_ARGUMENT', 'The first StreamingPullRequest must name a subscription.');
          subs.get(req.subscription);
          name = req.subscription;
          deadline = req.streamAckDeadlineSeconds || subs.get(name).ackDeadlineSeconds;
          void loop().catch(fail);
        }
        if (req.ackIds?.length) subs.acknowledge(name, req.ackIds);
        (req.modifyDeadlineAckIds ?? []).forEach((id, i) =>
          subs.modifyAckDeadline(name!, [id], req.modifyDeadlineSeconds?.[i] ?? 0),
        );
      } catch (err) {
        fail(err);
      }
    });
    call.on('end', () => {
      stop();
      call.end();
    });
    call.on('cancelled', stop);
    call.on('error', stop);
  };
}

export function subscriberHandlers(subs: Subscriptions, streams: Set<grpc.ServerDuplexStream<unknown, unknown>>) {
  return {
    CreateSubscription: unary(
      (req: { name: string; topic: string; ackDeadlineSeconds?: number; labels?: Record<string, string> }) =>
        wireSubscription(subs.create(req)),
    ),
    GetSubscription: unary((req: { subscription: string }) => wireSubscription(subs.get(req.subscription))),
    ListSubscriptions: unary((req: { project: string; pageSize?: number; pageToken?: string }) => {
      const page = pageOf(subs.list(req.project.replace(/^projects\//, '')), req.pageSize, req.pageToken);
      return { subscriptions: page.items.map(wireSubscription), nextPageToken: page.next };
    }),
    DeleteSubscription: unary((req: { subscription: string }) => {
      subs.delete(req.subscription);
      return {};
    }),
    Pull: unary((req: { subscription: string; maxMessages: number; returnImmediately?: boolean }) => pull(subs, req)),
    Acknowledge: unary((req: { subscription: string; ackIds: string[] }) => {
      subs.acknowledge(req.subscription, req.ackIds);
      return {};
    }),
    ModifyAckDeadline: unary((req: { subscription: string; ackIds: string[]; ackDeadlineSeconds: number }) => {
      subs.modifyAckDeadline(req.subscription, req.ackIds, req.ackDeadlineSeconds);
      return {};
    }),
    StreamingPull: streamingPull(subs, streams),
  };
}
