/** Every target of `netreflex plan|apply`. Add a target here and it appears in the CLI. */
import type { Target } from './types.js';

export const TARGETS: Record<string, () => Promise<Target>> = {
  routes: async () => (await import('./routes.js')).routesTarget,
  ranges: async () => (await import('./ranges.js')).rangesTarget,
  allowlist: async () => (await import('./allowlist.js')).allowlistTarget,
};
