/**
 * The CLI's environment: against the local Google Cloud (NETREFLEX_EMULATOR_HOST set) the
 * sample topology fills any variable left unset, so `netreflex plan routes` just works next to
 * `npm start`; against a real project every variable comes from the shell, as the functions'.
 */
import { sampleEnv } from '../emulator/stack.js';

export function cliEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const host = env.NETREFLEX_EMULATOR_HOST;
  return host ? { ...sampleEnv(host), ...env } : { ...env };
}
