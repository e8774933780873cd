/**
 * Vertex AI CustomJobs, list only: what netreflex's preflight reads besides pipeline jobs (a
 * custom job on another network blocks the region just the same). Tests put jobs in with
 * `add`; `list` filters (`state`, `display_name`, `network`, `labels.<key>`) and pages like
 * the real API, answering enums as the caller asked.
 */
import { randomInt } from 'node:crypto';
import type { Request } from '../http.js';
import { nowIso, type Resource, type Store } from '../store.js';
import { paginate } from '../compute/list.js';
import { badRequest } from '../errors.js';
import { parseJobFilter } from './filter.js';
import { encodeState, JOB_STATES, wantsIntEnums } from './states.js';
import type { Location } from './pipeline-jobs.js';

export interface CustomJobSeed {
  displayName: string;
  state: (typeof JOB_STATES)[number];
  /** `projects/{projectNumber}/global/networks/{name}` (kept in `jobSpec.network`, as the API does). */
  network?: string;
  labels?: Record<string, string>;
}

export class CustomJobs {
  constructor(private readonly store: Store) {}

  private collection = (loc: Location) => `vertex/projects/${loc.projectNumber}/locations/${loc.location}/customJobs`;

  add(loc: Location, seed: CustomJobSeed): Resource {
    const name = `projects/${loc.projectNumber}/locations/${loc.location}/customJobs/${randomInt(1, 2 ** 47)}`;
    return this.store.insert(this.collection(loc), {
      name, displayName: seed.displayName, state: seed.state, createTime: nowIso(), updateTime: nowIso(),
      jobSpec: { workerPoolSpecs: [], ...(seed.network ? { network: seed.network } : {}) }, ...(seed.labels ? { labels: seed.labels } : {}),
    });
  }

  list(loc: Location, r: Request): Record<string, unknown> {
    const size = r.query.get('pageSize') ? Number(r.query.get('pageSize')) : 100;
    if (!Number.isInteger(size) || size < 0) throw badRequest(`Invalid pageSize ${r.query.get('pageSize')}.`);
    const filter = parseJobFilter(r.query.get('filter'));
    const matches = this.store.list(this.collection(loc)).filter((j) => filter({ ...j, network: (j.jobSpec as { network?: string }).network }));
    const page = paginate(matches, { maxResults: String(Math.min(size || 100, 500)), pageToken: r.query.get('pageToken') });
    return { customJobs: page.items.map((j) => encodeState(j, JOB_STATES, wantsIntEnums(r.query))), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  }
}
