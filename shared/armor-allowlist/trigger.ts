/**
 * Which events make armorAllowlist sync: the finalized event of the configured object (with its
 * generation), and the scheduled tick (the live generation, so expired entries leave on time even
 * when nobody uploads). Everything else is acknowledged with one log line and no API call.
 */
import type { ArmorAllowlistConfig } from '../config/armor-allowlist.js';
import type { ParsedEvent } from '../events/parse.js';

export type TriggerDecision =
  | { readonly sync: true; readonly why: string; readonly generation?: string; readonly now?: Date }
  | { readonly sync: false; readonly why: string };

/**
 * A tick may carry `now` (ISO 8601) to move the expiry clock, but only against the local Google
 * Cloud: tests advance time that way instead of sleeping. Deployed, whoever can publish to the tick
 * topic must not be able to keep an expired entry open, so the field is ignored there.
 */
function tickClock(json: unknown, local: boolean): Date | undefined {
  const text = (json as { now?: unknown } | undefined)?.now;
  if (!local || typeof text !== 'string') return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export function judgeTrigger(
  event: ParsedEvent,
  cfg: Pick<ArmorAllowlistConfig, 'bucket' | 'object' | 'emulatorHost'>,
): TriggerDecision {
  switch (event.kind) {
    case 'storage':
      if (event.bucket !== cfg.bucket || event.name !== cfg.object)
        return {
          sync: false,
          why: `gs://${event.bucket}/${event.name} is not the allowlist gs://${cfg.bucket}/${cfg.object}`,
        };
      return {
        sync: true,
        why: `gs://${event.bucket}/${event.name} generation ${event.generation} uploaded`,
        generation: event.generation,
      };
    case 'pubsub': {
      const now = tickClock(event.json, Boolean(cfg.emulatorHost));
      return { sync: true, why: 'scheduled sync (expiry, drift)', ...(now ? { now } : {}) };
    }
    case 'audit':
      return { sync: false, why: `audit log ${event.methodName} is not for armorAllowlist` };
    case 'invalid':
      return { sync: false, why: event.reason };
  }
}
