/**
 * One view of the egress path, as a chain of links a person would otherwise check on five console
 * pages: PSA ranges → peering export → routes → NAT VMs → Cloud NAT IPs → allowlists. Each link is
 * ok, broken (with the reason and what to do), or not checked (the surface is missing or
 * unreadable — said plainly, never guessed).
 */
export const LINK_STATES = ['ok', 'broken', 'not-checked'] as const;
export type LinkState = (typeof LINK_STATES)[number];

export const LINK_IDS = ['psa-ranges', 'peering-export', 'routes', 'nat-vms', 'nat-ips', 'allowlists'] as const;
export type LinkId = (typeof LINK_IDS)[number];

export interface Link {
  id: LinkId;
  title: string;
  state: LinkState;
  /** Why it is broken or not checked; a short summary when ok. */
  reason: string;
  /** One line per thing looked at (a range, a route, a VM, an IP, a policy verdict). */
  details: string[];
}

export interface StatusReport {
  project: string;
  region: string;
  network: string;
  /** True when no link is broken (not-checked links do not count as broken). */
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
}
