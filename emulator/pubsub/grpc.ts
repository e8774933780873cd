/**
 * The local Pub/Sub on gRPC, built from the official client's own `pubsub.proto`, so
 * `@google-cloud/pubsub` works unchanged with `PUBSUB_EMULATOR_HOST` or `apiEndpoint`.
 * Publisher: CreateTopic, GetTopic, ListTopics, DeleteTopic, Publish (which also pushes the
 * `messagePublished` CloudEvent to subscribed functions, see topics.ts). Subscriber: pull
 * subscriptions with Pull, StreamingPull, Acknowledge and ModifyAckDeadline — enough to read
 * published messages back with `subscription.on('message')`. Everything else is UNIMPLEMENTED.
 *
 * The proto load (~0.2 s) happens on the first `startPubsubGrpc`, not when the module loads,
 * so constructing an Emulator stays cheap; it is shared by every server in the process.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { PubsubError } from './errors.js';
import type { Subscriptions } from './subscriptions.js';
import type { Topics } from './topics.js';
import { publisherHandlers } from './publisher.js';
import { subscriberHandlers } from './subscriber.js';

interface Services {
  grpc: typeof grpc;
  publisher: grpc.ServiceDefinition;
  subscriber: grpc.ServiceDefinition;
}

let services: Promise<Services> | undefined;

/** Loads pubsub.proto once per process (include dir: google-gax's protos, as the client does). */
function loadServices(): Promise<Services> {
  services ??= (async () => {
    const [grpcJs, protoLoader] = await Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')]);
    const require = createRequire(import.meta.url);
    const pubsubProtos = join(dirname(require.resolve('@google-cloud/pubsub')), '../protos');
    const gaxProtos = join(dirname(require.resolve('google-gax')), '../protos');
    const definition = await protoLoader.load('google/pubsub/v1/pubsub.proto', {
      includeDirs: [pubsubProtos, gaxProtos],
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const v1 = (
      grpcJs.loadPackageDefinition(definition) as unknown as {
        google: { pubsub: { v1: Record<string, { service: grpc.ServiceDefinition }> } };
      }
    ).google.pubsub.v1;
    return { grpc: grpcJs, publisher: v1.Publisher!.service, subscriber: v1.Subscriber!.service };
  })();
  return services;
}

export interface PubsubServer {
  /** `host:port`, the value for `PUBSUB_EMULATOR_HOST` / `apiEndpoint`. */
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Called with each reply message before it is sent: the RPC (`google.pubsub.v1.Publisher.GetTopic`) and the message. */
export type GrpcReplyCheck = (rpc: string, reply: unknown) => void;

/**
 * Each handler of `impl`, with `check` run on every reply it sends: a unary call's answer, each
 * message a stream writes.
 */
function checked(
  service: string,
  impl: Record<string, (...args: never[]) => unknown>,
  check: GrpcReplyCheck,
): grpc.UntypedServiceImplementation {
  const out: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(impl)) {
    const rpc = `${service}.${name}`;
    const h = handler as (call: unknown, callback?: grpc.sendUnaryData<unknown>) => unknown;
    out[name] =
      h.length >= 2
        ? (call: unknown, callback: grpc.sendUnaryData<unknown>) =>
            h(call, (err, reply) => {
              if (!err) check(rpc, reply);
              callback(err, reply);
            })
        : (call: grpc.ServerWritableStream<unknown, unknown>) => {
            const write = call.write.bind(call) as (message: unknown, ...rest: unknown[]) => boolean;
            call.write = ((message: unknown, ...rest: unknown[]) => {
              check(rpc, message);
              return write(message, ...rest);
            }) as typeof call.write;
            return h(call);
          };
  }
  return out as grpc.UntypedServiceImplementation;
}

/** Starts the gRPC server on `host:port` (0 = any free port); `check` sees every reply (server.ts: Shapes). */
export async function startPubsubGrpc(
  topics: Topics,
  subscriptions: Subscriptions,
  port = 0,
  host = '127.0.0.1',
  check: GrpcReplyCheck = () => {},
): Promise<PubsubServer> {
  const { grpc: g, publisher, subscriber } = await loadServices();
  const server = new g.Server();
  const streams = new Set<grpc.ServerDuplexStream<unknown, unknown>>();
  server.addService(publisher, checked('google.pubsub.v1.Publisher', publisherHandlers(topics, subscriptions), check));
  server.addService(
    subscriber,
    checked('google.pubsub.v1.Subscriber', subscriberHandlers(subscriptions, streams), check),
  );
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, g.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(new PubsubError('UNAVAILABLE', `cannot listen on ${host}:${port}: ${err.message}`)) : resolve(p),
    ),
  );
  return {
    host: `${host}:${bound}`,
    port: bound,
    close: async () => {
      // Open StreamingPulls would hold a graceful shutdown forever: end them, then cut the rest.
      for (const call of streams) call.end();
      server.forceShutdown();
    },
  };
}
