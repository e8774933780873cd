/**
 * Offline checks of terraform-bootstrap/monitoring.tf: each log-based metric's filter matches lines
 * the functions really write (captured by test/monitoring/captured-logs.ts), its labels extract
 * from them, and the label values the alerts filter on occur; every alert is routed, documented
 * and windowed sanely; the four alerts the egress path needs exist; every metric a chart or an
 * alert names is defined here or is one of Google's, with its source.
 */
import {
  type Json,
  type JsonObject,
  type TfModule,
  blocks,
  isObject,
  locals,
  named,
  sub,
} from '../../local/terraform/reader.js';
import { cloudRunEntry, extractLabel, matches, type LogEntry } from '../monitoring/logging-query.js';
import type { CapturedLine } from '../monitoring/captured-logs.js';

export type MonitoringCheck = (m: TfModule, lines: readonly CapturedLine[]) => string[];

/** Google's own metrics the dashboard charts, each with the page that documents it. */
export const GOOGLE_METRICS: Readonly<Record<string, string>> = {
  'router.googleapis.com/nat/port_usage': 'https://cloud.google.com/nat/docs/monitoring',
  'router.googleapis.com/nat/dropped_sent_packets_count': 'https://cloud.google.com/nat/docs/monitoring',
  'compute.googleapis.com/instance/network/sent_bytes_count': 'https://cloud.google.com/monitoring/api/metrics_gcp_c',
  'networksecurity.googleapis.com/https/request_count': 'https://cloud.google.com/armor/docs/monitoring',
  'workflows.googleapis.com/finished_execution_count': 'https://cloud.google.com/workflows/docs/monitor',
};

interface LogMetric {
  key: string;
  filter: string;
  labels: Record<string, string>;
}

const local = (m: TfModule, name: string): Json | undefined => locals(m).get(name)?.value;

function walk(v: Json | undefined, path: string[]): Json | undefined {
  let cur = v;
  for (const k of path) cur = isObject(cur) ? cur[k] : undefined;
  return cur;
}

/**
 * Resolves the interpolations a filter uses — `${var.x}` (its default) and `${local.a.b}` (a
 * literal local) — and refuses any other, so an expression the check cannot see through fails loudly.
 */
export function interpolate(m: TfModule, s: string, depth = 0): string {
  if (depth > 5) throw new Error(`interpolation too deep in ${s}`);
  return s.replace(/\$\{([^}]+)\}/g, (whole, expr: string) => {
    const parts = expr.trim().split('.');
    let value: Json | undefined;
    if (parts[0] === 'var' && parts.length === 2)
      value = named(m, 'variable').find((v) => v.name === parts[1])?.body.default;
    else if (parts[0] === 'local') value = walk(local(m, parts[1]!), parts.slice(2));
    if (typeof value !== 'string')
      throw new Error(`cannot resolve ${whole} offline (only \${var.x} defaults and literal \${local...} strings)`);
    return interpolate(m, value, depth + 1);
  });
}

export function logMetrics(m: TfModule): LogMetric[] {
  const all = local(m, '_log_metrics');
  if (!isObject(all)) return [];
  return Object.entries(all).map(([key, v]) => {
    const spec = isObject(v) ? v : {};
    const labels = isObject(spec.labels)
      ? (Object.fromEntries(Object.entries(spec.labels).map(([k, x]) => [k, String(x)])) as Record<string, string>)
      : {};
    return { key, filter: String(spec.filter ?? ''), labels };
  });
}

/** The Cloud Run service each function is deployed as (`${var.prefix}-${name}`), by entry point. */
export function services(m: TfModule): Record<string, string> {
  const fns = local(m, 'functions');
  if (!isObject(fns)) return {};
  return Object.fromEntries(
    Object.entries(fns).map(([fn, spec]) => [
      fn,
      interpolate(m, `\${var.prefix}-${String((spec as JsonObject).name)}`),
    ]),
  );
}

export function entriesOf(m: TfModule, lines: readonly CapturedLine[]): LogEntry[] {
  const svc = services(m);
  return lines.map((l) => {
    const service = svc[l.target];
    if (!service) throw new Error(`captured a line of ${l.target}, which terraform-bootstrap does not deploy`);
    return cloudRunEntry(service, l.line);
  });
}

