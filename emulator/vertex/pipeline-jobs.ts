/**
 * Vertex AI PipelineJobs on their real REST paths (`/v1/projects/{p}/locations/{l}/pipelineJobs`),
 * with the behaviour a caller that prepares ranges and waits on jobs depends on:
 *
 * - A job moves QUEUED → PENDING → RUNNING → SUCCEEDED, one step every `pipelineStepMs` and
 *   `pipelineRunMs` in RUNNING (emulator settings). `cancel` → CANCELLING → CANCELLED.
 * - **One network per region** (docs/architecture.md §1: "while jobs run on one network, jobs on another
 *   network cannot start"). Decision: a job whose turn to start comes while jobs of the same
 *   project and region hold another network (RUNNING or CANCELLING, or PENDING and created
 *   earlier) FAILS with FAILED_PRECONDITION naming those jobs — the failed run the issue
 *   describes. Jobs without a network (no PSA) never conflict.
 * - `network` must be `projects/{projectNumber}/global/networks/{name}` with a Service Networking
 *   connection, and every `reservedIpRanges` entry must be a VPC_PEERING range of that network
 *   reserved on the connection; otherwise `create` answers 400 saying what to fix (network.ts).
 * - **Its components run as CustomJobs** (pipeline-spec.ts reads which, how many at once and how
 *   many nodes each from the compiled pipeline, `pipelineSpec`). Once RUNNING, each round of tasks is launched as CustomJobs on the job's network and
 *   ranges, every one taking its IP block (ip-blocks.ts, the capacity table of Vertex's private IP
 *   page); a job that finds none fails with FAILED_PRECONDITION "Couldn't find free blocks in
 *   allocated IP ranges", its task fails, tasks depending on it are skipped and the others go on
 *   (the default PIPELINE_FAILURE_POLICY_FAIL_SLOW, pipeline_failure_policy.proto), and the
 *   pipeline ends FAILED with Vertex's own error: code 9, "The DAG failed because some tasks
 *   failed. The failed tasks are: [train]." (the status Vertex hands to exit handlers, captured in
 *   kubeflow/pipelines' runtime test data). `jobDetail.taskDetails[]` names every task's CustomJob
 *   (`executorDetail.containerDetail.mainJob` / `customJobDetail.job`), and the CustomJobs carry the
 *   reserved label `vertex-ai-pipelines-run-billing-id` (pipeline_job.proto `labels`).
 * - Emulator control to make a job fail: set the runtime parameter `emulatorFail` (in
 *   `runtimeConfig.parameterValues`) or the label `emulator-fail` to a message; the job fails with
 *   it once RUNNING. (Not a Vertex feature: the local stand-in for a failing component.)
 * - `templateUri` must be a Template Registry URI, `https://{region}-kfp.pkg.dev/{project}/{repository}/
 *   {package}/{tag or version}`: pipeline_job.proto, `template_uri = 19`: "A template uri from where
 *   the PipelineJob.pipeline_spec, if empty, will be downloaded. Currently, only uri from Vertex
 *   Template Registry & Gallery is supported" (URI form: https://cloud.google.com/vertex-ai/docs/
 *   pipelines/create-pipeline-template). Anything else (a `gs://` compiled pipeline included: the
 *   Vertex SDK reads that client-side and sends it as `pipelineSpec`) is 400 INVALID_ARGUMENT. A
 *   Template Registry URI is 400 too, saying so: the local cloud has no Artifact Registry to
 *   download it from (a local limit, README's local-cloud section); send `pipelineSpec` locally.
 * - While a job holds its network it uses the connection's ranges (its `reservedIpRanges`, else all
 *   of them), so Service Networking refuses to drop those without `force`.
 */
import { randomInt } from 'node:crypto';
import { alreadyExists, badRequest, HttpError, notFound } from '../errors.js';
import type { Request } from '../http.js';
import { collection, type Resource, type Store } from '../store.js';
import type { Settings } from '../settings.js';
import type { Timer, Timers } from '../timers.js';
import { paginate } from '../compute/list.js';
import type { NetworkRef, ServiceNetworking } from '../servicenetworking/connections.js';
import { parseJobFilter } from './filter.js';
import { checkedRanges, type Location } from './network.js';
import { pipelineTasks, rounds, UNREADABLE_PIPELINE, type PipelineTask } from './pipeline-spec.js';
import type { CustomJobs, JobOutcome } from './custom-jobs.js';
import { encodeState, HOLDS_NETWORK, PIPELINE_STATES, TERMINAL, type PipelineState, wantsIntEnums } from './states.js';

