/**
 * The outcome of one cloud call as every reconciler reports it (`{ok, noop?, error?, transient?,
 * ms}`): a failure is a result, not a throw, so apply can decide what runs next (skip the deletes,
 * stop the steps) and the report says which call failed and whether a retry could fix it. The
 * kernel's runner (shared/reconcile/apply.ts `runStep`) is what produces it.
 */
export interface Timed {
  ok: boolean;
  /** True when the call changed nothing because the state was already as wanted. */
  noop?: boolean;
  error?: string;
  transient?: boolean;
  ms: number;
}