/** Every metric's filter matches at least one real line, and every label extracts from one. */
export const metricFiltersMatch: MonitoringCheck = (m, lines) => {
  const entries = entriesOf(m, lines);
  const problems: string[] = [];
  const metrics = logMetrics(m);
  if (!metrics.length) problems.push('monitoring.tf: local._log_metrics defines no log-based metric');
  for (const metric of metrics) {
    let filter: string;
    let hits: LogEntry[];
    try {
      filter = interpolate(m, metric.filter);
      hits = entries.filter((e) => matches(filter, e));
    } catch (err) {
      problems.push(`monitoring.tf: ${metric.key}: filter cannot be read: ${(err as Error).message}`);
      continue;
    }
    if (!hits.length) {
      problems.push(
        `monitoring.tf: ${metric.key}: the filter matches none of the ${entries.length} lines the functions write: ${filter}`,
      );
      continue;
    }
    for (const [label, extractor] of Object.entries(metric.labels)) {
      if (!hits.some((e) => extractLabel(extractor, e)))
        problems.push(`monitoring.tf: ${metric.key}: label ${label} (${extractor}) is empty on every matching line`);
    }
  }
  return problems;
};

/** What an alert or chart names: `logging.googleapis.com/user/...` or Google's metric type. */
function metricTypesIn(filter: string): string[] {
  return [...filter.matchAll(/metric\.type="((?:\$\{[^}]*\}|[^"])+)"/g)].map((x) => x[1]!);
}

/** `${google_logging_metric.netreflex["key"].name}` or `${local._user_metric}/key` → key. */
function userMetricKey(type: string): string | undefined {
  return (
    /google_logging_metric\.netreflex\["([\w-]+)"\]\.name/.exec(type)?.[1] ??
    /^\$\{local\._user_metric\}\/([\w-]+)$/.exec(type)?.[1]
  );
}

interface Condition {
  policy: string;
  name: string;
  kind: 'condition_threshold' | 'condition_absent';
  body: JsonObject;
}

function conditions(m: TfModule): Condition[] {
  return blocks(m, 'resource')
    .filter((b) => b.type === 'google_monitoring_alert_policy')
    .flatMap((b) => {
      const list = Array.isArray(b.body.conditions) ? b.body.conditions : [];
      return list.filter(isObject).flatMap((c) => {
        const kind = isObject(sub(c, 'condition_threshold'))
          ? 'condition_threshold'
          : isObject(sub(c, 'condition_absent'))
            ? 'condition_absent'
            : undefined;
        return kind
          ? [{ policy: b.name, name: String(c.display_name ?? ''), kind, body: sub(c, kind)! } as Condition]
          : [];
      });
    });
}

/** Every metric an alert or a chart names exists: one of ours, or Google's listed with its source. */
export const metricsExist: MonitoringCheck = (m) => {
  const ours = new Set(logMetrics(m).map((x) => x.key));
  const problems: string[] = [];
  const named_ = (where: string, filter: string) => {
    const types = metricTypesIn(filter);
    if (!types.length) problems.push(`monitoring.tf: ${where}: the filter names no metric.type`);
    for (const type of types) {
      const key = userMetricKey(type);
      if (key !== undefined ? !ours.has(key) : !(type in GOOGLE_METRICS))
        problems.push(
          `monitoring.tf: ${where}: metric ${type} is neither a log-based metric of local._log_metrics nor a Google metric listed with its source`,
        );
    }
  };
  for (const c of conditions(m)) named_(`alert ${c.policy} / ${c.name}`, String(c.body.filter ?? ''));
  const tiles = walk(local(m, '_dashboard'), ['mosaicLayout', 'tiles']);
  for (const tile of Array.isArray(tiles) ? tiles : []) {
    const widget = walk(tile, ['widget']);
    const sets = walk(widget, ['xyChart', 'dataSets']);
    for (const set of Array.isArray(sets) ? sets : [])
      named_(
        `chart "${String(walk(widget, ['title']))}"`,
        String(walk(set, ['timeSeriesQuery', 'timeSeriesFilter', 'filter']) ?? ''),
      );
  }
  if (!Array.isArray(tiles) || !tiles.length)
    problems.push('monitoring.tf: the dashboard (local._dashboard) has no tiles');
  return problems;
};

