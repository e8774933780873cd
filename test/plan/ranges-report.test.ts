/**
 * peeringRanges' report (shared/plan/ranges-report.ts): as the plan leaves it, a runner's step as
 * the report shows it, a failed step's kind and words, and a read-back that still misses.
 */
import { describe, expect, it } from 'vitest';
import {
  degradedRangeReport,
  failedRangeReport,
  rangeReport,
  rangeResult,
  type RangeChangeResult,
  type RangeReport,
} from '../../shared/plan/ranges-report.js';
import type { RangeChange, RangePlan } from '../../shared/plan/ranges-types.js';
import type { PreflightReport } from '../../shared/plan/ranges-preflight.js';
import { request } from './fixtures.js';

const CREATE: RangeChange = {
  kind: 'createAddress',
  name: 'netreflex-psa-vpc-a-10-99-0-0-16',
  cidr: '10.99.0.0/16',
  address: '10.99.0.0',
  prefixLength: 16,
  network: 'vpc-a',
};
const EXPORT: RangeChange = { kind: 'enablePeeringExport', peering: 'servicenetworking-googleapis-com' };
const CREATE_TEXT =
  'create global address netreflex-psa-vpc-a-10-99-0-0-16 10.99.0.0/16 (purpose VPC_PEERING) on network vpc-a';
const EXPORT_TEXT = 'enable exportCustomRoutes on peering servicenetworking-googleapis-com';

const CAPACITY: RangePlan['capacity'] = {
  nodesPerJobTier: 8,
  required: 2,
  requested: 2,
  others: 0,
  estimated: false,
  demand: [],
  leftToOthers: [],
  before: 1,
  after: 65,
};
const PLAN: RangePlan = {
  reservedIpRanges: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16'],
  ranges: [
    { name: 'vertex-psa-range', cidr: '10.98.0.0/21', jobs: 1, isNew: false },
    { name: 'netreflex-psa-vpc-a-10-99-0-0-16', cidr: '10.99.0.0/16', jobs: 64, isNew: true },
  ],
  allocate: [{ name: 'netreflex-psa-vpc-a-10-99-0-0-16', cidr: '10.99.0.0/16' }],
  capacity: CAPACITY,
  changes: [CREATE, EXPORT],
  warnings: [{ code: 'nat-ports', message: 'few ports' }],
};
const PREFLIGHT: PreflightReport = { region: 'asia-northeast1', active: 0, otherNetwork: [] };
const OBS = { consumerNetwork: 'projects/123/global/networks/vpc-a', preflight: PREFLIGHT };
const REQUEST = request({ parallelJobs: 2 });

describe('rangeReport: the report as the plan leaves it', () => {
  it('ok, nothing applied, every fact of the plan and each step planned with its description', () => {
    expect(rangeReport(REQUEST, OBS, PLAN, false)).toEqual({
      status: 'ok',
      reasons: [],
      results: [],
      mutations: 0,
      retry: false,
      dryRun: false,
      request: REQUEST,
      reservedIpRanges: ['vertex-psa-range', 'netreflex-psa-vpc-a-10-99-0-0-16'],
      network: 'projects/123/global/networks/vpc-a',
      allocated: PLAN.allocate,
      ranges: PLAN.ranges,
      capacity: CAPACITY,
      warnings: PLAN.warnings,
      preflight: PREFLIGHT,
      changes: [
        { kind: 'createAddress', description: CREATE_TEXT, planned: true },
        { kind: 'enablePeeringExport', description: EXPORT_TEXT, planned: true },
      ],
    });
  });

  it('a dry run says so; no verified or missing key before a read-back', () => {
    const report = rangeReport(REQUEST, OBS, PLAN, true);
    expect(report.dryRun).toBe(true);
    expect(Object.keys(report)).not.toContain('verified');
    expect(Object.keys(report)).not.toContain('missing');
  });
});

describe('rangeResult: a runner step as the report shows it', () => {
  it('the change kind and its description, the outcome kept; id, step kind, detail and reason dropped', () => {
    expect(
      rangeResult({
        id: '0 createAddress',
        kind: 'step-kind',
        detail: CREATE,
        reason: 'nameTaken',
        ok: false,
        error: 'HTTP 409',
        transient: false,
        failure: 'refused',
        ms: 12,
      }),
    ).toEqual({
      kind: 'createAddress',
      description: CREATE_TEXT,
      ok: false,
      error: 'HTTP 409',
      transient: false,
      failure: 'refused',
      ms: 12,
    });
  });

  it('a no-op keeps its noop flag', () => {
    expect(
      rangeResult({ id: '1 enablePeeringExport', kind: 'x', detail: EXPORT, ok: true, noop: true, ms: 0 }),
    ).toEqual({ kind: 'enablePeeringExport', description: EXPORT_TEXT, ok: true, noop: true, ms: 0 });
  });
});

