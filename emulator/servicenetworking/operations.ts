/**
 * Service Networking's own long-running operations (`GET /v1/operations/{name}`): not Compute's.
 * A mutation answers at once with `{name, done: false}`; after `operationLatencyMs` the change is
 * applied and the operation reads `{done: true, response}` or `{done: true, error}` with a
 * `google.rpc.Status` (numeric gRPC code), which is what gcloud and Terraform poll for.
 */
import { randomUUID } from 'node:crypto';
import { HttpError, notFound } from '../errors.js';
import type { Router } from '../http.js';
import type { Resource, Store } from '../store.js';
import type { Settings } from '../settings.js';
import type { Faults } from '../faults.js';
import type { Timers } from '../timers.js';

const COLLECTION = 'servicenetworking/operations';

/** gRPC codes of the HTTP errors a Service Networking operation can end with. */
const GRPC_CODE: Record<number, number> = { 400: 3, 403: 7, 404: 5, 409: 6, 412: 9, 429: 8, 500: 13, 503: 14 };

export interface SnOperationRequest {
  methodId: string;
  projectNumber: string;
  /** Applies the change and returns the operation's `response`; an HttpError fails the operation. */
  apply: () => Record<string, unknown>;
}

export class SnOperations {
  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
    private readonly faults: Faults,
    private readonly timers: Timers,
  ) {}

  start(req: SnOperationRequest): Resource {
    const name = `operations/pssn.p24-${req.projectNumber}-${randomUUID()}`;
    const op = this.store.insert(COLLECTION, { name, metadata: {}, done: false });
    const failure = this.faults.takeOperationFailure(req.methodId);
    this.timers.after(this.settings.operationLatencyMs, () => this.finish(name, req, failure));
    return { ...op };
  }

  private finish(name: string, req: SnOperationRequest, failure: string | undefined): void {
    let outcome: Record<string, unknown>;
    if (failure) outcome = { error: { code: 13, message: failure } };
    else {
      try {
        outcome = { response: req.apply() };
      } catch (err) {
        const e = err instanceof HttpError ? err : new HttpError(500, String(err));
        outcome = { error: { code: GRPC_CODE[e.code] ?? 2, message: e.message } };
      }
    }
    this.store.update(COLLECTION, name, (op) => ({ ...op, done: true, ...outcome }));
  }

  register(router: Router): void {
    router.on('GET', '/v1/operations/{operation}', 'servicenetworking.operations.get', (r) => {
      const name = `operations/${r.params.operation}`;
      const op = this.store.get(COLLECTION, name);
      if (!op) throw notFound(name);
      return op;
    });
  }
}
