/**
 * pipelineRequests: a team publishes "run this pipeline" to the request topic; this function
 * validates the message and starts the vertex-pipeline-run workflow with it exactly once per
 * request, however often it is delivered and to however many instances (a claim object in the
 * request bucket); the workflow answers on the reply topic when the run ends. A bad request is
 * answered here, with every problem, instead of silently dropped.
 */
import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { loadPipelineRequestsConfig } from '../../shared/config/pipeline-requests.js';
import { functionTransport } from '../../shared/gcp/transport.js';
import { PipelineRequestsService } from './service.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

const service = lazyService('pipelineRequests', (env) => {
  const cfg = loadPipelineRequestsConfig(env);
  const log = createLogger(cfg.logLevel);
  return new PipelineRequestsService(cfg, log, { transport: functionTransport(cfg, log, 'pipelineRequests') });
});

/** Throws when the request is not settled yet (a transient failure, or another delivery mid-start), so Eventarc redelivers. */
export async function pipelineRequests(event: CloudEvent<unknown>): Promise<void> {
  const outcome = await service().handle(event);
  if (outcome.retry) throw new Error(`pipelineRequests: not settled, deliver again: ${outcome.why}`);
}

cloudEvent('pipelineRequests', pipelineRequests);