const applied = (): RangeReport => rangeReport(REQUEST, OBS, PLAN, false);
const step = (over: Partial<RangeChangeResult>): RangeChangeResult => ({
  kind: 'createAddress',
  description: CREATE_TEXT,
  ok: false,
  ms: 1,
  ...over,
});

describe('failedRangeReport: a step failed', () => {
  it('transient: retry, the kind transient, and the reason says a retry finishes it', () => {
    const report = failedRangeReport(applied(), [step({ error: 'HTTP 503', transient: true, failure: 'transient' })]);
    const reason = `${CREATE_TEXT} failed: HTTP 503; retry (a retry finishes what is missing)`;
    expect(report).toEqual({
      ...applied(),
      status: 'failed',
      reservedIpRanges: [],
      retry: true,
      reasons: [reason],
      error: { kind: 'transient', transient: true, message: reason },
    });
  });

  it('one transient among several failures makes the whole report transient, whatever the others are', () => {
    const report = failedRangeReport(applied(), [
      step({ error: 'HTTP 403', failure: 'refused' }),
      step({ kind: 'enablePeeringExport', description: EXPORT_TEXT, error: 'HTTP 503', transient: true }),
    ]);
    expect(report.retry).toBe(true);
    expect(report.error).toEqual({
      kind: 'transient',
      transient: true,
      message:
        `${CREATE_TEXT} failed: HTTP 403; retry (a retry finishes what is missing); ` +
        `${EXPORT_TEXT} failed: HTTP 503; retry (a retry finishes what is missing)`,
    });
    expect(report.reasons).toHaveLength(2);
  });

  it('refused for good: no retry, a person must act, what was applied is kept', () => {
    const report = failedRangeReport(applied(), [
      step({ error: 'HTTP 403 compute.globalAddresses.create', failure: 'refused' }),
    ]);
    const reason =
      `${CREATE_TEXT} failed: HTTP 403 compute.globalAddresses.create; Google refused it for good: grant the permission it ` +
      'names or resolve the conflict, then call again (what was applied is kept, the call finishes the rest)';
    expect(report.status).toBe('failed');
    expect(report.retry).toBe(false);
    expect(report.reasons).toEqual([reason]);
    expect(report.error).toEqual({ kind: 'refused', transient: false, message: reason });
  });

  it('the first failure that has a kind decides it (one without a kind is passed over)', () => {
    const report = failedRangeReport(applied(), [step({ error: 'x' }), step({ error: 'y', failure: 'refused' })]);
    expect(report.error?.kind).toBe('refused');
  });

  it('no kind at all: a bug in netreflex (internal)', () => {
    const report = failedRangeReport(applied(), [step({ error: 'TypeError: boom' })]);
    const reason = `${CREATE_TEXT} failed: TypeError: boom; a bug in netreflex: report it with this answer`;
    expect(report.error).toEqual({ kind: 'internal', transient: false, message: reason });
    expect(report.reasons).toEqual([reason]);
    expect(report.retry).toBe(false);
  });

  it('an internal failure kind is a bug too, not a refusal', () => {
    const report = failedRangeReport(applied(), [step({ error: 'z', failure: 'internal' })]);
    expect(report.reasons).toEqual([`${CREATE_TEXT} failed: z; a bug in netreflex: report it with this answer`]);
  });

  it('the facts of the plan stay; only the ranges to run on are withdrawn', () => {
    const report = failedRangeReport(applied(), [step({ error: 'x', transient: true })]);
    expect(report.changes).toEqual(applied().changes);
    expect(report.capacity).toEqual(CAPACITY);
    expect(report.reservedIpRanges).toEqual([]);
  });
});

describe('degradedRangeReport: the read-back still misses something', () => {
  it('degraded, unverified, the missing steps named in the one reason, no ranges, retry', () => {
    const missing = [EXPORT_TEXT, CREATE_TEXT];
    expect(degradedRangeReport(applied(), missing)).toEqual({
      ...applied(),
      status: 'degraded',
      verified: false,
      missing,
      reservedIpRanges: [],
      retry: true,
      reasons: [`the read-back still misses, after its repairs: ${EXPORT_TEXT}; ${CREATE_TEXT}; retry`],
    });
  });
});
