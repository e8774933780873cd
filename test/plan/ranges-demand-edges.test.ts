/**
 * The demand table's edges: labels that are not plain positive whole numbers, pipelines the run
 * itself started, CustomJobs with no worker pools or no replicas, task details with parts missing,
 * and reservations expiring at the very moment of the preparation.
 */
import { describe, expect, it } from 'vitest';
import { nextReservations, observedDemand, RUN_LABELS, type DemandInput } from '../../shared/plan/ranges-demand.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const P = 'projects/1/locations/r/pipelineJobs';
const C = 'projects/1/locations/r/customJobs';
/** Vertex AI's own label on what a pipeline runs (pipeline_job.proto), spelled out: it is Google's, not ours. */
const BILLING = 'vertex-ai-pipelines-run-billing-id';
const input = (over: Partial<DemandInput>): DemandInput => ({
  pipelineJobs: [],
  customJobs: [],
  reservations: [],
  now: NOW,
  ...over,
});
const UNKNOWN = (source: string) => ({ source, jobs: 1, nodesPerJob: 8, estimated: true });

describe('observedDemand: the size labels', () => {
  it.each(['0', '1e3', '0x10', '-4', '2_0', ''])(
    'a parallel-jobs label of %j is no size: the pipeline is estimated',
    (value) => {
      const p = {
        name: `${P}/odd`,
        labels: { [RUN_LABELS.run]: 'odd', [RUN_LABELS.parallelJobs]: value, [RUN_LABELS.nodesPerJob]: '8' },
      };
      expect(observedDemand(input({ pipelineJobs: [p] }))).toEqual([UNKNOWN(`${P}/odd`)]);
    },
  );

  it('one size label without the other is no size either', () => {
    const p = { name: `${P}/half`, labels: { [RUN_LABELS.parallelJobs]: '40' } };
    expect(observedDemand(input({ pipelineJobs: [p] }))).toEqual([UNKNOWN(`${P}/half`)]);
  });

  it('both size labels and no run label: counted exactly', () => {
    const p = { name: `${P}/sized`, labels: { [RUN_LABELS.parallelJobs]: '40', [RUN_LABELS.nodesPerJob]: '16' } };
    expect(observedDemand(input({ pipelineJobs: [p] }))).toEqual([
      { source: `${P}/sized`, jobs: 40, nodesPerJob: 16, estimated: false },
    ]);
  });

  it('the run being prepared never counts its own PipelineJob (a retry after the job exists), nor its reservation', () => {
    const own = {
      name: `${P}/me`,
      labels: { [RUN_LABELS.run]: 'me', [RUN_LABELS.parallelJobs]: '40', [RUN_LABELS.nodesPerJob]: '8' },
    };
    const reservations = [
      { runId: 'me', parallelJobs: 40, nodesPerJob: 8, expiresAt: new Date(NOW + 60_000).toISOString() },
    ];
    expect(observedDemand(input({ pipelineJobs: [own], reservations, runId: 'me' }))).toEqual([]);
  });
});

describe('observedDemand: CustomJobs', () => {
  it('a pipeline claims only its own CustomJobs; the others count on their own', () => {
    const p = { name: `${P}/theirs`, labels: {} };
    const customJobs = [
      { name: `${C}/1`, labels: { [BILLING]: 'theirs' }, jobSpec: { workerPoolSpecs: [{ replicaCount: '4' }] } },
      { name: `${C}/2`, jobSpec: { workerPoolSpecs: [{ replicaCount: '2' }] } },
    ];
    expect(observedDemand(input({ pipelineJobs: [p], customJobs }))).toEqual([
      { source: `${P}/theirs`, jobs: 1, nodesPerJob: 4, estimated: true },
      { source: `${C}/2`, jobs: 1, nodesPerJob: 2, estimated: false },
    ]);
  });

  it('a CustomJob with no replicas, no worker pools or no job spec takes no address', () => {
    const customJobs = [
      { name: `${C}/zero`, jobSpec: { workerPoolSpecs: [{ replicaCount: '0' }] } },
      { name: `${C}/nopools`, jobSpec: {} },
      { name: `${C}/nospec` },
    ];
    expect(observedDemand(input({ customJobs }))).toEqual([]);
  });

  it('a pipeline whose only CustomJob has no replicas is estimated like one with nothing running', () => {
    const p = { name: `${P}/starting` };
    const customJobs = [
      { name: `${C}/3`, labels: { [BILLING]: 'starting' }, jobSpec: { workerPoolSpecs: [{ replicaCount: 0 }] } },
    ];
    expect(observedDemand(input({ pipelineJobs: [p], customJobs }))).toEqual([UNKNOWN(`${P}/starting`)]);
  });

  it("task details with parts missing are read for what they have: a container task's main job is the pipeline's", () => {
    const p = {
      name: `${P}/tasks`,
      jobDetail: {
        taskDetails: [
          {},
          { executorDetail: {} },
          { executorDetail: { containerDetail: { mainJob: `${C}/7` } } },
          { executorDetail: { customJobDetail: {} } },
        ],
      },
    };
    const customJobs = [{ name: `${C}/7`, jobSpec: { workerPoolSpecs: [{ replicaCount: '5' }] } }];
    expect(observedDemand(input({ pipelineJobs: [p], customJobs }))).toEqual([
      { source: `${P}/tasks`, jobs: 1, nodesPerJob: 5, estimated: true },
    ]);
    expect(observedDemand(input({ pipelineJobs: [{ name: `${P}/bare`, jobDetail: {} }] }))).toEqual([
      UNKNOWN(`${P}/bare`),
    ]);
  });
});

describe('reservations at the moment they expire', () => {
  const at = (ms: number) => new Date(ms).toISOString();

  it('one expiring exactly now no longer counts; one a millisecond later does, exactly', () => {
    const reservations = [
      { runId: 'now', parallelJobs: 3, nodesPerJob: 8, expiresAt: at(NOW) },
      { runId: 'soon', parallelJobs: 3, nodesPerJob: 16, expiresAt: at(NOW + 1) },
    ];
    expect(observedDemand(input({ reservations }))).toEqual([
      { source: 'reservation soon', jobs: 3, nodesPerJob: 16, estimated: false },
    ]);
  });

  it('nextReservations drops the one expiring now and keeps the rest without an own reservation', () => {
    const current = [
      { runId: 'now', parallelJobs: 1, nodesPerJob: 8, expiresAt: at(NOW) },
      { runId: 'soon', parallelJobs: 1, nodesPerJob: 8, expiresAt: at(NOW + 1) },
    ];
    expect(nextReservations(current, new Set(), NOW).map((r) => r.runId)).toEqual(['soon']);
  });
});
