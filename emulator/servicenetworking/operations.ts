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
import type { Faults, OperationFailure } from '../faults.js';
import type { Timers } from '../timers.js';

const COLLECTION = 'servicenetworking/operations';

/**
 * The `google.rpc.Code` a failed operation reports (google/longrunning/operations.proto
 * `Operation.error` is a `google.rpc.Status`; google/rpc/code.proto gives each code's HTTP
 * mapping): 400 → INVALID_ARGUMENT 3, 403 → PERMISSION_DENIED 7, 404 → NOT_FOUND 5,
 * 409 → ALREADY_EXISTS 6, 412 → FAILED_PRECONDITION 9, 429 → RESOURCE_EXHAUSTED 8,
 * 500 → INTERNAL 13, 503 → UNAVAILABLE 14.
 */
const GRPC_CODE: Record<number, number> = { 400: 3, 403: 7, 404: 5, 409: 6, 412: 9, 429: 8, 500: 13, 503: 14 };

/**
 * The rpc code of an HTTP error: a 400 refused for the state of the system (a range still in
 * use) is FAILED_PRECONDITION, as Service Networking words "Couldn't find free blocks…" (code 9,
 * GoogleCloudPlatform/magic-modules#10365); a quota refusal is RESOURCE_EXHAUSTED.
 */
export function rpcCodeOf(err: HttpError): number {
  if (err.reason === 'failedPrecondition') return 9;
  if (/quota/i.test(err.reason)) return 8;
  return GRPC_CODE[err.code] ?? 2;
}

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
    // google.longrunning.Operation.metadata is an Any (`@type` required); these operations carry none.
    const op = this.store.insert(COLLECTION, { name, done: false });
    const failure = this.faults.takeOperationFailure(req.methodId);
    this.timers.after(this.settings.operationLatencyMs, () => this.finish(name, req, failure));
    return { ...op };
  }

  private finish(name: string, req: SnOperationRequest, failure: OperationFailure | undefined): void {
    let outcome: Record<string, unknown>;
    if (failure) outcome = { error: { code: GRPC_CODE[failure.code ?? 500] ?? 13, message: failure.message } };
    else {
      try {
        outcome = { response: req.apply() };
      } catch (err) {
        const e = err instanceof HttpError ? err : new HttpError(500, String(err));
        outcome = { error: { code: rpcCodeOf(e), message: e.message } };
      }
    }
    this.store.update(COLLECTION, name, (op) => ({ ...op, done: true, ...outcome }));
  }

  /** `operations.get`: the operation named `operations/{id}`, or 404. */
  get(name: string): Resource {
    const op = this.store.get(COLLECTION, name);
    if (!op) throw notFound(name);
    return op;
  }
}

/** Service Networking's operations: get. */
export function registerSnOperations(router: Router, operations: SnOperations): void {
  router.on('GET', '/v1/operations/{operation}', 'servicenetworking.operations.get', (r) =>
    operations.get(`operations/${r.params.operation}`),
  );
}
