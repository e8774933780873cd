/**
 * Vertex AI CustomJobs: the training jobs every pipeline component runs as
 * (`PipelineTaskExecutorDetail.ContainerDetail.main_job` / `CustomJobDetail.job` in
 * pipeline_job.proto), and jobs users create themselves (`customJobs.create`). Each one's nodes —
 * Σ `workerPoolSpecs[].replicaCount` — take an IP block in the network's reserved ranges
 * (ip-blocks.ts) from creation to end; a job that finds none FAILS with Service Networking's
 * "Couldn't find free blocks in allocated IP ranges" (FAILED_PRECONDITION), the way a run with too
 * small ranges fails.
 *
 * A job moves JOB_STATE_QUEUED → PENDING → RUNNING (one `pipelineStepMs` each) and SUCCEEDS when its
 * owner ends it (a pipeline task's round) or, created directly, after `pipelineRunMs`. `cancel` →
 * CANCELLING → CANCELLED. `list` filters (`state`, `display_name`, `network`, `labels.<key>`) and
 * pages like the real API, answering enums as the caller asked; tests can also seed jobs with `add`.
 */
import { randomInt } from 'node:crypto';
import type { Request } from '../http.js';
import { collection, type Resource, type Store } from '../store.js';
import { paginate } from '../compute/list.js';
import { badRequest, HttpError, notFound } from '../errors.js';
import type { Settings } from '../settings.js';
import type { Timer, Timers } from '../timers.js';
import type { ServiceNetworking } from '../servicenetworking/connections.js';
import { parseJobFilter } from './filter.js';
import { encodeState, JOB_STATES, wantsIntEnums } from './states.js';
import { IP_EXHAUSTED_CODE, IP_EXHAUSTED_MESSAGE, IpBlocks } from './ip-blocks.js';
import { nodesOf } from './pipeline-spec.js';
import { checkedRanges, type Location } from './network.js';

export interface CustomJobSeed {
  displayName: string;
  state: (typeof JOB_STATES)[number];
  /** `projects/{projectNumber}/global/networks/{name}` (kept in `jobSpec.network`, as the API does). */
  network?: string;
  labels?: Record<string, string>;
}

type JobState = (typeof JOB_STATES)[number];

/** A CustomJob as the store keeps it (custom_job.proto `CustomJob`; the fields this module reads). */
export interface CustomJob extends Resource {
  state: JobState;
  jobSpec: Record<string, unknown>;
  labels?: Record<string, string>;
}
const ACTIVE: readonly JobState[] = [
  'JOB_STATE_QUEUED',
  'JOB_STATE_PENDING',
  'JOB_STATE_RUNNING',
  'JOB_STATE_CANCELLING',
];
const CANCELLED = 1;

/** How a job ended, for the pipeline task that owns it. */
export type JobOutcome =
  | { state: 'JOB_STATE_SUCCEEDED' | 'JOB_STATE_CANCELLED' }
  | { state: 'JOB_STATE_FAILED'; error: { code: number; message: string } };

export interface LaunchRequest {
  displayName: string;
  jobSpec: Record<string, unknown>;
  labels?: Record<string, string>;
  /** Called once, when the job is FAILED, CANCELLED or SUCCEEDED. */
  onEnd?: (outcome: JobOutcome) => void;
  /** End by itself after `pipelineRunMs` (a job created directly); else the owner calls `succeed`. */
  selfTimed?: boolean;
}

