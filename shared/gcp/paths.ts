/**
 * Compute Engine resource names as they appear on the wire. A reference comes back as a full URL
 * (`https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/i`), is accepted as a
 * partial one (`projects/p/zones/z/instances/i`), and the beta surface spells it with `beta/`; the
 * resource path is what all of them name. Pure and import-free: the planners compare references
 * with it too (the one module of shared/gcp/ a planner may import at runtime; eslint.config.js).
 * Cloud Storage's object generations, which order the allowlist's files, are compared here too.
 */

/** Resource path of a Compute URL, so full and partial URLs compare equal. */
export const resourcePath = (url: string) =>
  url.replace(/^https?:\/\/[^/]+\/compute\/(v1|beta)\//, '').replace(/^\//, '');

/** The full URL Compute gives a global network (what routes, addresses and firewalls name). */
export const networkUrl = (project: string, name: string) =>
  `https://www.googleapis.com/compute/v1/projects/${project}/global/networks/${name}`;

/** A regional managed instance group's path (the owner natRoutes' route markers name). */
export const migPath = (mig: { readonly project: string; readonly region: string; readonly mig: string }) =>
  `projects/${mig.project}/regions/${mig.region}/instanceGroupManagers/${mig.mig}`;

/** A regional MIG's instance group: it has the MIG's name (what a backend service lists as `group`). */
export const migGroupPath = (mig: { readonly project: string; readonly region: string; readonly mig: string }) =>
  `projects/${mig.project}/regions/${mig.region}/instanceGroups/${mig.mig}`;

/** The full URL Compute gives a regional forwarding rule (what a route names as its next-hop load balancer). */
export const forwardingRuleUrl = (project: string, region: string, name: string) =>
  `https://www.googleapis.com/compute/v1/projects/${project}/regions/${region}/forwardingRules/${name}`;

/**
 * A network of ours: its project id, its project number when known, and its name. Google names a
 * network by URL in Compute resources (`https://www.googleapis.com/compute/v1/projects/P/global/
 * networks/N`, also `compute/beta`, or the relative `projects/P/global/networks/N`), and Vertex AI
 * and Service Networking by project *number* (`projects/123/global/networks/N`). A network is one
 * project's and one name: both must match — a `vpc-a` of another project is not ours, however its
 * URL ends. `sameNetwork` is the one test every observation of "this network" uses.
 */
export interface NetworkRef {
  readonly project: string;
  readonly projectNumber?: string;
  readonly name: string;
}

/** `{project (id or number), name}` of a network URL or path; undefined for anything else. */
export function networkKey(network: string): { project: string; name: string } | undefined {
  const m = /(?:^|\/)projects\/([^/]+)\/global\/networks\/([^/?#]+)$/.exec(network);
  return m ? { project: m[1]!, name: m[2]! } : undefined;
}

/** True when `url` names our network (by project id or number, and name). */
export function sameNetwork(url: string | undefined, ours: NetworkRef): boolean {
  const key = url === undefined ? undefined : networkKey(url);
  return (
    key !== undefined &&
    key.name === ours.name &&
    (key.project === ours.project || (ours.projectNumber !== undefined && key.project === ours.projectNumber))
  );
}

/**
 * Sign of `a - b` for two Cloud Storage object generations: int64 as the JSON API sends it, a
 * decimal string, compared without rounding through a JS number.
 */
export function compareGenerations(a: string, b: string): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
