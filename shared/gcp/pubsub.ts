/**
 * Publishing to Pub/Sub with the REST method `projects.topics.publish`
 * (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/publish) through the
 * shared transport, not the official gRPC client: the call then carries the function's identity
 * like every other (the local Google Cloud checks `pubsub.topics.publish` for it; insecure gRPC to
 * an emulator carries none), retries like every other, and a function's first publish loads no
 * gRPC stack — with the client, natRoutes' cold start (which publishes its first report) was 3×
 * a bare function's (`npm run bench cold-start`).
 */
import type { Transport } from './transport.js';

/** `projects/{project}/topics/{topic}` for a topic id, or the full name as given. */
function topicName(project: string, topic: string): string {
  return topic.startsWith('projects/') ? topic : `projects/${project}/topics/${topic}`;
}

/**
 * Publishes `payload` as one JSON message (REST `bytes` are base64) with string `attributes`;
 * answers the message id.
 */
export async function publishJson(
  t: Transport,
  project: string,
  topic: string,
  payload: unknown,
  attributes: Record<string, string> = {},
): Promise<string> {
  const message = {
    data: Buffer.from(JSON.stringify(payload)).toString('base64'),
    ...(Object.keys(attributes).length ? { attributes } : {}),
  };
  const res = await t.request<{ messageIds?: string[] }>({
    service: 'pubsub',
    method: 'POST',
    path: `/v1/${topicName(project, topic)}:publish`,
    body: { messages: [message] },
  });
  const id = res.messageIds?.[0];
  if (!id) throw new Error(`Pub/Sub answered the publish to ${topicName(project, topic)} without a message id`);
  return id;
}
