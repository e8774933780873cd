/** Waiting on Compute Engine operations (`operations.wait` until DONE, then surface its error). */
import { ApiError, unlessNotFound } from '../errors.js';
import { sleep } from '../util/concurrency.js';
import type { Transport } from './transport.js';

export interface ComputeOperation {
  name: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  selfLink: string;
  targetLink?: string;
  error?: { errors?: { code?: string; message?: string }[] };
  httpErrorStatusCode?: number;
}

/** Blocks until the operation is DONE; a failed operation becomes an ApiError. */
export async function waitOperation(
  t: Transport,
  op: ComputeOperation,
  deadlineMs = 300_000,
): Promise<ComputeOperation> {
  const path = new URL(op.selfLink).pathname.replace(/^.*?\/compute\/v1\//, '/compute/v1/');
  const started = Date.now();
  let current = op;
  while (current.status !== 'DONE') {
    if (Date.now() - started > deadlineMs)
      throw new ApiError(
        504,
        'DEADLINE_EXCEEDED',
        `operation ${op.name} still ${current.status} after ${deadlineMs} ms`,
      );
    current = await t.request<ComputeOperation>({ service: 'compute', method: 'POST', path: `${path}/wait` });
  }
  const first = current.error?.errors?.[0];
  if (first)
    throw new ApiError(
      current.httpErrorStatusCode ?? 400,
      first.code ?? 'OPERATION_FAILED',
      `operation ${op.name} failed: ${first.message ?? first.code}`,
    );
  return current;
}

/** How long an insert that met a 409 waits for the resource under its name to become readable, at most. */
const ADOPT_WAIT_MS = 120_000;

/**
 * Inserts a resource idempotently. A 409 is success when the resource already under the name is the
 * same one (a retry whose first answer was lost, or a concurrent insert of the same desired state
 * got there first): `true`, nothing written. Compute answers 409 while the other insert's operation
 * still runs, and the resource is not readable until that operation is DONE, so a 404 after the 409
 * means "wait" — polled with back-off until `deadline` (epoch ms), then 503: retry. Another
 * resource under the name throws what `taken` makes of it.
 */
export async function insertOrAdopt<T>(spec: {
  readonly insert: () => Promise<unknown>;
  readonly get: () => Promise<T>;
  readonly same: (existing: T) => boolean;
  readonly taken: (existing: T) => Error;
  /** `route netreflex-…`, `global address …`, in the 503's message. */
  readonly what: string;
  /** Epoch ms the wait must end by (the event's deadline), if sooner than `maxWaitMs` from the 409. */
  readonly deadline?: number;
  /** The longest wait after the 409 (default ADOPT_WAIT_MS); an insert that failed meanwhile never lands. */
  readonly maxWaitMs?: number;
}): Promise<boolean> {
  try {
    await spec.insert();
    return false;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 409)) throw err;
  }
  const deadline = Math.min(spec.deadline ?? Infinity, Date.now() + (spec.maxWaitMs ?? ADOPT_WAIT_MS));
  for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
    const existing = await unlessNotFound(spec.get());
    if (existing !== undefined) {
      if (spec.same(existing)) return true;
      throw spec.taken(existing);
    }
    if (Date.now() + delay > deadline)
      throw new ApiError(
        503,
        'UNAVAILABLE',
        `${spec.what} is being created by another call (409) and did not appear in time; retry`,
      );
    await sleep(delay);
  }
}
