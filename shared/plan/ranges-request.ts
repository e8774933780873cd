/**
 * peeringRanges' input as a request (pure): the network and region from config where the caller
 * names none, then the strict schema of a preparation or a release (ranges-types.ts), whose
 * refusals (ConfigError) the caller sees before any call.
 */
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import { parseRangeRequest, parseReleaseRequest, type RangeRequest, type ReleaseRequest } from './ranges-types.js';

type Defaults = Pick<PeeringRangesConfig, 'network' | 'region'>;

/** The caller's input with the network and region from config where it names none (then parsed strictly). */
function withDefaults(input: unknown, cfg: Defaults) {
  const raw = (input && typeof input === 'object' && !Array.isArray(input) ? input : {}) as Record<string, unknown>;
  return { ...raw, network: raw.network ?? cfg.network, region: raw.region ?? cfg.region };
}

/** A preparation's request: defaults from config (network, region), then the strict request. */
export const rangeRequestFrom = (input: unknown, cfg: Defaults): RangeRequest =>
  parseRangeRequest(withDefaults(input, cfg));

/** A release's request: defaults from config (network, region), then the strict request. */
export const releaseRequestFrom = (input: unknown, cfg: Defaults): ReleaseRequest =>
  parseReleaseRequest(withDefaults(input, cfg));
