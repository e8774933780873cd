/**
 * What else will use this network's PSA ranges while the run being prepared runs: the demand the
 * capacity must hold besides the request (pure; the jobs come from Vertex AI's list calls, the
 * reservations from the network's lease object).
 *
 * | seen                                                   | counted as                                      |
 * |--------------------------------------------------------|-------------------------------------------------|
 * | PipelineJob labelled by netreflex (run, jobs, nodes)   | its declared jobs × nodes — exact               |
 * | other PipelineJob                                      | its CustomJobs running now (their worker pools), |
 * |                                                        | at least one job of ≤ 8 nodes — an estimate     |
 * | CustomJob of no pipeline                               | one job of its worker pools' nodes — exact      |
 * | reservation of a prepared run whose job is not visible | its jobs × nodes — exact, until it expires      |
 *
 * Each also says which ranges its jobs may take blocks in (`ranges`: the job's `reservedIpRanges`,
 * a reservation's answered ranges; absent when it may use any range on the connection), because
 * Vertex places a job's nodes in any of its own reserved ranges: the planner leaves those ranges
 * to it (shared/plan/ranges.ts).
 *
 * The workflow labels every PipelineJob it creates with the run id and the declared size
 * (`RUN_LABELS`), so netreflex's own runs are never guessed at, and a reservation stops counting
 * the moment its run's PipelineJob is visible (the job counts instead). A pipeline's CustomJobs are
 * known by `jobDetail.taskDetails[].executorDetail` and by Vertex's reserved label
 * `vertex-ai-pipelines-run-billing-id`; they are never counted twice.
 */
import type { ObservedDemand, RangeRequest } from './ranges-types.js';

/** The labels the workflow puts on the PipelineJobs it creates (label values: `[a-z0-9_-]{0,63}`). */
export const RUN_LABELS = {
  run: 'netreflex-run',
  parallelJobs: 'netreflex-parallel-jobs',
  nodesPerJob: 'netreflex-nodes-per-job',
} as const;
/** Vertex's label on what a pipeline runs (pipeline_job.proto `labels`). */
export const BILLING_LABEL = 'vertex-ai-pipelines-run-billing-id';
/** What an unlabelled pipeline with nothing running yet is taken to need. */
export const UNKNOWN_PIPELINE = { jobs: 1, nodesPerJob: 8 } as const;

export interface DemandPipelineJob {
  name: string;
  labels?: Record<string, string>;
  /** The ranges its jobs may take blocks in (empty or absent: every range on the connection). */
  reservedIpRanges?: readonly string[];
  jobDetail?: {
    taskDetails?: { executorDetail?: { containerDetail?: { mainJob?: string }; customJobDetail?: { job?: string } } }[];
  };
}

export interface DemandCustomJob {
  name: string;
  labels?: Record<string, string>;
  jobSpec?: { reservedIpRanges?: readonly string[]; workerPoolSpecs?: { replicaCount?: string | number }[] };
}

export interface DemandReservation {
  runId: string;
  parallelJobs: number;
  nodesPerJob: number;
  expiresAt: string;
  /** The reservedIpRanges the run was answered (absent in a reservation written before they were kept: any range). */
  reservedIpRanges?: string[];
}

export interface DemandInput {
  /** Active PipelineJobs on this network. */
  pipelineJobs: readonly DemandPipelineJob[];
  /** Active CustomJobs on this network. */
  customJobs: readonly DemandCustomJob[];
  reservations: readonly DemandReservation[];
  /** The run being prepared (its own reservation never counts). */
  runId?: string;
  now: number;
}

/** A job's ranges as a demand's `ranges`: absent when it may use every range. */
const confined = (ranges: readonly string[] | undefined): { ranges?: string[] } =>
  ranges?.length ? { ranges: [...ranges] } : {};
const positive = (v: string | undefined) =>
  v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined;
const idOf = (name: string) => name.split('/').pop() ?? name;

/** Σ replicaCount of the worker pools (a pool without one has one replica). */
export function customJobNodes(job: DemandCustomJob): number {
  return (job.jobSpec?.workerPoolSpecs ?? []).reduce(
    (sum, p) => sum + Math.max(0, Number(p.replicaCount ?? 1) || 0),
    0,
  );
}

