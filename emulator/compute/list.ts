/**
 * Compute list semantics: `maxResults` (1–500, default 500) with an opaque `pageToken`, and the
 * `filter` expressions common clients send (`name = "x"`, `name eq x.*`, joined by
 * AND). An unsupported filter is a 400 rather than silently unfiltered results.
 */
import { badRequest } from '../errors.js';
import type { Resource } from '../store.js';

export interface ListQuery {
  maxResults?: string | null;
  pageToken?: string | null;
  filter?: string | null;
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export function paginate<T>(all: T[], query: ListQuery): Page<T> {
  const max = query.maxResults ? Number(query.maxResults) : 500;
  if (!Number.isInteger(max) || max < 0 || max > 500) {
    throw badRequest(`Invalid value for field 'maxResults': '${query.maxResults}'. Must be less than or equal to 500`);
  }
  const start = query.pageToken ? decodeToken(query.pageToken) : 0;
  const size = max === 0 ? 500 : max;
  const items = all.slice(start, start + size);
  const next = start + size < all.length ? encodeToken(start + size) : undefined;
  return next ? { items, nextPageToken: next } : { items };
}

const encodeToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');

function decodeToken(token: string): number {
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!m) throw badRequest(`Invalid value for field 'pageToken': '${token}'.`);
  return Number(m[1]);
}

type Predicate = (r: Resource) => boolean;

/** Parses `a = "x" AND b != y` / `a eq regex` forms into a predicate. */
export function parseFilter(filter: string | null | undefined): Predicate {
  if (!filter || !filter.trim()) return () => true;
  const clauses = filter.split(/\s+AND\s+/i).map((c) => c.trim().replace(/^\((.*)\)$/, '$1'));
  const preds = clauses.map(parseClause);
  return (r) => preds.every((p) => p(r));
}

function parseClause(clause: string): Predicate {
  const m = /^([a-zA-Z.]+)\s*(=|!=|eq|ne)\s*(?:"([^"]*)"|(\S+))$/.exec(clause);
  if (!m)
    throw badRequest(
      `Invalid value for field 'filter': '${clause}'. The local emulator supports 'field = "value"', 'field != value', 'field eq regex' and 'field ne regex' joined by AND.`,
    );
  const [, field, op, quoted, bare] = m;
  const value = quoted ?? bare ?? '';
  const get = (r: Resource) =>
    field!
      .split('.')
      .reduce<unknown>((o, k) => (o === undefined || o === null ? undefined : Reflect.get(Object(o), k)), r);
  const asText = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  switch (op) {
    case '=':
      return (r) => asText(get(r)) === value;
    case '!=':
      return (r) => asText(get(r)) !== value;
    case 'eq':
      return (r) => new RegExp(`^(?:${value})$`).test(asText(get(r)));
    default:
      return (r) => !new RegExp(`^(?:${value})$`).test(asText(get(r)));
  }
}

/**
 * A Compute `*List` response body. Most list messages carry `selfLink`; some do not
 * (compute.proto `SecurityPolicyList`: id, items, kind, nextPageToken, warning), so say `selfLink: false`.
 */
export function listResponse(
  kind: string,
  collection: string,
  all: Resource[],
  query: URLSearchParams,
  options: { selfLink?: boolean } = {},
) {
  const filtered = all.filter(parseFilter(query.get('filter')));
  const page = paginate(filtered, { maxResults: query.get('maxResults'), pageToken: query.get('pageToken') });
  const selfLink =
    options.selfLink === false ? {} : { selfLink: `https://www.googleapis.com/compute/v1/${collection}` };
  return {
    kind,
    id: collection,
    items: page.items,
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    ...selfLink,
  };
}

/**
 * An aggregated list (`instances.aggregatedList`, compute.proto `InstanceAggregatedList`): the
 * resources of every scope of the project, filtered and paged as one list, then grouped by scope
 * under `items` (`"zones/asia-northeast1-a": {instances: […]}`). Google also answers every empty
 * scope of the world with a `NO_RESULTS_ON_PAGE` warning in place of its list; the local cloud
 * knows only the scopes that hold resources and lists those.
 */
export function aggregatedListResponse(
  kind: string,
  field: string,
  project: string,
  scoped: readonly { scope: string; items: readonly Resource[] }[],
  query: URLSearchParams,
) {
  const keep = parseFilter(query.get('filter'));
  const all = scoped.flatMap(({ scope, items }) => items.filter(keep).map((item) => ({ scope, item })));
  const page = paginate(all, { maxResults: query.get('maxResults'), pageToken: query.get('pageToken') });
  const items: Record<string, Record<string, Resource[]>> = {};
  for (const { scope, item } of page.items) (items[scope] ??= { [field]: [] })[field]!.push(item);
  const path = `projects/${project}/aggregated/${field}`;
  return {
    kind,
    id: path,
    items,
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    selfLink: `https://www.googleapis.com/compute/v1/${path}`,
  };
}
