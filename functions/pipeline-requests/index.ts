/**
 * pipelineRequests: a team publishes "run this pipeline" to the request topic; this function
 * validates the message, starts the vertex-pipeline-run workflow with it, and publishes the
 * execution name to the reply topic — or a rejection naming every problem, so a bad request is
 * answered instead of silently dropped. Redeliveries of the same message start nothing new.
 */
import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { loadPipelineRequestsConfig } from '../../shared/config/pipeline-requests.js';
import { PipelineRequestsService } from './service.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

const service = lazyService('pipelineRequests', (env) => {
  const cfg = loadPipelineRequestsConfig(env);
  return new PipelineRequestsService(cfg, createLogger(cfg.logLevel));
});

/** Throws only on a transient failure (workflow start or reply publish), so Eventarc redelivers. */
export async function pipelineRequests(event: CloudEvent<unknown>): Promise<void> {
  const outcome = await service().handle(event);
  if (outcome.retry) throw new Error(`pipelineRequests: transient failure, retry: ${outcome.why}`);
}

cloudEvent('pipelineRequests', pipelineRequests);
