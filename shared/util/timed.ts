/**
 * The outcome of one cloud call as every reconciler reports it (`{ok, noop?, error?, transient?,
 * ms}`): a failure is a result, not a throw, so apply can decide what runs next (skip the deletes,
 * stop the steps) and the report says which call failed and whether a retry could fix it.
 */
import { errorMessage, isTransient } from '../errors.js';

export interface Timed {
  ok: boolean;
  /** True when the call changed nothing because the state was already as wanted. */
  noop?: boolean;
  error?: string;
  transient?: boolean;
  ms: number;
}

/** Runs `work` (which answers true for a no-op) and times it; never throws. */
export async function timed(work: () => Promise<boolean | void>): Promise<Timed> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const noop = (await work()) === true;
    return { ok: true, ...(noop ? { noop } : {}), ms: ms() };
  } catch (err) {
    return { ok: false, error: errorMessage(err), transient: isTransient(err), ms: ms() };
  }
}
