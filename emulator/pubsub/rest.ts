/**
 * Pub/Sub's REST surface for publishing, `POST /v1/{topic=projects/*\/topics/*}:publish`
 * (https://cloud.google.com/pubsub/docs/reference/rest/v1/projects.topics/publish), over the same
 * Topics state and the same checks as the gRPC Publisher: it is what the Workflows connector
 * `googleapis.pubsub.v1.projects.topics.publish` calls. The body is `{messages: [PubsubMessage]}`
 * with `data` as base64 (REST `bytes`), the answer `{messageIds: [...]}`. Errors carry the HTTP
 * code of the gRPC status (google.rpc.Code → HTTP: INVALID_ARGUMENT 400, NOT_FOUND 404).
 */
import { badRequest, HttpError } from '../errors.js';
import type { Router } from '../http.js';
import { PubsubError } from './errors.js';
import { requireTopicName, validateMessages, withTopic, type WireMessage } from './publisher.js';
import type { Topics } from './topics.js';

const HTTP_OF: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 400,
  UNAVAILABLE: 503,
};
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function wireMessages(body: unknown): WireMessage[] {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) throw badRequest("Invalid JSON payload: 'messages' must be a list of PubsubMessage");
  return messages.map((m, i) => {
    if (typeof m !== 'object' || m === null)
      throw badRequest(`Invalid value at 'messages[${i}]': a PubsubMessage object`);
    const { data, attributes, orderingKey, ...rest } = m as {
      data?: unknown;
      attributes?: unknown;
      orderingKey?: unknown;
    };
    const unknown = Object.keys(rest).filter((k) => k !== 'messageId' && k !== 'publishTime');
    if (unknown.length)
      throw badRequest(
        `Invalid JSON payload received. Unknown name "${unknown[0]}" at 'messages[${i}]': Cannot find field.`,
      );
    if (data !== undefined && (typeof data !== 'string' || !BASE64.test(data)))
      throw badRequest(`Invalid value at 'messages[${i}].data' (TYPE_BYTES), Base64 decoding failed`);
    if (
      attributes !== undefined &&
      (typeof attributes !== 'object' ||
        attributes === null ||
        Object.values(attributes).some((v) => typeof v !== 'string'))
    )
      throw badRequest(`Invalid value at 'messages[${i}].attributes': a map of strings`);
    if (orderingKey !== undefined && typeof orderingKey !== 'string')
      throw badRequest(`Invalid value at 'messages[${i}].orderingKey': a string`);
    return {
      ...(data ? { data: Buffer.from(data as string, 'base64') } : {}),
      ...(attributes ? { attributes: attributes as Record<string, string> } : {}),
      ...(orderingKey ? { orderingKey: orderingKey as string } : {}),
    };
  });
}

export function registerPubsubRest(router: Router, topics: Topics): void {
  router.on('POST', '/v1/projects/{project}/topics/{topic}:publish', 'pubsub.projects.topics.publish', (r) => {
    const name = `projects/${r.params.project}/topics/${r.params.topic}`;
    try {
      requireTopicName(name);
      const messages = wireMessages(r.body);
      return withTopic(topics, name, () => {
        validateMessages(messages);
        return {
          messageIds: topics.publish(
            name,
            messages.map((m) => ({
              data: m.data ?? Buffer.alloc(0),
              attributes: m.attributes ?? {},
              ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
            })),
          ),
        };
      });
    } catch (err) {
      if (err instanceof PubsubError) throw new HttpError(HTTP_OF[err.status] ?? 500, err.message);
      throw err;
    }
  });
}
