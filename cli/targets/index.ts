/**
 * Every target of `netreflex plan|apply`. Add a target here and it appears in the CLI. Each is
 * loaded only when a command names it, so `--help` and the other commands stay fast.
 */
import type { Target } from './types.js';

export interface TargetEntry {
  /** One line for `netreflex plan --help`. */
  description: string;
  load: () => Promise<Target>;
}

export const TARGETS: Record<string, TargetEntry> = {
  routes: {
    description: 'custom routes from VPC A to the destinations through the NAT VMs (natRoutes)',
    load: async () => (await import('./routes.js')).routesTarget,
  },
  ranges: {
    description:
      'Private Service Access ranges for N parallel Vertex jobs of M nodes, wired to the NAT VMs (peeringRanges)',
    load: async () => (await import('./ranges.js')).rangesTarget,
  },
  allowlist: {
    description: 'Cloud Armor allow rules from the allowlist file in the config bucket (armorAllowlist)',
    load: async () => (await import('./allowlist.js')).allowlistTarget,
  },
};
