/**
 * The list `filter` of Vertex AI (AIP-160 subset): comparisons `field = value` / `field != value`
 * (value quoted or bare) joined by AND and OR, AND binding tighter, optional parentheses around a
 * comparison or the whole expression. Fields: `state`, `display_name`, `labels.<key>` — fields
 * both list methods document (pipeline_service.proto ListPipelineJobsRequest.filter,
 * job_service.proto ListCustomJobsRequest.filter); `network` is in neither, so it is refused, as a
 * field Google does not filter on must be. Anything else is a 400 naming what is supported, never
 * an unfiltered answer. A label key is plain AIP-160 text, `-` included (https://google.aip.dev/160).
 */
import { badRequest } from '../errors.js';

type Job = Record<string, unknown>;
type Predicate = (job: Job) => boolean;

const FIELDS: Record<string, (job: Job) => unknown> = {
  state: (j) => j.state,
  display_name: (j) => j.displayName,
  displayName: (j) => j.displayName,
};

function field(name: string): (job: Job) => unknown {
  if (name.startsWith('labels.')) return (j) => (j.labels as Record<string, string> | undefined)?.[name.slice(7)];
  const get = FIELDS[name];
  if (!get)
    throw badRequest(
      `Unsupported filter field '${name}'. The local Vertex AI filters on state, display_name and labels.<key>.`,
    );
  return get;
}

function comparison(text: string): Predicate {
  const m = /^\(?\s*([a-zA-Z_][\w.-]*)\s*(!=|=)\s*(?:"([^"]*)"|([^\s()"]+))\s*\)?$/.exec(text.trim());
  if (!m)
    throw badRequest(`Invalid filter '${text.trim()}': expected field="value" or field!="value", joined by AND / OR.`);
  const get = field(m[1]!);
  const value = m[3] ?? m[4] ?? '';
  return m[2] === '=' ? (j) => String(get(j) ?? '') === value : (j) => String(get(j) ?? '') !== value;
}

export function parseJobFilter(filter: string | null): Predicate {
  const text = (filter ?? '').trim().replace(/^\((.*)\)$/s, '$1');
  if (!text) return () => true;
  const any = text.split(/\s+OR\s+/).map((conj) => conj.split(/\s+AND\s+/).map(comparison));
  return (job) => any.some((all) => all.every((p) => p(job)));
}
