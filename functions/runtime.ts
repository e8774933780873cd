/**
 * Start-up of a deployed function: its configuration is validated once, when the Functions
 * Framework loads the module for that target (Cloud Run functions sets FUNCTION_TARGET), so a
 * bad variable stops start-up with a message naming it instead of failing every event.
 */
import { createLogger } from '../shared/log.js';
import { ConfigError } from '../shared/errors.js';

/** Builds `create()` once: eagerly when this process serves `target`, otherwise on first use. */
export function lazyService<T>(target: string, create: (env: Record<string, string | undefined>) => T): () => T {
  let instance: T | undefined;
  const get = () => (instance ??= create(process.env));
  if (process.env.FUNCTION_TARGET === target) {
    try {
      get();
    } catch (err) {
      if (err instanceof ConfigError) {
        // The configuration (its log level among it) is what failed: say so at the default level.
        createLogger().fatal({ target }, err.message);
        process.exit(78);
      }
      throw err;
    }
  }
  return get;
}
