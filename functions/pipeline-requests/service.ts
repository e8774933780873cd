/**
 * The pipelineRequests handler's logic: parse the Pub/Sub event, validate the request, and — once
 * per request identity however often and wherever it is delivered (claims.ts) — start the
 * workflow. The requester hears back exactly once: a bad request is answered here with every
 * problem; an accepted one is answered by the workflow itself when the run ends, succeeded or
 * failed with the step that failed (workflows/vertex-pipeline-run.yaml, `reply`), because a run
 * lasts longer than any function may wait.
 *
 * A failed start or publish that a retry may fix leaves the message unacknowledged (Eventarc
 * redelivers); so does a delivery that finds another one mid-start, so the message is never
 * acknowledged before its execution is recorded.
 */
import * as z from 'zod';
import type { PipelineRequestsConfig } from '../../shared/config/pipeline-requests.js';
import { pipelineRequest, type PipelineRequest } from '../../shared/config/pipeline-requests.js';
import { parseCloudEvent, type CloudEventLike } from '../../shared/events/parse.js';
import { publishJson } from '../../shared/gcp/pubsub.js';
import { executionsLabelled, startExecution } from '../../shared/gcp/workflows.js';
import { readJsonObject, writeJsonObject } from '../../shared/gcp/storage.js';
import type { Transport } from '../../shared/gcp/transport.js';
import { ApiError, errorMessage, isTransient } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { claimObject, decide, REQUEST_LABEL, requestKey, type ClaimRecord } from './claims.js';

/** What pipelineRequests itself publishes: only rejections (the workflow publishes the run's outcome). */
export interface Rejection {
  status: 'rejected';
  requestId?: string;
  messageId?: string;
  problems: string[];
}

/** What the workflow learns about the request, to address its reply. */
export interface RequestRef {
  requestId?: string;
  messageId: string;
  key: string;
}

export type Outcome =
  | { kind: 'ignored'; retry: false; why: string }
  | { kind: 'started' | 'duplicate'; retry: false; key: string; execution?: string; why: string }
  | { kind: 'rejected'; retry: false; key: string; reply: Rejection; why: string }
  | { kind: 'retry'; retry: true; key?: string; why: string };

export interface ServiceDeps {
  transport: Transport;
  now?: () => number;
}

const MAX_RACES = 3;

export class PipelineRequestsService {
  private readonly now: () => number;

