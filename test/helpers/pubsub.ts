/** The official @google-cloud/pubsub client pointed at the local Pub/Sub (insecure gRPC), as users would. */
import { PubSub, v1 } from '@google-cloud/pubsub';
import { credentials } from '@grpc/grpc-js';
import { SAMPLE } from '../../local/topology.js';

/** With `apiEndpoint: 'host:port'` and `emulatorMode` (what PUBSUB_EMULATOR_HOST sets up). */
export const pubsubClient = (host: string) =>
  new PubSub({ projectId: SAMPLE.project, apiEndpoint: host, emulatorMode: true });

/** With `PUBSUB_EMULATOR_HOST`, which the client reads when it is constructed. */
export function pubsubClientFromEnv(host: string): PubSub {
  const before = process.env.PUBSUB_EMULATOR_HOST;
  process.env.PUBSUB_EMULATOR_HOST = host;
  try {
    return new PubSub({ projectId: SAMPLE.project });
  } finally {
    if (before === undefined) delete process.env.PUBSUB_EMULATOR_HOST;
    else process.env.PUBSUB_EMULATOR_HOST = before;
  }
}

/** The generated low-level SubscriberClient (unary Pull), insecure. */
export function subscriberClient(host: string): v1.SubscriberClient {
  const [servicePath, port] = host.split(':');
  return new v1.SubscriberClient({ servicePath, port: Number(port), sslCreds: credentials.createInsecure() });
}
