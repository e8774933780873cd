/** The one line a natRoutes reconcile logs (shared/plan/route-describe.ts): its changes, events, reasons and warnings. */
import { describe, expect, it } from 'vitest';
import { describeReport } from '../../shared/plan/route-describe.js';
import { failedReport, type ChangeResult, type RouteReport } from '../../shared/plan/route-report.js';

const result = (over: Partial<ChangeResult>): ChangeResult => ({
  change: 'insert',
  name: 'r',
  ok: true,
  ms: 1,
  ...over,
});
const report = (over: Partial<RouteReport> = {}): RouteReport => ({
  ...failedReport({ mode: 'instance', dryRun: false }, new Error('x')),
  status: 'ok',
  reasons: [],
  retry: false,
  ...over,
});

describe('describeReport', () => {
  it('a quiet reconcile of one event', () => {
    expect(describeReport(report(), 1)).toBe('ok: +0 -0 routes (0 mutations, 1 passes, 1 event)');
  });

  it('counts only the inserts and deletes that changed something, and the hold markers apart', () => {
    const results = [
      result({ name: 'a' }),
      result({ name: 'b' }),
      result({ name: 'c', noop: true }),
      result({ name: 'd', ok: false, error: 'e' }),
      result({ change: 'delete', name: 'e' }),
      result({ change: 'hold-insert', name: 'f' }),
      result({ change: 'hold-delete', name: 'g' }),
      result({ change: 'hold-delete', name: 'h', noop: true }),
    ];
    expect(describeReport(report({ results, mutations: 5, passes: 2 }), 3)).toBe(
      'ok: +2 -1 routes (5 mutations, 2 hold markers, 2 passes, 3 events)',
    );
  });

  it('one hold marker alone is named; no event is plural', () => {
    expect(describeReport(report({ results: [result({ change: 'hold-delete' })], mutations: 1 }), 0)).toBe(
      'ok: +0 -0 routes (1 mutations, 1 hold markers, 1 passes, 0 events)',
    );
  });

  it('every reason, then every warning', () => {
    const r = report({ status: 'degraded', reasons: ['r1', 'r2'], warnings: ['w1'] });
    expect(describeReport(r, 2)).toBe('degraded: +0 -0 routes (0 mutations, 1 passes, 2 events); r1; r2; w1');
    expect(describeReport(report({ warnings: ['w1', 'w2'] }), 1)).toBe(
      'ok: +0 -0 routes (0 mutations, 1 passes, 1 event); w1; w2',
    );
  });
});
