/**
 * Which network a resource is on: the one test every peeringRanges observation uses (the addresses,
 * routes and firewall of observe.ts, the Vertex ranges of vertex-ranges.ts that `netreflex status`
 * reads too, the jobs of the preflight), so they never disagree on what is "this network".
 *
 * Google names a network by URL in resources (`https://www.googleapis.com/compute/v1/projects/P/
 * global/networks/N`, also `compute/beta`, or the relative `projects/P/global/networks/N`), and
 * Vertex AI and Service Networking by project *number* (`projects/123/global/networks/N`). A
 * network is one project's and one name: both must match — a `vpc-a` of another project is not
 * ours, however its URL ends.
 */

/** A network of ours: its project id, its project number when known, and its name. */
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
