/** What else shares the network's ranges: the demand table of shared/plan/ranges-demand.ts, scenario by scenario. */
import { describe, expect, it } from 'vitest';
import {
  BILLING_LABEL,
  nextReservations,
  observedDemand,
  ownReservation,
  RUN_LABELS,
  type DemandInput,
} from '../../shared/plan/ranges-demand.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const later = (min: number) => new Date(NOW + min * 60_000).toISOString();
const P = 'projects/1/locations/r/pipelineJobs';
const C = 'projects/1/locations/r/customJobs';
const input = (over: Partial<DemandInput>): DemandInput => ({
  pipelineJobs: [],
  customJobs: [],
  reservations: [],
  now: NOW,
  ...over,
});
const labelled = (id: string, jobs: number, nodes: number) => ({
  name: `${P}/${id}`,
  labels: { [RUN_LABELS.run]: id, [RUN_LABELS.parallelJobs]: String(jobs), [RUN_LABELS.nodesPerJob]: String(nodes) },
});
const pool = (replicaCount: number) => ({ workerPoolSpecs: [{ replicaCount: String(replicaCount) }] });

describe('observedDemand', () => {
  it('nothing on the network → nothing', () => {
    expect(observedDemand(input({}))).toEqual([]);
  });

  it('a netreflex run counts its declared size exactly, and its own CustomJobs are not counted again', () => {
    const d = observedDemand(
      input({
        pipelineJobs: [labelled('run-a', 40, 8)],
        customJobs: [{ name: `${C}/1`, labels: { [BILLING_LABEL]: 'run-a' }, jobSpec: pool(8) }],
      }),
    );
    expect(d).toEqual([{ source: `${P}/run-a`, jobs: 40, nodesPerJob: 8, estimated: false }]);
  });

  it("another team's pipeline is estimated from its running CustomJobs (task details or billing label), at least one job", () => {
    const p = {
      name: `${P}/theirs`,
      jobDetail: { taskDetails: [{ executorDetail: { customJobDetail: { job: `${C}/7` } } }] },
    };
    expect(
      observedDemand(
        input({
          pipelineJobs: [p],
          customJobs: [
            { name: `${C}/7`, jobSpec: pool(12) },
            { name: `${C}/8`, labels: { [BILLING_LABEL]: 'theirs' }, jobSpec: pool(3) },
          ],
        }),
      ),
    ).toEqual([
      { source: `${P}/theirs`, jobs: 1, nodesPerJob: 12, estimated: true },
      { source: `${P}/theirs`, jobs: 1, nodesPerJob: 3, estimated: true },
    ]);
    expect(observedDemand(input({ pipelineJobs: [{ name: `${P}/queued` }] }))).toEqual([
      { source: `${P}/queued`, jobs: 1, nodesPerJob: 8, estimated: true },
    ]);
  });

  it('a CustomJob of no pipeline counts its worker pools exactly', () => {
    expect(
      observedDemand(
        input({
          customJobs: [
            { name: `${C}/9`, jobSpec: { workerPoolSpecs: [{ replicaCount: 1 }, { replicaCount: '6' }, {}] } },
          ],
        }),
      ),
    ).toEqual([{ source: `${C}/9`, jobs: 1, nodesPerJob: 8, estimated: false }]);
  });

  it("a reservation counts until it expires or its run's job shows up; this run's own never counts", () => {
    const reservations = [
      { runId: 'prepared', parallelJobs: 10, nodesPerJob: 8, expiresAt: later(10) },
      { runId: 'expired', parallelJobs: 10, nodesPerJob: 8, expiresAt: later(-1) },
      { runId: 'run-a', parallelJobs: 40, nodesPerJob: 8, expiresAt: later(10) },
      { runId: 'me', parallelJobs: 5, nodesPerJob: 8, expiresAt: later(10) },
    ];
    const d = observedDemand(input({ reservations, runId: 'me', pipelineJobs: [labelled('run-a', 40, 8)] }));
    expect(d.map((x) => x.source)).toEqual([`${P}/run-a`, 'reservation prepared']);
  });
});

