/**
 * terraform-bootstrap/monitoring.tf, checked offline against the log lines the functions really
 * write: the local stack runs every function under the Functions Framework through a fixed script
 * of outcomes (test/monitoring/captured-logs.ts) and each check runs on the real tree (no problems)
 * and on a copy with one planted mistake (the problem is reported).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type JsonObject,
  type TfModule,
  cloneModule,
  file,
  isObject,
  loadModule,
} from '../../local/terraform/reader.js';
import { TF_DIR } from './policy.js';
import { MONITORING_CHECKS, type MonitoringCheck, entriesOf, interpolate, logMetrics } from './monitoring-checks.js';
import { captureFunctionLogs, type CapturedLine } from '../monitoring/captured-logs.js';
import { matches } from '../monitoring/logging-query.js';

let tf: TfModule;
let lines: CapturedLine[];

beforeAll(async () => {
  [tf, lines] = await Promise.all([loadModule(TF_DIR), captureFunctionLogs()]);
}, 120_000);

const monitoringLocals = (m: TfModule): JsonObject =>
  (file(m, 'monitoring.tf').json.locals as JsonObject[]).find((l) => '_log_metrics' in l)!;
const metric = (m: TfModule, key: string) => (monitoringLocals(m)._log_metrics as JsonObject)[key] as JsonObject;
const policy = (m: TfModule, name: string): JsonObject => {
  const r = file(m, 'monitoring.tf').json.resource as JsonObject;
  return ((r.google_monitoring_alert_policy as JsonObject)[name] as JsonObject[])[0]!;
};
const condition = (m: TfModule, name: string, i = 0): JsonObject => {
  const c = (policy(m, name).conditions as JsonObject[])[i]!;
  return ((c.condition_threshold ?? c.condition_absent) as JsonObject[])[0]!;
};

function planted(check: MonitoringCheck, plant: (m: TfModule) => void, captured: CapturedLine[] = lines): string[] {
  const m = cloneModule(tf);
  plant(m);
  return check(m, captured);
}

describe('monitoring.tf on the real tree', () => {
  for (const [name, check] of Object.entries(MONITORING_CHECKS)) {
    it(`${name}: no problems`, () => {
      expect(check(tf, lines)).toEqual([]);
    });
  }

  it('captured every outcome the alerts are about, from the functions themselves', () => {
    const entries = entriesOf(tf, lines);
    const count = (key: string) => {
      const f = interpolate(tf, logMetrics(tf).find((x) => x.key === key)!.filter);
      return entries.filter((e) => matches(f, e)).length;
    };
    for (const key of [
      'nat_routes_degraded',
      'allowlist_refusals',
      'allowlist_expiry_stalled',
      'safety_net_syncs',
      'preparation_failures',
      'pipeline_requests',
    ])
      expect(count(key), key).toBeGreaterThan(0);
  });

  it('a transient retry that then succeeds is not a failed preparation, and an ignored event is no reconcile', () => {
    const entries = entriesOf(tf, lines);
    const failures = interpolate(tf, logMetrics(tf).find((x) => x.key === 'preparation_failures')!.filter);
    const retries = entries.filter((e) => (e.jsonPayload as { attempt?: number }).attempt !== undefined);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.filter((e) => matches(failures, e))).toEqual([]);
  });
});

describe('each monitoring check catches a planted mistake', () => {
  it('metricFiltersMatch: a filter on a field the code does not write', () => {
    const problems = planted(MONITORING_CHECKS.metricFiltersMatch!, (m) => {
      const f = metric(m, 'nat_routes_degraded');
      f.filter = String(f.filter).replace('jsonPayload.status', 'jsonPayload.state');
    });
    expect(problems).toEqual([expect.stringMatching(/nat_routes_degraded: the filter matches none of the \d+ lines/)]);
  });

  it('metricFiltersMatch: a filter on the wrong function', () => {
    const problems = planted(MONITORING_CHECKS.metricFiltersMatch!, (m) => {
      const f = metric(m, 'allowlist_refusals');
      f.filter = String(f.filter).replace('local.functions.armorAllowlist.name', 'local.functions.natRoutes.name');
    });
    expect(problems).toEqual([expect.stringMatching(/allowlist_refusals: the filter matches none/)]);
  });

  it('metricFiltersMatch: a label extracted from a field that is never there', () => {
    const problems = planted(MONITORING_CHECKS.metricFiltersMatch!, (m) => {
      (metric(m, 'allowlist_refusals').labels as JsonObject).kind = 'EXTRACT(jsonPayload.refusal.reason)';
    });
    expect(problems).toEqual([
      expect.stringMatching(/allowlist_refusals: label kind .* is empty on every matching line/),
    ]);
  });

  it('metricFiltersMatch: the lines no longer carry the field (the code changed, the filter did not)', () => {
    const renamed = lines.map((l) => ({
      ...l,
      line: Object.fromEntries(Object.entries(l.line).map(([k, v]) => [k === 'pipelineRequest' ? 'request' : k, v])),
    }));
    expect(planted(MONITORING_CHECKS.metricFiltersMatch!, () => undefined, renamed)).toEqual([
      expect.stringMatching(/pipeline_requests: the filter matches none/),
    ]);
  });

  it('metricsExist: a chart of a metric nobody defines', () => {
    const problems = planted(MONITORING_CHECKS.metricsExist!, (m) => {
      const tiles = (
        (file(m, 'monitoring.tf').json.locals as JsonObject[]).find((l) => '_dashboard' in l)!._dashboard as JsonObject
      ).mosaicLayout as JsonObject;
      const first = (tiles.tiles as JsonObject[])[0]!;
      const set = (((first.widget as JsonObject).xyChart as JsonObject).dataSets as JsonObject[])[0]!;
      ((set.timeSeriesQuery as JsonObject).timeSeriesFilter as JsonObject).filter =
        'metric.type="${local._user_metric}/nat_routes_reconcile" AND resource.type="cloud_run_revision"';
    });
    expect(problems).toEqual([
      expect.stringMatching(/chart "natRoutes reconciles by outcome": metric .*nat_routes_reconcile is neither/),
    ]);
  });

  it('metricsExist: an alert on a Google metric nobody checked', () => {
    const problems = planted(MONITORING_CHECKS.metricsExist!, (m) => {
      condition(m, 'preparation_failing').filter =
        'metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision"';
    });
    expect(problems).toEqual([
      expect.stringMatching(/preparation_failing .* run\.googleapis\.com\/request_count is neither/),
    ]);
  });

  it('alertLabelsOccur: an alert on a label value no line ever has', () => {
    const problems = planted(MONITORING_CHECKS.alertLabelsOccur!, (m) => {
      const c = condition(m, 'routes_degraded', 1);
      c.filter = String(c.filter).replace('metric.label.status="failed"', 'metric.label.status="error"');
    });
    expect(problems).toEqual([
      expect.stringMatching(/routes_degraded .* status="error": the condition can never fire/),
    ]);
  });

  it('alertsRoutedAndWindowed: an alert nobody is notified of', () => {
    expect(
      planted(
        MONITORING_CHECKS.alertsRoutedAndWindowed!,
        (m) => void (policy(m, 'allowlist').notification_channels = []),
      ),
    ).toEqual([expect.stringMatching(/allowlist: notification_channels must be var.notification_channels/)]);
  });

  it('alertsRoutedAndWindowed: a 10-second window, and a page that waits a day', () => {
    const problems = planted(MONITORING_CHECKS.alertsRoutedAndWindowed!, (m) => {
      (condition(m, 'preparation_failing').aggregations as JsonObject[])[0]!.alignment_period = '10s';
      condition(m, 'routes_degraded', 1).duration = '86400s';
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/preparation_failing .*alignment_period must be 60s to 3600s, got 10s/),
        expect.stringMatching(/routes_degraded .* duration must be 0s to 3600s/),
      ]),
    );
    expect(problems).toHaveLength(2);
  });

  it('alertsRoutedAndWindowed: an alert without its runbook', () => {
    expect(
      planted(
        MONITORING_CHECKS.alertsRoutedAndWindowed!,
        (m) => void (policy(m, 'tick_missing').documentation = [{ content: 'tick' }]),
      ),
    ).toEqual([expect.stringMatching(/tick_missing: documentation.content/)]);
  });

  it('requiredAlerts: the tick alert waiting 2 intervals instead of 3', () => {
    expect(
      planted(
        MONITORING_CHECKS.requiredAlerts!,
        (m) => void (condition(m, 'tick_missing').duration = '${2 * local._tick_minutes * 60}s'),
      ),
    ).toEqual([expect.stringMatching(/the tick alert must wait exactly 3 intervals .*900s with the default schedule/)]);
  });

  it('absenceSurvivesRedeploy: the tick alert per revision (no cross-series reducer) pages on every deploy', () => {
    const problems = planted(MONITORING_CHECKS.absenceSurvivesRedeploy!, (m) => {
      const agg = (condition(m, 'tick_missing').aggregations as JsonObject[])[0]!;
      delete agg.cross_series_reducer;
      delete agg.group_by_fields;
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /tick_missing .* needs aggregations\.cross_series_reducer .*a redeploy leaves the old one absent/,
      ),
      expect.stringMatching(/tick_missing .*group_by_fields must name the function .*got \[\]/),
    ]);
  });

  it('absenceSurvivesRedeploy: grouped by revision, or summed into one series for both functions', () => {
    const byRevision = planted(MONITORING_CHECKS.absenceSurvivesRedeploy!, (m) => {
      (condition(m, 'tick_missing').aggregations as JsonObject[])[0]!.group_by_fields = [
        'resource.label.service_name',
        'resource.label.revision_name',
      ];
    });
    expect(byRevision).toEqual([expect.stringMatching(/group_by_fields has resource\.label\.revision_name/)]);
    const oneSeries = planted(MONITORING_CHECKS.absenceSurvivesRedeploy!, (m) => {
      (condition(m, 'tick_missing').aggregations as JsonObject[])[0]!.group_by_fields = ['resource.label.location'];
    });
    expect(oneSeries).toEqual([expect.stringMatching(/must name the function/)]);
  });

  it('absenceSurvivesRedeploy: grouping by the metric label extracted from the service name is as good', () => {
    expect(
      planted(MONITORING_CHECKS.absenceSurvivesRedeploy!, (m) => {
        (condition(m, 'tick_missing').aggregations as JsonObject[])[0]!.group_by_fields = ['metric.label.service'];
      }),
    ).toEqual([]);
  });

  it('requiredAlerts: no alert on degraded routes', () => {
    const problems = planted(MONITORING_CHECKS.requiredAlerts!, (m) => {
      const r = file(m, 'monitoring.tf').json.resource as JsonObject;
      delete (r.google_monitoring_alert_policy as JsonObject).routes_degraded;
    });
    expect(problems).toEqual([
      expect.stringMatching(/no condition_threshold on nat_routes_degraded \(routes degraded\)/),
    ]);
  });

  it('interpolate refuses what it cannot resolve offline', () => {
    expect(() => interpolate(tf, '${google_project.this.number}')).toThrow(/cannot resolve/);
    expect(isObject(monitoringLocals(tf)._log_metrics)).toBe(true);
  });
});