export const FAIL_PARAMETER = 'emulatorFail';
export const FAIL_LABEL = 'emulator-fail';

const JOB_ID = /^[a-z0-9][a-z0-9-]{0,127}$/;
const FAILED_PRECONDITION = 9;
const CANCELLED = 1;

export type { Location } from './network.js';

/** A task of a running pipeline (pipeline_job.proto `PipelineTaskDetail`, the fields read here). */
type TaskDetail = Record<string, unknown> & {
  state?: string;
  executorDetail?: { containerDetail?: { mainJob?: string }; customJobDetail?: { job?: string } };
};

/** A PipelineJob as the store keeps it (pipeline_job.proto `PipelineJob`; the fields this module reads). */
export interface PipelineJob extends Resource {
  state: PipelineState;
  createTime: string;
  network?: string;
  reservedIpRanges?: string[];
  runtimeConfig?: { parameterValues?: Record<string, unknown> };
  labels?: Record<string, string>;
  jobDetail?: { taskDetails?: TaskDetail[] };
}

/** The reserved label Vertex sets on what a pipeline job runs (pipeline_job.proto `labels`). */
export const BILLING_LABEL = 'vertex-ai-pipelines-run-billing-id';

export class PipelineJobs {
  /** Each job's next state change, replaced when a cancel comes first. */
  private readonly steps = new Map<string, Timer>();
  /** What each job runs, read at create time. */
  private readonly tasks = new Map<string, PipelineTask[]>();

  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
    private readonly sn: ServiceNetworking,
    private readonly timers: Timers,
    private readonly customJobs: CustomJobs,
  ) {
    sn.addUsageProbe((net, range) => this.usersOf(net, range));
  }

  /** `projects/{id or number}/locations/{l}` → both project forms. */
  location(project: string, location: string): Location {
    const p = this.store.list('projects').find((x) => x.name === project || x.projectNumber === project);
    return { project: p?.name ?? project, projectNumber: String(p?.projectNumber ?? project), location };
  }

  private collection = (loc: Location) =>
    collection<PipelineJob>(`vertex/projects/${loc.projectNumber}/locations/${loc.location}/pipelineJobs`);

  get(loc: Location, id: string): PipelineJob {
    const name = `projects/${loc.projectNumber}/locations/${loc.location}/pipelineJobs/${id}`;
    const job = this.store.get(this.collection(loc), name);
    if (!job) throw notFound(name);
    return job;
  }

  all(loc: Location): PipelineJob[] {
    return this.store.list(this.collection(loc));
  }

  create(loc: Location, id: string | null, body: unknown): PipelineJob {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const jobId = id ?? String(randomInt(1, 2 ** 47));
    if (!JOB_ID.test(jobId)) throw badRequest(`Invalid pipelineJobId '${jobId}': must match [a-z0-9][a-z0-9-]{0,127}.`);
    if (
      this.store.has(
        this.collection(loc),
        `projects/${loc.projectNumber}/locations/${loc.location}/pipelineJobs/${jobId}`,
      )
    ) {
      throw alreadyExists(`projects/${loc.projectNumber}/locations/${loc.location}/pipelineJobs/${jobId}`);
    }
    if (!b.pipelineSpec && !b.templateUri)
      throw badRequest(
        'PipelineJob needs pipeline_spec or template_uri: pass the compiled pipeline (pipelineSpec) or a template URI.',
      );
    if (!b.pipelineSpec) checkedTemplateUri(b.templateUri);
    checkedRanges(this.sn, b, 'pipeline_job');
    const ranges = Array.isArray(b.reservedIpRanges) ? b.reservedIpRanges.map(String) : [];
    const spec = b.pipelineSpec as Record<string, unknown> | undefined;
    const now = this.store.nowIso();
    const job = this.store.insert(this.collection(loc), {
      name: `projects/${loc.projectNumber}/locations/${loc.location}/pipelineJobs/${jobId}`,
      displayName: typeof b.displayName === 'string' ? b.displayName : jobId,
      createTime: now,
      updateTime: now,
      state: 'PIPELINE_STATE_QUEUED',
      ...pick(b, ['runtimeConfig', 'labels', 'serviceAccount', 'templateUri', 'encryptionSpec']),
      ...(spec ? { pipelineSpec: spec } : {}),
      ...(typeof b.network === 'string' && b.network ? { network: b.network } : {}),
      ...(ranges.length ? { reservedIpRanges: ranges } : {}),
    });
    this.tasks.set(job.name, spec ? pipelineTasks(spec, job.runtimeConfig?.parameterValues) : UNREADABLE_PIPELINE);
    this.schedule(job.name, this.settings.pipelineStepMs, () => this.toPending(loc, job.name));
    return job;
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

  private setState(loc: Location, name: string, state: PipelineState, extra: Record<string, unknown> = {}): void {
    this.store.update(this.collection(loc), name, (j) => ({ ...j, state, updateTime: this.store.nowIso(), ...extra }));
  }

  private toPending(loc: Location, name: string): void {
    this.setState(loc, name, 'PIPELINE_STATE_PENDING', { startTime: this.store.nowIso() });
    this.schedule(name, this.settings.pipelineStepMs, () => this.toRunning(loc, name));
  }

  private toRunning(loc: Location, name: string): void {
    const job = this.store.get(this.collection(loc), name)!;
    const blockers = this.blockers(loc, job);
    if (blockers.length) {
      const message = `Vertex AI uses one VPC network per region at a time: ${job.network} cannot be used in ${loc.location} while these jobs use another network: ${blockers.map((b) => `${b.name} (${b.network}, ${b.state})`).join(', ')}. Wait for them or cancel them, then run again.`;
      this.setState(loc, name, 'PIPELINE_STATE_FAILED', {
        endTime: this.store.nowIso(),
        error: { code: FAILED_PRECONDITION, message },
      });
      return;
    }
    this.setState(loc, name, 'PIPELINE_STATE_RUNNING');
    const failure = injectedFailure(job);
    if (failure)
      return this.schedule(name, this.settings.pipelineStepMs, () =>
        this.setState(loc, name, 'PIPELINE_STATE_FAILED', {
          endTime: this.store.nowIso(),
          error: { code: 13, message: failure },
        }),
      );
    const plan = rounds(this.tasks.get(name) ?? []);
    if (!plan.length)
      return this.schedule(name, this.settings.pipelineRunMs, () =>
        this.setState(loc, name, 'PIPELINE_STATE_SUCCEEDED', { endTime: this.store.nowIso() }),
      );
    this.runRound(loc, job, plan, 0, new Set());
  }

  /**
   * Launches round `i` as CustomJobs (tasks after a failed one are skipped), ends them after its
   * share of `pipelineRunMs`, then goes on; after the last round the job SUCCEEDS or FAILS with
   * the failed tasks named.
   */
  private runRound(
    loc: Location,
    job: PipelineJob,
    plan: ReturnType<typeof rounds>,
    i: number,
    failed: Set<string>,
  ): void {
    const current = this.store.get(this.collection(loc), job.name);
    if (current?.state !== 'PIPELINE_STATE_RUNNING') return;
    if (i >= plan.length) {
      const names = (this.tasks.get(job.name) ?? []).filter((t) => failed.has(t.name)).map((t) => t.name);
      if (!names.length)
        return this.setState(loc, job.name, 'PIPELINE_STATE_SUCCEEDED', { endTime: this.store.nowIso() });
      const message = `The DAG failed because some tasks failed. The failed tasks are: [${names.join(', ')}].`;
      return this.setState(loc, job.name, 'PIPELINE_STATE_FAILED', {
        endTime: this.store.nowIso(),
        error: { code: FAILED_PRECONDITION, message },
      });
    }
    const launched: string[] = [];
    for (const { task, count } of plan[i]!) {
      if (task.dependsOn.some((d) => failed.has(d))) {
        this.addTaskDetail(loc, job.name, { taskName: task.name, state: 'SKIPPED' });
        continue;
      }
      for (let n = 0; n < count; n++) launched.push(this.launchTask(loc, job, task, failed));
    }
    this.schedule(job.name, Math.max(1, Math.floor(this.settings.pipelineRunMs / plan.length)), () => {
      for (const name of launched) this.customJobs.succeed(loc, name);
      this.runRound(loc, job, plan, i + 1, failed);
    });
  }

  private launchTask(loc: Location, job: PipelineJob, task: PipelineTask, failed: Set<string>): string {
    const jobSpec = {
      workerPoolSpecs: [
        {
          machineSpec: { machineType: 'e2-standard-4' },
          replicaCount: '1',
          containerSpec: { imageUri: 'gcr.io/ml-pipeline/kfp-launcher' },
        },
      ],
      ...task.jobSpec,
      ...(job.network ? { network: job.network } : {}),
      ...(Array.isArray(job.reservedIpRanges) ? { reservedIpRanges: job.reservedIpRanges } : {}),
    };
    const onEnd = (outcome: JobOutcome) => {
      if (outcome.state === 'JOB_STATE_FAILED') task.scope.forEach((n) => failed.add(n));
      this.updateTaskDetail(loc, job.name, custom.name, outcome);
    };
    const custom = this.customJobs.launch(loc, {
      displayName: `${task.name}-${String(job.name).split('/').pop()}`,
      jobSpec,
      labels: { [BILLING_LABEL]: String(job.name).split('/').pop()! },
      onEnd,
    });
    const executorDetail =
      task.executor === 'customJob'
        ? { customJobDetail: { job: custom.name } }
        : { containerDetail: { mainJob: custom.name } };
    this.addTaskDetail(loc, job.name, { taskName: task.name, state: 'RUNNING', executorDetail });
    return custom.name;
  }

  private addTaskDetail(loc: Location, name: string, detail: TaskDetail): void {
    this.store.update(this.collection(loc), name, (j) => {
      const jobDetail = j.jobDetail ?? {};
      const taskDetails = jobDetail.taskDetails ?? [];
      j.jobDetail = {
        ...jobDetail,
        taskDetails: [
          ...taskDetails,
          {
            taskId: String(randomInt(1, 2 ** 47)),
            createTime: this.store.nowIso(),
            startTime: this.store.nowIso(),
            ...detail,
          },
        ],
      };
    });
  }

  private updateTaskDetail(loc: Location, name: string, customJob: string, outcome: JobOutcome): void {
    if (!this.store.has(this.collection(loc), name)) return;
    this.store.update(this.collection(loc), name, (j) => {
      const details = (j.jobDetail?.taskDetails ?? []).map((d) => {
        const ex = d.executorDetail;
        if (ex?.containerDetail?.mainJob !== customJob && ex?.customJobDetail?.job !== customJob) return d;
        const state = outcome.state.replace('JOB_STATE_', '');
        return {
          ...d,
          state,
          endTime: this.store.nowIso(),
          ...(outcome.state === 'JOB_STATE_FAILED' ? { error: outcome.error } : {}),
        };
      });
      j.jobDetail = { ...j.jobDetail, taskDetails: details };
    });
  }

  /** The CustomJobs a pipeline job has running (cancelled with it). */
  private activeTaskJobs(job: PipelineJob): string[] {
    const details = job.jobDetail?.taskDetails ?? [];
    return details
      .filter((d) => d.state === 'RUNNING')
      .map((d) => d.executorDetail?.containerDetail?.mainJob ?? d.executorDetail?.customJobDetail?.job)
      .filter((n): n is string => !!n);
  }

  /** Jobs of the same region that hold another network (or are about to, having started first). */
  private blockers(loc: Location, job: PipelineJob): PipelineJob[] {
    if (!job.network) return [];
    return this.all(loc).filter(
      (o) =>
        o.name !== job.name &&
        o.network &&
        o.network !== job.network &&
        (HOLDS_NETWORK.includes(o.state) ||
          (o.state === 'PIPELINE_STATE_PENDING' && String(o.createTime) < String(job.createTime))),
    );
  }

  cancel(loc: Location, id: string): Record<string, never> {
    const job = this.get(loc, id);
    if (TERMINAL.includes(job.state)) {
      throw new HttpError(
        400,
        `Cannot cancel pipeline job ${job.name} in state ${String(job.state)}.`,
        'failedPrecondition',
      );
    }
    if (job.state !== 'PIPELINE_STATE_CANCELLING') {
      this.setState(loc, job.name, 'PIPELINE_STATE_CANCELLING');
      for (const custom of this.activeTaskJobs(job)) this.customJobs.cancelByName(loc, custom);
      this.schedule(job.name, this.settings.pipelineStepMs, () =>
        this.setState(loc, job.name, 'PIPELINE_STATE_CANCELLED', {
          endTime: this.store.nowIso(),
          error: { code: CANCELLED, message: 'CANCELED' },
        }),
      );
    }
    return {};
  }

  /** Jobs using `range` of `net` now (for Service Networking's in-use check). */
  private usersOf(net: NetworkRef, range: string): string[] {
    const network = `projects/${net.projectNumber}/global/networks/${net.name}`;
    return this.store
      .collectionsMatching(/^vertex\/projects\/[^/]+\/locations\/[^/]+\/pipelineJobs$/)
      .flatMap((c) => this.store.list(collection<PipelineJob>(c)))
      .filter((j) => j.network === network && [...HOLDS_NETWORK, 'PIPELINE_STATE_PENDING'].includes(j.state))
      .filter((j) => !j.reservedIpRanges || j.reservedIpRanges.includes(range))
      .map((j) => `pipeline job ${j.name}`);
  }

  /** `list`: filter, newest first, `pageSize` (default 100, at most 500 per page here) and `pageToken`. */
  list(loc: Location, r: Request): Record<string, unknown> {
    const size = r.query.get('pageSize') ? Number(r.query.get('pageSize')) : 100;
    if (!Number.isInteger(size) || size < 0 || size > 1000)
      throw badRequest(`Invalid pageSize ${r.query.get('pageSize')}: must be 0 to 1000.`);
    const matches = this.all(loc)
      .filter(parseJobFilter(r.query.get('filter')))
      .sort((a, b) => String(b.createTime).localeCompare(String(a.createTime)) || b.name.localeCompare(a.name));
    const page = paginate(matches, {
      maxResults: String(Math.min(size || 100, 500)),
      pageToken: r.query.get('pageToken'),
    });
    return {
      pipelineJobs: page.items.map((j) => this.view(j, r)),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  view(job: Resource, r: Request): Resource {
    return encodeState(job, PIPELINE_STATES, wantsIntEnums(r.query));
  }
}

function pick(b: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => b[k] !== undefined && b[k] !== null).map((k) => [k, b[k]]));
}