export function observedDemand(input: DemandInput): ObservedDemand[] {
  const out: ObservedDemand[] = [];
  const claimed = new Set<string>();
  const startedRuns = new Set<string>();
  for (const p of input.pipelineJobs) {
    const mine = input.customJobs.filter(
      (c) => c.labels?.[BILLING_LABEL] === idOf(p.name) || taskJobs(p).includes(c.name),
    );
    mine.forEach((c) => claimed.add(c.name));
    const jobs = positive(p.labels?.[RUN_LABELS.parallelJobs]);
    const nodes = positive(p.labels?.[RUN_LABELS.nodesPerJob]);
    const run = p.labels?.[RUN_LABELS.run];
    if (run) startedRuns.add(run);
    if (jobs && nodes) {
      if (run !== input.runId || !run)
        out.push({ source: p.name, jobs, nodesPerJob: nodes, estimated: false, ...confined(p.reservedIpRanges) });
      continue;
    }
    const running = mine.map(customJobNodes).filter((n) => n > 0);
    if (running.length)
      running.forEach((n) =>
        out.push({ source: p.name, jobs: 1, nodesPerJob: n, estimated: true, ...confined(p.reservedIpRanges) }),
      );
    else out.push({ source: p.name, ...UNKNOWN_PIPELINE, estimated: true, ...confined(p.reservedIpRanges) });
  }
  for (const c of input.customJobs) {
    if (claimed.has(c.name) || c.labels?.[BILLING_LABEL]) continue;
    const nodes = customJobNodes(c);
    if (nodes > 0)
      out.push({
        source: c.name,
        jobs: 1,
        nodesPerJob: nodes,
        estimated: false,
        // Stryker disable next-line OptionalChaining: a custom job without a jobSpec has no nodes (customJobNodes), so it never gets here
        ...confined(c.jobSpec?.reservedIpRanges),
      });
  }
  for (const r of input.reservations) {
    if (r.runId === input.runId || startedRuns.has(r.runId) || Date.parse(r.expiresAt) <= input.now) continue;
    out.push({
      source: `reservation ${r.runId}`,
      jobs: r.parallelJobs,
      nodesPerJob: r.nodesPerJob,
      estimated: false,
      ...confined(r.reservedIpRanges),
    });
  }
  return out;
}

function taskJobs(p: DemandPipelineJob): string[] {
  return (p.jobDetail?.taskDetails ?? []).flatMap((d) =>
    [d.executorDetail?.containerDetail?.mainJob, d.executorDetail?.customJobDetail?.job].filter(
      (n): n is string => !!n,
    ),
  );
}

/** A verified run's reservation: its jobs count until `expiresAt` (epoch ms), in the ranges it was answered. */
export const ownReservation = (
  runId: string,
  request: Pick<RangeRequest, 'parallelJobs' | 'nodesPerJob'>,
  reservedIpRanges: string[],
  expiresAt: number,
): DemandReservation => ({
  runId,
  parallelJobs: request.parallelJobs,
  nodesPerJob: request.nodesPerJob,
  expiresAt: new Date(expiresAt).toISOString(),
  reservedIpRanges,
});

/**
 * The reservations to keep after a preparation: the unexpired ones of runs not started yet, this
 * run's replaced by `own` (a retry of the same run never reserves twice).
 */
export function nextReservations(
  current: readonly DemandReservation[],
  startedRuns: ReadonlySet<string>,
  now: number,
  own?: DemandReservation,
): DemandReservation[] {
  const kept = current.filter(
    (r) => Date.parse(r.expiresAt) > now && !startedRuns.has(r.runId) && r.runId !== own?.runId,
  );
  if (!own) return kept;
  // The same run answered twice (a retry while the first call was in flight) may start on either
  // answer: it stays confined to the ranges of both.
  const earlier = current.find((r) => r.runId === own.runId && Date.parse(r.expiresAt) > now);
  const ranges =
    earlier?.reservedIpRanges && own.reservedIpRanges
      ? [...new Set([...earlier.reservedIpRanges, ...own.reservedIpRanges])]
      : own.reservedIpRanges;
  return [...kept, { ...own, ...(ranges ? { reservedIpRanges: ranges } : {}) }];
}