  constructor(
    private readonly cfg: PipelineRequestsConfig,
    private readonly log: Logger,
    private readonly deps: ServiceDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  async handle(event: CloudEventLike): Promise<Outcome> {
    const parsed = parseCloudEvent(event);
    if (parsed.kind !== 'pubsub') {
      this.log.warn({ eventType: event?.type, kind: parsed.kind }, 'pipelineRequests: not a Pub/Sub message; ignored');
      return { kind: 'ignored', retry: false, why: 'not a Pub/Sub message' };
    }
    const messageId = parsed.messageId ?? parsed.id;
    const checked = validate(parsed.json, parsed.text);
    const requestId = checked.ok ? checked.request.requestId : requestIdOf(parsed.json);
    const ref: RequestRef = {
      ...(requestId === undefined ? {} : { requestId }),
      messageId,
      key: requestKey(this.cfg.workflow, requestId, messageId),
    };
    // The message id covers redeliveries of one message only: a publisher's retry is a new message,
    // with a new id, and would start a second (paid) run. requestId is the exactly-once key.
    if (checked.ok && requestId === undefined)
      this.log.warn(
        { messageId, missingRequestId: true },
        `pipelineRequests: request ${messageId} has no requestId, so only redeliveries of this one message are deduplicated; a retried publish (a new message) starts another run. Set requestId, unique per run and kept across retries.`,
      );
    try {
      const outcome = await this.once(ref, checked);
      this.report(ref, outcome);
      return outcome;
    } catch (err) {
      const outcome: Outcome = { kind: 'retry', retry: true, key: ref.key, why: errorMessage(err) };
      this.log.error(
        { pipelineRequest: { ...ref, outcome: 'retry' }, error: errorMessage(err), transient: isTransient(err) },
        `pipelineRequests: could not settle request ${ref.requestId ?? ref.messageId}; it will be delivered again`,
      );
      return outcome;
    }
  }

  /** The claim protocol: read the record, and act on what it says; a lost race reads again. */
  private async once(ref: RequestRef, checked: Checked): Promise<Outcome> {
    for (let race = 0; race < MAX_RACES; race++) {
      const existing = await readJsonObject<ClaimRecord>(
        this.deps.transport,
        this.cfg.requestBucket,
        claimObject(ref.key),
      );
      const decision = decide(existing?.value, this.now(), this.cfg.leaseMs);
      switch (decision.kind) {
        case 'done':
          return {
            kind: 'duplicate',
            retry: false,
            key: ref.key,
            ...(decision.record.execution ? { execution: decision.record.execution } : {}),
            why: `already ${decision.record.state}`,
          };
        case 'busy':
          return {
            kind: 'retry',
            retry: true,
            key: ref.key,
            why: `another delivery is starting it (claimed ${Math.round((this.now() - decision.record.claimedAt) / 1000)} s ago)`,
          };
        case 'take-over': {
          const found = checked.ok ? await this.labelled(ref) : undefined;
          if (found) {
            const recorded = await this.write(ref, { state: 'started', execution: found }, existing!.object.generation);
            if (recorded)
              return {
                kind: 'duplicate',
                retry: false,
                key: ref.key,
                execution: found,
                why: 'already started (found by its label)',
              };
            continue;
          }
          const generation = await this.write(ref, { state: 'claimed' }, existing!.object.generation);
          if (generation) return this.act(ref, checked, generation);
          continue;
        }
        case 'claim': {
          const generation = await this.write(ref, { state: 'claimed' }, '0');
          if (generation) return this.act(ref, checked, generation);
          continue;
        }
      }
    }
    return { kind: 'retry', retry: true, key: ref.key, why: `lost the claim race ${MAX_RACES} times` };
  }

  /** Holding the claim at `generation`: answer a bad request, or start the run; then record it. */
  private async act(ref: RequestRef, checked: Checked, generation: string): Promise<Outcome> {
    if (!checked.ok) return this.reject(ref, checked.problems, generation);
    let execution: string;
    try {
      execution = await this.start(ref, checked.request);
    } catch (err) {
      if (!isTransient(err) && !isTimeout(err))
        return this.reject(ref, [`the workflow could not be started: ${errorMessage(err)}`], generation);
      await this.write(ref, { state: 'released', why: errorMessage(err) }, generation);
      return {
        kind: 'retry',
        retry: true,
        key: ref.key,
        why: `the workflow could not be started: ${errorMessage(err)}`,
      };
    }
    const recorded = await this.write(ref, { state: 'started', execution }, generation);
    if (!recorded)
      this.log.error(
        { pipelineRequest: { ...ref, execution } },
        'pipelineRequests: the claim was taken over while starting; the execution is labelled with the request, so the new holder finds it',
      );
    return { kind: 'started', retry: false, key: ref.key, execution, why: 'started' };
  }

  private async reject(ref: RequestRef, problems: string[], generation: string): Promise<Outcome> {
    const reply: Rejection = {
      status: 'rejected',
      ...(ref.requestId === undefined ? {} : { requestId: ref.requestId }),
      messageId: ref.messageId,
      problems,
    };
    await publishJson(this.deps.transport, this.cfg.project, this.cfg.replyTopic, reply, {
      status: 'rejected',
      ...(ref.requestId ? { requestId: ref.requestId } : {}),
    });
    await this.write(ref, { state: 'rejected' }, generation);
    return { kind: 'rejected', retry: false, key: ref.key, reply, why: problems.join('; ') };
  }

  private start(ref: RequestRef, request: PipelineRequest): Promise<string> {
    const { requestId: _id, ...argument } = request;
    const target = {
      project: this.cfg.project,
      location: this.cfg.region,
      emulatorHost: this.cfg.emulatorHost,
      metadataHost: this.cfg.metadataHost,
    };
    const timeoutMs = Math.max(1_000, Math.floor(this.cfg.leaseMs / 4));
    return withTimeout(
      startExecution(target, this.cfg.workflow, { ...argument, netreflexRequest: ref }, { [REQUEST_LABEL]: ref.key }),
      timeoutMs,
    );
  }

  private async labelled(ref: RequestRef): Promise<string | undefined> {
    const found = await executionsLabelled(
      {
        project: this.cfg.project,
        location: this.cfg.region,
        emulatorHost: this.cfg.emulatorHost,
        metadataHost: this.cfg.metadataHost,
      },
      this.cfg.workflow,
      REQUEST_LABEL,
      ref.key,
    );
    return found[0];
  }

  /** Writes the record under `ifGenerationMatch`; answers the new generation, or undefined when someone wrote first (412). */
  private async write(
    ref: RequestRef,
    change: Pick<ClaimRecord, 'state'> & Partial<ClaimRecord>,
    ifGenerationMatch: string,
  ): Promise<string | undefined> {
    const record: ClaimRecord = {
      key: ref.key,
      claimedAt: this.now(),
      messageId: ref.messageId,
      ...(ref.requestId === undefined ? {} : { requestId: ref.requestId }),
      ...change,
    };
    try {
      return (
        await writeJsonObject(this.deps.transport, this.cfg.requestBucket, claimObject(ref.key), record, {
          ifGenerationMatch,
        })
      ).generation;
    } catch (err) {
      if (err instanceof ApiError && err.code === 412) return undefined;
      throw err;
    }
  }

  /** One log line per delivery, with the fields the monitoring's log-based metrics count. */
  private report(ref: RequestRef, outcome: Outcome): void {
    const fields = {
      pipelineRequest: {
        ...ref,
        outcome: outcome.kind,
        ...('execution' in outcome && outcome.execution ? { execution: outcome.execution } : {}),
      },
    };
    const who = ref.requestId ?? ref.messageId;
    switch (outcome.kind) {
      case 'started':
        return this.log.info(fields, `pipelineRequests: started ${outcome.execution} for ${who}`);
      case 'duplicate':
        return this.log.info(fields, `pipelineRequests: ${who} ${outcome.why}; nothing started`);
      case 'rejected':
        return this.log.warn(fields, `pipelineRequests: rejected ${who}: ${outcome.why}`);
      case 'retry':
        return this.log.warn(
          fields,
          `pipelineRequests: ${who} not settled (${outcome.why}); it will be delivered again`,
        );
      case 'ignored':
        return;
    }
  }
}

type Checked = { ok: true; request: PipelineRequest } | { ok: false; problems: string[] };

/** Every problem of a request, each naming its field, so the team fixes them in one go. */
export function validate(json: unknown, text: string): Checked {
  if (json === undefined)
    return {
      ok: false,
      problems: [`the message data must be a JSON object, got ${JSON.stringify(text.slice(0, 80))}`],
    };
  const result = pipelineRequest.safeParse(json);
  if (result.success) return { ok: true, request: result.data };
  return { ok: false, problems: result.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`) };
}

function requestIdOf(json: unknown): string | undefined {
  const id = z.object({ requestId: z.string().min(1).max(128) }).safeParse(json);
  return id.success ? id.data.requestId : undefined;
}

class StartTimeout extends Error {}
const isTimeout = (err: unknown) => err instanceof StartTimeout;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StartTimeout(`no answer from Workflows within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
