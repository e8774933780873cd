/**
 * The pipelineRequests handler's logic: parse the Pub/Sub event, validate the request, start the
 * workflow, answer on the reply topic. Rejections are answered and acknowledged (a retry cannot
 * fix a bad request); a failed start or publish is transient and asks for redelivery. Message ids
 * already started are remembered per instance, so a duplicate delivery reuses the execution.
 */
import { z } from 'zod';
import type { PipelineRequestsConfig } from '../../shared/config/pipeline-requests.js';
import { pipelineRequest, type PipelineRequest } from '../../shared/config/pipeline-requests.js';
import { parseCloudEvent, type CloudEventLike } from '../../shared/events/parse.js';
import { publishJson } from '../../shared/gcp/pubsub.js';
import { startExecution } from '../../shared/gcp/workflows.js';
import { errorMessage, isTransient } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

export type Reply =
  | { status: 'started'; requestId?: string; messageId?: string; execution: string; workflow: string }
  | { status: 'rejected'; requestId?: string; messageId?: string; problems: string[] };

export interface Outcome {
  reply?: Reply;
  retry: boolean;
  why: string;
}

export class PipelineRequestsService {
  private readonly started = new Map<string, string>();

  constructor(
    private readonly cfg: PipelineRequestsConfig,
    private readonly log: Logger,
  ) {}

  async handle(event: CloudEventLike): Promise<Outcome> {
    const parsed = parseCloudEvent(event);
    if (parsed.kind !== 'pubsub') {
      this.log.warn({ eventType: event?.type, kind: parsed.kind }, 'pipelineRequests: not a Pub/Sub message; ignored');
      return { retry: false, why: 'not a Pub/Sub message' };
    }
    const messageId = parsed.messageId ?? parsed.id;
    const checked = validate(parsed.json, parsed.text);
    if (!checked.ok) return this.answer({ status: 'rejected', requestId: requestIdOf(parsed.json), messageId, problems: checked.problems });
    try {
      const execution = this.started.get(messageId) ?? (await this.start(checked.request));
      this.started.set(messageId, execution);
      return await this.answer({ status: 'started', requestId: checked.request.requestId, messageId, execution, workflow: this.cfg.workflow });
    } catch (err) {
      const transient = isTransient(err);
      this.log.error({ error: errorMessage(err), transient, messageId }, 'pipelineRequests: could not start the workflow');
      if (transient) return { retry: true, why: errorMessage(err) };
      return this.answer({ status: 'rejected', requestId: checked.request.requestId, messageId, problems: [`the workflow could not be started: ${errorMessage(err)}`] });
    }
  }

  private start(request: PipelineRequest): Promise<string> {
    const { requestId: _id, ...argument } = request;
    return startExecution({ project: this.cfg.project, location: this.cfg.region, emulatorHost: this.cfg.emulatorHost }, this.cfg.workflow, argument);
  }

  private async answer(reply: Reply): Promise<Outcome> {
    const level = reply.status === 'started' ? 'info' : 'warn';
    this.log[level]({ reply }, reply.status === 'started' ? `pipelineRequests: started ${reply.execution}` : `pipelineRequests: rejected: ${reply.problems.join('; ')}`);
    try {
      await publishJson({ project: this.cfg.project, emulatorHost: this.cfg.pubsubEmulatorHost }, this.cfg.replyTopic, reply, { status: reply.status, ...(reply.requestId ? { requestId: reply.requestId } : {}) });
    } catch (err) {
      this.log.error({ error: errorMessage(err), topic: this.cfg.replyTopic }, 'pipelineRequests: could not publish the reply');
      return { reply, retry: isTransient(err), why: `reply not published: ${errorMessage(err)}` };
    }
    return { reply, retry: false, why: reply.status };
  }
}

/** Every problem of a request, each naming its field, so the team fixes them in one go. */
export function validate(json: unknown, text: string): { ok: true; request: PipelineRequest } | { ok: false; problems: string[] } {
  if (json === undefined) return { ok: false, problems: [`the message data must be a JSON object, got ${JSON.stringify(text.slice(0, 80))}`] };
  const result = pipelineRequest.safeParse(json);
  if (result.success) return { ok: true, request: result.data };
  return { ok: false, problems: result.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`) };
}

function requestIdOf(json: unknown): string | undefined {
  const id = z.object({ requestId: z.string() }).safeParse(json);
  return id.success ? id.data.requestId : undefined;
}
