/** Entry expiry, one rule for the file checks and the planner alike. */
import type { AllowlistEntry } from './model.js';

/** An entry stops allowing at its expiry instant: dropped when `expires <= now`. */
export function isExpiredAt(entry: AllowlistEntry, now: Date): boolean {
  return entry.expires !== undefined && entry.expires.getTime() <= now.getTime();
}
