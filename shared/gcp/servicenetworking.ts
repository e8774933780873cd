/**
 * Service Networking private connections (no dedicated Node client: plain REST). The connection
 * is named by its consumer network as `projects/{projectNumber}/global/networks/{name}` — the
 * project NUMBER — and mutations answer Service Networking's own operations, polled here.
 */
import { ApiError, HTTP_OF_GRPC } from '../errors.js';
import type { Transport } from './transport.js';
import { sleep } from '../util/concurrency.js';

export interface Connection {
  network: string;
  reservedPeeringRanges: string[];
  peering?: string;
  service?: string;
}

interface SnOperation {
  name: string;
  done?: boolean;
  error?: { code?: number; message?: string };
}

const BASE = '/v1/services/servicenetworking.googleapis.com/connections';

/** `projects/{projectNumber}/global/networks/{name}`, the form Service Networking and Vertex AI use. */
export const consumerNetwork = (projectNumber: string, network: string) =>
  `projects/${projectNumber}/global/networks/${network}`;

/** The connection of `network`, or null when the network has none. */
export async function getConnection(t: Transport, network: string): Promise<Connection | null> {
  const res = await t.request<{ connections?: Connection[] }>({
    service: 'servicenetworking',
    method: 'GET',
    path: BASE,
    query: { network },
  });
  return (
    res.connections?.find((c) => c.service === undefined || c.service.endsWith('servicenetworking.googleapis.com')) ??
    null
  );
}

/**
 * Replaces the reserved ranges (the full list: a missing name releases that range). Dropping a
 * range a producer still uses is refused unless `force` (then the producer loses it).
 */
export async function patchReservedRanges(
  t: Transport,
  network: string,
  reservedPeeringRanges: readonly string[],
  options: { force?: boolean } = {},
): Promise<void> {
  const op = await t.request<SnOperation>({
    service: 'servicenetworking',
    method: 'PATCH',
    path: `${BASE}/-`,
    query: { updateMask: 'reservedPeeringRanges', force: options.force === true },
    body: { network, reservedPeeringRanges },
  });
  await waitSnOperation(t, op);
}

export async function createConnection(
  t: Transport,
  network: string,
  reservedPeeringRanges: readonly string[],
): Promise<void> {
  const op = await t.request<SnOperation>({
    service: 'servicenetworking',
    method: 'POST',
    path: BASE,
    body: { network, reservedPeeringRanges },
  });
  await waitSnOperation(t, op);
}

/** Polls a Service Networking operation until done (backing off to 2 s); a failed one becomes an ApiError. */
async function waitSnOperation(t: Transport, op: SnOperation, deadlineMs = 300_000): Promise<void> {
  const started = Date.now();
  let current = op;
  for (let delay = 50; !current.done; delay = Math.min(delay * 2, 2_000)) {
    if (Date.now() - started > deadlineMs)
      throw new ApiError(
        504,
        'DEADLINE_EXCEEDED',
        `Service Networking operation ${op.name} not done after ${deadlineMs} ms`,
      );
    await sleep(delay);
    current = await t.request<SnOperation>({ service: 'servicenetworking', method: 'GET', path: `/v1/${op.name}` });
  }
  if (current.error) {
    // The operation reports a gRPC code; callers branch on the HTTP one (transient: 429/5xx).
    const code = HTTP_OF_GRPC[current.error.code ?? 2] ?? 500;
    throw new ApiError(
      code,
      String(current.error.code ?? 'UNKNOWN'),
      `Service Networking operation ${op.name} failed: ${current.error.message ?? 'no message'}`,
    );
  }
}
