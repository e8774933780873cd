/**
 * armorAllowlist: keeps the allow rules of Cloud Armor security policies equal to the allowlist
 * file in the config bucket. Triggered by the object's finalized event (Eventarc, filtered by
 * bucket) and by the scheduled Pub/Sub tick, so expired entries leave on time.
 *
 * Refusals (an invalid file, a world-open entry, a removal beyond the allowed share, a full band,
 * an unresolvable source) are logged as ERROR with what to do and acknowledged: a retry would
 * refuse again. Transient failures throw, so the event is delivered again.
 */
import { cloudEvent, type CloudEvent } from '@google-cloud/functions-framework';
import { loadArmorAllowlistConfig } from '../../shared/config/armor-allowlist.js';
import { ArmorAllowlistService } from '../../shared/armor-allowlist/service.js';
import { createLogger } from '../../shared/log.js';
import { lazyService } from '../runtime.js';

const service = lazyService('armorAllowlist', (env) => {
  const cfg = loadArmorAllowlistConfig(env);
  return new ArmorAllowlistService(cfg, createLogger(cfg.logLevel));
});

export async function armorAllowlist(event: CloudEvent<unknown>): Promise<void> {
  const outcome = await service().handle(event);
  if (outcome.handled && outcome.retry)
    throw new Error(`armorAllowlist: transient failure, retry: ${outcome.report?.reasons.join('; ') || outcome.why}`);
}

cloudEvent('armorAllowlist', armorAllowlist);
