/** Waiting on Compute Engine operations (`operations.wait` until DONE, then surface its error). */
import { ApiError } from '../errors.js';
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