/** A label value an alert filters on (`metric.label.status="failed"`) occurs on a line its metric counts. */
export const alertLabelsOccur: MonitoringCheck = (m, lines) => {
  const entries = entriesOf(m, lines);
  const metrics = new Map(logMetrics(m).map((x) => [x.key, x]));
  const problems: string[] = [];
  for (const c of conditions(m)) {
    const filter = String(c.body.filter ?? '');
    for (const type of metricTypesIn(filter)) {
      const metric = metrics.get(userMetricKey(type) ?? '');
      if (!metric) continue;
      for (const [, label, value] of filter.matchAll(/metric\.label\.([\w-]+)="([^"]*)"/g)) {
        const extractor = metric.labels[label!];
        if (!extractor) {
          problems.push(`monitoring.tf: alert ${c.policy} / ${c.name}: ${metric.key} has no label ${label}`);
          continue;
        }
        const resolved = interpolate(m, metric.filter);
        if (!entries.some((e) => matches(resolved, e) && extractLabel(extractor, e) === value))
          problems.push(
            `monitoring.tf: alert ${c.policy} / ${c.name}: no line ${metric.key} counts has ${label}="${value}": the condition can never fire`,
          );
      }
    }
  }
  return problems;
};

const seconds = (v: Json | undefined) =>
  typeof v === 'string' && /^\d+s$/.test(v) ? Number(v.slice(0, -1)) : undefined;

/** Every alert notifies var.notification_channels, says what to do, and uses windows that make sense. */
export const alertsRoutedAndWindowed: MonitoringCheck = (m) => {
  const problems: string[] = [];
  const policies = blocks(m, 'resource').filter((b) => b.type === 'google_monitoring_alert_policy');
  if (!policies.length) problems.push('monitoring.tf: no alert policy');
  for (const p of policies) {
    if (p.body.notification_channels !== '${var.notification_channels}')
      problems.push(`${p.file}: ${p.name}: notification_channels must be var.notification_channels`);
    const doc = sub(p.body, 'documentation');
    if (!doc || typeof doc.content !== 'string' || doc.content.length < 40)
      problems.push(`${p.file}: ${p.name}: documentation.content must say what the alert means and what to do`);
    if (!sub(p.body, 'alert_strategy')?.auto_close)
      problems.push(`${p.file}: ${p.name}: alert_strategy.auto_close must close incidents that healed`);
  }
  for (const c of conditions(m)) {
    const where = `monitoring.tf: alert ${c.policy} / ${c.name}`;
    const agg = sub(c.body, 'aggregations');
    const period = seconds(agg?.alignment_period);
    if (period === undefined || period < 60 || period > 3600)
      problems.push(
        `${where}: aggregations.alignment_period must be 60s to 3600s, got ${String(agg?.alignment_period)}`,
      );
    if (agg?.per_series_aligner !== 'ALIGN_SUM')
      problems.push(
        `${where}: a log-based counter is a DELTA metric: align with ALIGN_SUM, got ${String(agg?.per_series_aligner)}`,
      );
    if (c.kind === 'condition_threshold') {
      const duration = seconds(c.body.duration);
      if (duration === undefined || duration > 3600)
        problems.push(
          `${where}: duration must be 0s to 3600s (a page that waits longer than an hour is not a page), got ${String(c.body.duration)}`,
        );
      if (c.body.comparison !== 'COMPARISON_GT' || c.body.threshold_value !== 0)
        problems.push(`${where}: count occurrences: comparison COMPARISON_GT and threshold_value 0`);
    }
  }
  return problems;
};

/** The tick interval in minutes of the default schedule, as monitoring.tf derives it ("*\/N * * * *"). */
export function defaultTickMinutes(m: TfModule): number | undefined {
  const schedule = named(m, 'variable').find((v) => v.name === 'safety_net_schedule')?.body.default;
  const match = typeof schedule === 'string' ? /^\*\/(\d+) \* \* \* \*$/.exec(schedule) : null;
  return match ? Number(match[1]) : undefined;
}

