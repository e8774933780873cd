/** Releasing a prepared run's reservation (shared/plan/ranges-release.ts): what is kept, and the report. */
import { describe, expect, it } from 'vitest';
import { releaseReport, withoutRun } from '../../shared/plan/ranges-release.js';

const REQUEST = { runId: 'wf-1', network: 'vpc-a', region: 'asia-northeast1' };
const reservation = (runId: string) => ({ runId, parallelJobs: 2, nodesPerJob: 8, expiresAt: '2026-12-03T13:00:00Z' });

describe('withoutRun', () => {
  it("every reservation but the run's, all of its entries, the others in their order", () => {
    const held = [reservation('wf-2'), reservation('wf-1'), reservation('wf-3'), reservation('wf-1')];
    expect(withoutRun(held, 'wf-1')).toEqual([reservation('wf-2'), reservation('wf-3')]);
  });

  it('a run that holds none: all are kept', () => {
    expect(withoutRun([reservation('wf-2')], 'wf-1')).toEqual([reservation('wf-2')]);
  });
});

describe('releaseReport', () => {
  it('the run held a reservation: ok, released, one mutation, the runs left reserved', () => {
    const held = [reservation('wf-1'), reservation('wf-2')];
    expect(releaseReport(REQUEST, held, withoutRun(held, 'wf-1'))).toEqual({
      status: 'ok',
      reasons: [],
      warnings: [],
      dryRun: false,
      results: [],
      mutations: 1,
      retry: false,
      request: REQUEST,
      released: true,
      reserved: ['wf-2'],
    });
  });

  it('the run held none: unchanged, nothing released, no mutation', () => {
    const held = [reservation('wf-2')];
    expect(releaseReport(REQUEST, held, held)).toEqual({
      status: 'unchanged',
      reasons: [],
      warnings: [],
      dryRun: false,
      results: [],
      mutations: 0,
      retry: false,
      request: REQUEST,
      released: false,
      reserved: ['wf-2'],
    });
  });

  it('nothing reserved at all: unchanged, no run left', () => {
    expect(releaseReport(REQUEST, [], [])).toMatchObject({ status: 'unchanged', released: false, reserved: [] });
  });
});