export class CustomJobs {
  readonly blocks = new IpBlocks();
  private readonly steps = new Map<string, Timer>();
  private readonly ends = new Map<string, (outcome: JobOutcome) => void>();

  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
    private readonly sn: ServiceNetworking,
    private readonly timers: Timers,
  ) {
    sn.addUsageProbe((net, range) =>
      this.blocks
        .usersOf(`projects/${net.projectNumber}/global/networks/${net.name}`, range)
        .map((j) => `custom job ${j}`),
    );
  }

  private collection = (loc: Location) =>
    collection<CustomJob>(`vertex/projects/${loc.projectNumber}/locations/${loc.location}/customJobs`);
  private nameOf = (loc: Location, id: string) =>
    `projects/${loc.projectNumber}/locations/${loc.location}/customJobs/${id}`;

  add(loc: Location, seed: CustomJobSeed): CustomJob {
    return this.store.insert(this.collection(loc), {
      name: this.nameOf(loc, String(randomInt(1, 2 ** 47))),
      displayName: seed.displayName,
      state: seed.state,
      createTime: this.store.nowIso(),
      updateTime: this.store.nowIso(),
      jobSpec: { workerPoolSpecs: [], ...(seed.network ? { network: seed.network } : {}) },
      ...(seed.labels ? { labels: seed.labels } : {}),
    });
  }

  get(loc: Location, id: string): CustomJob {
    const job = this.store.get(this.collection(loc), this.nameOf(loc, id));
    if (!job) throw notFound(this.nameOf(loc, id));
    return job;
  }

  /** `customJobs.create`: worker pools are required (custom_job.proto `worker_pool_specs` REQUIRED). */
  create(loc: Location, body: unknown): CustomJob {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const jobSpec = (b.jobSpec && typeof b.jobSpec === 'object' ? b.jobSpec : {}) as Record<string, unknown>;
    if (typeof b.displayName !== 'string' || !b.displayName)
      throw badRequest('CustomJob.display_name is required.', 'required');
    if (!Array.isArray(jobSpec.workerPoolSpecs) || jobSpec.workerPoolSpecs.length === 0)
      throw badRequest('CustomJob.job_spec.worker_pool_specs is required: give at least one worker pool.', 'required');
    checkedRanges(this.sn, jobSpec, 'custom_job.job_spec');
    return this.launch(loc, {
      displayName: b.displayName,
      jobSpec,
      labels: b.labels as Record<string, string> | undefined,
      selfTimed: true,
    });
  }

  /** Creates a job QUEUED, reserving its nodes' block; it fails after one step when there is none. */
  launch(loc: Location, req: LaunchRequest): CustomJob {
    let ranges: ReturnType<typeof checkedRanges>;
    let refused: string | undefined;
    try {
      ranges = checkedRanges(this.sn, req.jobSpec, 'custom_job.job_spec');
    } catch (err) {
      refused = err instanceof HttpError ? err.message : String(err);
    }
    const name = this.nameOf(loc, String(randomInt(1, 2 ** 47)));
    const job = this.store.insert(this.collection(loc), {
      name,
      displayName: req.displayName,
      jobSpec: req.jobSpec,
      state: 'JOB_STATE_QUEUED',
      createTime: this.store.nowIso(),
      updateTime: this.store.nowIso(),
      ...(req.labels ? { labels: req.labels } : {}),
    });
    if (req.onEnd) this.ends.set(name, req.onEnd);
    const nodes = nodesOf(req.jobSpec);
    const placed =
      refused === undefined &&
      (ranges === undefined ||
        nodes === 0 ||
        this.blocks.allocate(name, String(req.jobSpec.network), nodes, ranges.addresses));
    if (!placed) {
      const message = refused ?? `${IP_EXHAUSTED_MESSAGE} (${nodes} node(s) in ${ranges!.names.join(', ')})`;
      this.schedule(name, this.settings.pipelineStepMs, () =>
        this.end(loc, name, { state: 'JOB_STATE_FAILED', error: { code: IP_EXHAUSTED_CODE, message } }),
      );
      return job;
    }
    this.schedule(name, this.settings.pipelineStepMs, () => {
      this.setState(loc, name, 'JOB_STATE_PENDING', { startTime: this.store.nowIso() });
      this.schedule(name, this.settings.pipelineStepMs, () => {
        this.setState(loc, name, 'JOB_STATE_RUNNING');
        if (req.selfTimed)
          this.schedule(name, this.settings.pipelineRunMs, () => this.end(loc, name, { state: 'JOB_STATE_SUCCEEDED' }));
      });
    });
    return job;
  }

  /** The owner ends a job that did its work (a pipeline round is over). */
  succeed(loc: Location, name: string): void {
    const job = this.store.get(this.collection(loc), name);
    if (job && ACTIVE.includes(job.state)) this.end(loc, name, { state: 'JOB_STATE_SUCCEEDED' });
  }

  cancel(loc: Location, id: string): Record<string, never> {
    const job = this.get(loc, id);
    if (!ACTIVE.includes(job.state))
      throw new HttpError(
        400,
        `Cannot cancel custom job ${job.name} in state ${String(job.state)}.`,
        'failedPrecondition',
      );
    this.cancelByName(loc, job.name);
    return {};
  }

  cancelByName(loc: Location, name: string): void {
    const job = this.store.get(this.collection(loc), name);
    if (!job || !ACTIVE.includes(job.state) || job.state === 'JOB_STATE_CANCELLING') return;
    this.setState(loc, name, 'JOB_STATE_CANCELLING');
    this.schedule(name, this.settings.pipelineStepMs, () => this.end(loc, name, { state: 'JOB_STATE_CANCELLED' }));
  }

  private end(loc: Location, name: string, outcome: JobOutcome): void {
    this.timers.cancel(this.steps.get(name));
    this.steps.delete(name);
    this.blocks.release(name);
    const extra =
      outcome.state === 'JOB_STATE_FAILED'
        ? { error: outcome.error }
        : outcome.state === 'JOB_STATE_CANCELLED'
          ? { error: { code: CANCELLED, message: 'CANCELED' } }
          : {};
    this.setState(loc, name, outcome.state, { endTime: this.store.nowIso(), ...extra });
    const onEnd = this.ends.get(name);
    this.ends.delete(name);
    onEnd?.(outcome);
  }

  private setState(loc: Location, name: string, state: JobState, extra: Record<string, unknown> = {}): void {
    this.store.update(this.collection(loc), name, (j) => ({ ...j, state, updateTime: this.store.nowIso(), ...extra }));
  }

  private schedule(name: string, ms: number, step: () => void): void {
    this.timers.cancel(this.steps.get(name));
    this.steps.set(
      name,
      this.timers.after(ms, () => {
        this.steps.delete(name);
        step();
      }),
    );
  }

  list(loc: Location, r: Request): Record<string, unknown> {
    const size = r.query.get('pageSize') ? Number(r.query.get('pageSize')) : 100;
    if (!Number.isInteger(size) || size < 0) throw badRequest(`Invalid pageSize ${r.query.get('pageSize')}.`);
    const filter = parseJobFilter(r.query.get('filter'));
    const matches = this.store
      .list(this.collection(loc))
      .filter((j) => filter({ ...j, network: typeof j.jobSpec.network === 'string' ? j.jobSpec.network : undefined }));
    const page = paginate(matches, {
      maxResults: String(Math.min(size || 100, 500)),
      pageToken: r.query.get('pageToken'),
    });
    return {
      customJobs: page.items.map((j) => this.view(j, r)),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  view(job: Resource, r: Request): Resource {
    return encodeState(job, JOB_STATES, wantsIntEnums(r.query));
  }
}