/** The four alerts the egress path needs, on the right metrics, the tick one over 3 intervals. */
export const requiredAlerts: MonitoringCheck = (m) => {
  const problems: string[] = [];
  const on = (kind: Condition['kind'], key: string) =>
    conditions(m).filter(
      (c) => c.kind === kind && metricTypesIn(String(c.body.filter ?? '')).some((t) => userMetricKey(t) === key),
    );
  const need: [string, Condition['kind'], string][] = [
    ['routes degraded', 'condition_threshold', 'nat_routes_degraded'],
    ['allowlist refused', 'condition_threshold', 'allowlist_refusals'],
    ['allowlist expiry stalled', 'condition_threshold', 'allowlist_expiry_stalled'],
    ['preparation failing', 'condition_threshold', 'preparation_failures'],
    ['no successful tick', 'condition_absent', 'safety_net_syncs'],
  ];
  for (const [what, kind, key] of need)
    if (!on(kind, key).length) problems.push(`monitoring.tf: no ${kind} on ${key} (${what})`);
  const minutes = defaultTickMinutes(m);
  const tickMinutes = local(m, '_tick_minutes');
  if (typeof tickMinutes !== 'string' || !tickMinutes.includes('var.safety_net_schedule'))
    problems.push('monitoring.tf: local._tick_minutes must be derived from var.safety_net_schedule');
  for (const c of on('condition_absent', 'safety_net_syncs')) {
    if (c.body.duration !== '${3 * local._tick_minutes * 60}s')
      problems.push(
        `monitoring.tf: alert ${c.policy}: the tick alert must wait exactly 3 intervals ("\${3 * local._tick_minutes * 60}s"; ${minutes ? 3 * minutes * 60 : '?'}s with the default schedule), got ${String(c.body.duration)}`,
      );
  }
  return problems;
};

/**
 * A metric-absence condition must survive a redeploy. A log-based metric on cloud_run_revision has
 * one time series per revision (revision_name is a resource label), so an unreduced absence
 * condition pages on every deploy when the old revision's series goes quiet
 * (https://cloud.google.com/monitoring/alerts/metric-absence). It must reduce across series
 * (cross_series_reducer other than REDUCE_NONE) and group by the function — the service name, as a
 * resource label or a metric label extracted from it — never by the revision.
 */
export const absenceSurvivesRedeploy: MonitoringCheck = (m) => {
  const metrics = new Map(logMetrics(m).map((x) => [x.key, x]));
  const problems: string[] = [];
  const perService = new Set(['resource.label.service_name', 'resource.labels.service_name']);
  const perRevision = /^resource\.labels?\.(revision_name|instance_id)$/;
  for (const c of conditions(m).filter((x) => x.kind === 'condition_absent')) {
    const where = `monitoring.tf: alert ${c.policy} / ${c.name}`;
    const agg = sub(c.body, 'aggregations');
    const reducer = agg?.cross_series_reducer;
    if (typeof reducer !== 'string' || reducer === 'REDUCE_NONE')
      problems.push(
        `${where}: a metric-absence condition needs aggregations.cross_series_reducer (REDUCE_SUM): each Cloud Run revision is its own time series, so a redeploy leaves the old one absent and pages; got ${String(reducer)}`,
      );
    const fields = Array.isArray(agg?.group_by_fields) ? agg.group_by_fields.map(String) : [];
    const metric = metrics.get(
      metricTypesIn(String(c.body.filter ?? ''))
        .map(userMetricKey)
        .find(Boolean) ?? '',
    );
    const namesService = (f: string) => {
      if (perService.has(f)) return true;
      const label = /^metric\.labels?\.([\w-]+)$/.exec(f)?.[1];
      return !!label && metric?.labels[label] === 'EXTRACT(resource.labels.service_name)';
    };
    for (const f of fields.filter((x) => perRevision.test(x)))
      problems.push(`${where}: group_by_fields has ${f}, which changes on every deploy: group by the service instead`);
    if (!fields.some(namesService))
      problems.push(
        `${where}: aggregations.group_by_fields must name the function (resource.label.service_name, or a metric label extracted from it), so one function that stops ticking still pages; got [${fields.join(', ')}]`,
      );
  }
  return problems;
};

export const MONITORING_CHECKS: Record<string, MonitoringCheck> = {
  absenceSurvivesRedeploy,
  metricFiltersMatch,
  metricsExist,
  alertLabelsOccur,
  alertsRoutedAndWindowed,
  requiredAlerts,
};
