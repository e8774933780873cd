/**
 * The local Vertex AI: pipeline jobs and custom jobs (create, get, list, cancel), on the
 * paths the official `@google-cloud/aiplatform` client uses in REST mode (`fallback: true`) and
 * the Workflows connector `googleapis.aiplatform.v1.projects.locations.pipelineJobs.*` calls.
 */
import type { Router } from '../http.js';
import type { Store } from '../store.js';
import type { Settings } from '../settings.js';
import type { Timers } from '../timers.js';
import type { ServiceNetworking } from '../servicenetworking/connections.js';
import { PipelineJobs } from './pipeline-jobs.js';
import { CustomJobs } from './custom-jobs.js';

export class VertexAi {
  readonly pipelineJobs: PipelineJobs;
  readonly customJobs: CustomJobs;

  constructor(store: Store, settings: Settings, sn: ServiceNetworking, timers: Timers) {
    this.customJobs = new CustomJobs(store, settings, sn, timers);
    this.pipelineJobs = new PipelineJobs(store, settings, sn, timers, this.customJobs);
  }
}

/** Vertex AI pipeline jobs and custom jobs: create, list, get, cancel. */
export function registerVertexAi(router: Router, vertex: VertexAi): void {
  const parent = '/v1/projects/{project}/locations/{location}';
  const jobs = vertex.pipelineJobs;
  const loc = (p: Record<string, string>) => jobs.location(p.project!, p.location!);
  router.on('POST', `${parent}/pipelineJobs`, 'aiplatform.pipelineJobs.create', (r) =>
    jobs.view(jobs.create(loc(r.params), r.query.get('pipelineJobId'), r.body), r),
  );
  router.on('GET', `${parent}/pipelineJobs`, 'aiplatform.pipelineJobs.list', (r) => jobs.list(loc(r.params), r));
  router.on('GET', `${parent}/pipelineJobs/{job}`, 'aiplatform.pipelineJobs.get', (r) =>
    jobs.view(jobs.get(loc(r.params), r.params.job!), r),
  );
  router.on('POST', `${parent}/pipelineJobs/{job}:cancel`, 'aiplatform.pipelineJobs.cancel', (r) =>
    jobs.cancel(loc(r.params), r.params.job!),
  );
  const customs = vertex.customJobs;
  router.on('POST', `${parent}/customJobs`, 'aiplatform.customJobs.create', (r) =>
    customs.view(customs.create(loc(r.params), r.body), r),
  );
  router.on('GET', `${parent}/customJobs`, 'aiplatform.customJobs.list', (r) => customs.list(loc(r.params), r));
  router.on('GET', `${parent}/customJobs/{job}`, 'aiplatform.customJobs.get', (r) =>
    customs.view(customs.get(loc(r.params), r.params.job!), r),
  );
  router.on('POST', `${parent}/customJobs/{job}:cancel`, 'aiplatform.customJobs.cancel', (r) =>
    customs.cancel(loc(r.params), r.params.job!),
  );
}