describe('the ranges each demand is confined to', () => {
  it("a job's reservedIpRanges and a reservation's answered ranges say where its nodes can go; without them, anywhere", () => {
    const run = { ...labelled('run-a', 4, 8), reservedIpRanges: ['r-17'] };
    const custom = { name: `${C}/5`, jobSpec: { ...pool(8), reservedIpRanges: ['r-21', 'r-18'] } };
    const reservations = [
      { runId: 'prepared', parallelJobs: 2, nodesPerJob: 8, expiresAt: later(10), reservedIpRanges: ['r-16'] },
      { runId: 'older', parallelJobs: 2, nodesPerJob: 8, expiresAt: later(10) },
    ];
    const d = observedDemand(
      input({ pipelineJobs: [run, { name: `${P}/theirs`, reservedIpRanges: [] }], customJobs: [custom], reservations }),
    );
    expect(d.map((x) => [x.source, x.ranges])).toEqual([
      [`${P}/run-a`, ['r-17']],
      [`${P}/theirs`, undefined],
      [`${C}/5`, ['r-21', 'r-18']],
      ['reservation prepared', ['r-16']],
      ['reservation older', undefined],
    ]);
  });

  it('the same run answered twice stays confined to the ranges of both answers', () => {
    const current = [{ runId: 'me', parallelJobs: 2, nodesPerJob: 8, expiresAt: later(5), reservedIpRanges: ['r-17'] }];
    const own = { runId: 'me', parallelJobs: 2, nodesPerJob: 8, expiresAt: later(30), reservedIpRanges: ['r-16'] };
    expect(nextReservations(current, new Set(), NOW, own)).toEqual([{ ...own, reservedIpRanges: ['r-17', 'r-16'] }]);
    expect(nextReservations([], new Set(), NOW, own)).toEqual([own]);
  });
});

describe('nextReservations', () => {
  it("drops expired and started runs, replaces this run's own", () => {
    const current = [
      { runId: 'a', parallelJobs: 1, nodesPerJob: 8, expiresAt: later(5) },
      { runId: 'b', parallelJobs: 1, nodesPerJob: 8, expiresAt: later(-5) },
      { runId: 'c', parallelJobs: 1, nodesPerJob: 8, expiresAt: later(5) },
      { runId: 'me', parallelJobs: 1, nodesPerJob: 8, expiresAt: later(5) },
    ];
    const own = { runId: 'me', parallelJobs: 9, nodesPerJob: 8, expiresAt: later(30) };
    expect(nextReservations(current, new Set(['c']), NOW, own).map((r) => [r.runId, r.parallelJobs])).toEqual([
      ['a', 1],
      ['me', 9],
    ]);
  });
});

describe('nextReservations: the ranges of the same run answered twice', () => {
  const own = { runId: 'me', parallelJobs: 2, nodesPerJob: 8, expiresAt: later(30), reservedIpRanges: ['r-16'] };

  it("another run's ranges are never merged into this run's", () => {
    const other = { runId: 'other', parallelJobs: 2, nodesPerJob: 8, expiresAt: later(5), reservedIpRanges: ['r-17'] };
    expect(nextReservations([other], new Set(), NOW, own)).toEqual([other, own]);
  });

  it("this run's earlier answer that has expired (expiring now included) is not merged", () => {
    const expired = { runId: 'me', parallelJobs: 2, nodesPerJob: 8, expiresAt: later(0), reservedIpRanges: ['r-17'] };
    expect(nextReservations([expired], new Set(), NOW, own)).toEqual([own]);
  });
});

describe("ownReservation: a verified run's reservation", () => {
  it('its jobs and node count, its expiry as an ISO time, and the ranges it was answered (the same list)', () => {
    const ranges = ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16'];
    const own = ownReservation('wf-exec-1', { parallelJobs: 4, nodesPerJob: 16 }, ranges, NOW + 3_600_000);
    expect(own).toEqual({
      runId: 'wf-exec-1',
      parallelJobs: 4,
      nodesPerJob: 16,
      expiresAt: '2026-12-01T13:00:00.000Z',
      reservedIpRanges: ranges,
    });
    expect(own.reservedIpRanges).toBe(ranges);
  });
});