function injectedFailure(job: PipelineJob): string | undefined {
  const fromParam = job.runtimeConfig?.parameterValues?.[FAIL_PARAMETER];
  const fromLabel = job.labels?.[FAIL_LABEL];
  const value = fromParam ?? fromLabel;
  return value === undefined || value === '' ? undefined : String(value);
}

/** Template Registry: `https://{region}-kfp.pkg.dev/{project}/{repository}/{package}/{tag or version}`. */
const TEMPLATE_REGISTRY = /^https:\/\/[a-z0-9-]+-kfp\.pkg\.dev\/[^/]+\/[^/]+\/[^/]+\/[^/]+$/;

/**
 * A PipelineJob without `pipelineSpec` names its template: only a Template Registry URI
 * (pipeline_job.proto, template_uri: "Currently, only uri from Vertex Template Registry & Gallery
 * is supported"). The local cloud has no Artifact Registry, so it cannot download one either.
 */
function checkedTemplateUri(uri: unknown): never {
  const got = JSON.stringify(uri);
  if (typeof uri !== 'string' || !TEMPLATE_REGISTRY.test(uri))
    throw badRequest(
      `pipeline_job.template_uri ${got} is not supported: only a Vertex Template Registry URI ` +
        '(https://REGION-kfp.pkg.dev/PROJECT/REPOSITORY/PACKAGE/TAG_OR_VERSION) is. For a compiled ' +
        'pipeline in Cloud Storage (gs://…), read it and send it as pipeline_spec (as the Vertex AI SDK does).',
    );
  throw badRequest(
    `pipeline_job.template_uri ${got}: the local Google Cloud has no Artifact Registry to download ` +
      'Template Registry templates from (a local limit; Vertex AI on Google does); send the compiled ' +
      'pipeline as pipeline_spec instead.',
  );
}
