/**
 * One view of the egress path, as a chain of links a person would otherwise check on five console
 * pages: PSA ranges → peering export → routes → NAT VMs → Cloud NAT IPs → allowlists. Each link is
 * ok, broken, or unknown — it could not be checked (an API unreachable, refused or failing, a
 * link it depends on unknown). Unknown is never ok: a monitor that reads this must not call a
 * path healthy it could not see. Every link that is not ok says what to do (`fix`).
 */
import type { ArmorAllowlistConfig } from '../config/armor-allowlist.js';
import type { NatRoutesView } from '../config/nat-routes.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';

export const LINK_STATES = ['ok', 'broken', 'unknown'] as const;
export type LinkState = (typeof LINK_STATES)[number];

/** What the command exits with: 0 every link ok, 1 some link broken, 3 nothing broken but some link unknown. */
export const EXIT_CODES: Readonly<Record<LinkState, number>> = { ok: 0, broken: 1, unknown: 3 };

export const LINK_IDS = ['psa-ranges', 'peering-export', 'routes', 'nat-vms', 'nat-ips', 'allowlists'] as const;
export type LinkId = (typeof LINK_IDS)[number];

interface LinkBase {
  id: LinkId;
  title: string;
  /** Why it is broken or unknown; a short summary when ok. */
  reason: string;
  /** One line per thing looked at (a range, a route, a VM, an IP, a policy verdict). */
  details: string[];
}

/** A link that is not ok always carries the next step, so a page is actionable. */
export type Link =
  (LinkBase & { state: 'ok'; fix?: undefined }) | (LinkBase & { state: 'broken' | 'unknown'; fix: string });

export interface StatusReport {
  project: string;
  region: string;
  network: string;
  /** The worst link: broken over unknown over ok. */
  state: LinkState;
  /** True only when every link is ok (an unknown link is not ok). */
  ok: boolean;
  links: Link[];
}

export interface StatusConfig {
  project: string;
  region: string;
  network: string;
  peering: string;
  mig: string;
  destinations: string[];
  natRouter: string;
  natName: string;
  securityPolicies: string[];
  /** Capacity check: this many concurrent jobs of `nodesPerJob` nodes must fit (optional). */
  jobs?: number;
  nodesPerJob: number;
  /**
   * peeringRanges' own configuration (the same NETREFLEX_* variables): the PSA ranges link is its
   * dry run. An error when the environment does not configure peeringRanges (its project number or
   * state bucket unset): that link is then UNKNOWN, the others are still judged.
   */
  ranges: { config: PeeringRangesConfig } | { error: string };
  /**
   * The egress IPs the workflow checks the allowlist for (NETREFLEX_EGRESS_IPS, when set): they must
   * be the Cloud NAT's IPs, or the workflow and status judge different addresses.
   */
  egressIps?: string[];
  /** Where the reads go: the local Google Cloud, or unset for Google's APIs (named in fixes). */
  emulatorHost?: string;
  /** natRoutes' own configuration (the same NETREFLEX_* variables): the routes link is its dry run. */
  routes: NatRoutesView;
  /** Where the allowlist file is (NETREFLEX_CONFIG_BUCKET …): the allowlist link then reports a stalled sync. */
  allowlist?: ArmorAllowlistConfig;
}
