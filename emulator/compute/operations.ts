/**
 * Compute Engine operations: every mutation answers at once with an Operation that is RUNNING,
 * and its effect lands when the operation turns DONE after the configured latency — the same
 * window in which real routes do not exist yet, which is what make-before-break must respect.
 */
import { HttpError, notFound } from '../errors.js';
import type { Router } from '../http.js';
import { computeUrl, nextId, type Resource, type Store } from '../store.js';
import type { Settings } from '../settings.js';
import type { Faults, OperationFailure } from '../faults.js';
import type { Timers } from '../timers.js';
import { injectedOperationError, operationFailure } from './operation-errors.js';

export type OperationScope = { kind: 'global' } | { kind: 'region'; region: string } | { kind: 'zone'; zone: string };

export interface OperationRequest {
  project: string;
  scope: OperationScope;
  methodId: string;
  operationType: string;
  targetLink: string;
  /** Who asked for it (the Operation's `user`); the project owner when unset. */
  user?: string;
  /** Applies the change; an HttpError thrown here ends the operation with that error. */
  apply: () => void;
  /**
   * Resource path this operation creates. Compute holds the name from the moment the insert is
   * accepted, so a second insert of it is a 409 at once, not only when the first one lands; the
   * name is free again when the operation is DONE, whether it succeeded or failed.
   */
  reserves?: string;
}

const scopePath = (project: string, scope: OperationScope) =>
  scope.kind === 'global'
    ? `projects/${project}/global`
    : scope.kind === 'region'
      ? `projects/${project}/regions/${scope.region}`
      : `projects/${project}/zones/${scope.zone}`;

export class Operations {
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly reserved = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
    private readonly faults: Faults,
    private readonly timers: Timers,
    /** The `user` of an operation started without a caller of its own. */
    private readonly ownerPrincipal: string,
  ) {}

  /** Starts an operation; the change is applied after `operationLatencyMs`. */
  start(req: OperationRequest): Resource {
    const collection = `${scopePath(req.project, req.scope)}/operations`;
    const name = `operation-${this.timers.now()}-${nextId().slice(-8)}`;
    const op: Resource = {
      kind: 'compute#operation',
      id: nextId(),
      name,
      operationType: req.operationType,
      targetLink: req.targetLink,
      targetId: nextId(),
      status: 'RUNNING',
      user: req.user ?? this.ownerPrincipal,
      progress: 0,
      insertTime: this.store.nowIso(),
      startTime: this.store.nowIso(),
      selfLink: computeUrl(`${collection}/${name}`),
      ...(req.scope.kind === 'region'
        ? { region: computeUrl(`projects/${req.project}/regions/${req.scope.region}`) }
        : {}),
      ...(req.scope.kind === 'zone' ? { zone: computeUrl(`projects/${req.project}/zones/${req.scope.zone}`) } : {}),
    };
    this.store.insert(collection, op);
    if (req.reserves) this.reserved.add(req.reserves);
    const failure = this.faults.takeOperationFailure(req.methodId);
    this.timers.after(this.settings.operationLatencyMs, () => this.finish(collection, name, req, failure));
    return op;
  }

  /** Whether an operation still running will create the resource at `path`. */
  isReserved(path: string): boolean {
    return this.reserved.has(path);
  }

  private finish(collection: string, name: string, req: OperationRequest, failure: OperationFailure | undefined): void {
    if (req.reserves) this.reserved.delete(req.reserves);
    let error: HttpError | undefined;
    if (failure) error = injectedOperationError(failure.message, failure.code);
    else {
      try {
        req.apply();
      } catch (err) {
        error = err instanceof HttpError ? err : new HttpError(500, String(err));
      }
    }
    this.store.update(collection, name, (op) => {
      Object.assign(op, { status: 'DONE', progress: 100, endTime: this.store.nowIso() });
      // Compute reports the failure in its own codes and the failed call's HTTP status (operation-errors.ts).
      if (error) Object.assign(op, operationFailure(error));
    });
    for (const wake of this.waiters.get(`${collection}/${name}`) ?? []) wake();
    this.waiters.delete(`${collection}/${name}`);
  }

  /**
   * The operation `operation` names: its name, or its unique numeric id — Compute's reference for
   * `operations.get`, `wait` and `delete` says "Name of the Operations resource to return, or its
   * unique numeric identifier", and the Node client's operation object carries the id as its
   * `name` (google-gax ExtendedOperation).
   */
  get(collection: string, operation: string): Resource {
    const op =
      this.store.get(collection, operation) ??
      (/^\d+$/.test(operation) ? this.store.list(collection).find((o) => o.id === operation) : undefined);
    if (!op) throw notFound(`${collection}/${operation}`);
    return op;
  }

  /** `operations.wait`: answers when DONE, or after the wait timeout with the op as it is. */
  async wait(collection: string, operation: string): Promise<Resource> {
    const op = this.get(collection, operation);
    const name = op.name;
    if (op.status === 'DONE') return op;
    await new Promise<void>((resolve) => {
      const timer = this.timers.after(this.settings.waitTimeoutMs, resolve);
      const list = this.waiters.get(`${collection}/${name}`) ?? [];
      list.push(() => {
        this.timers.cancel(timer);
        resolve();
      });
      this.waiters.set(`${collection}/${name}`, list);
    });
    return this.get(collection, name);
  }
}

/** Compute's global, regional and zonal operations: get and wait. */
export function registerOperations(router: Router, operations: Operations): void {
  const base = '/compute/v1/projects/{project}';
  const scopes = [
    {
      prefix: `${base}/global/operations`,
      id: 'globalOperations',
      col: (p: Record<string, string>) => `projects/${p.project}/global/operations`,
    },
    {
      prefix: `${base}/regions/{region}/operations`,
      id: 'regionOperations',
      col: (p: Record<string, string>) => `projects/${p.project}/regions/${p.region}/operations`,
    },
    {
      prefix: `${base}/zones/{zone}/operations`,
      id: 'zoneOperations',
      col: (p: Record<string, string>) => `projects/${p.project}/zones/${p.zone}/operations`,
    },
  ];
  for (const s of scopes) {
    router.on('GET', `${s.prefix}/{operation}`, `compute.${s.id}.get`, (r) =>
      operations.get(s.col(r.params), r.params.operation!),
    );
    router.on('POST', `${s.prefix}/{operation}/wait`, `compute.${s.id}.wait`, (r) =>
      operations.wait(s.col(r.params), r.params.operation!),
    );
  }
}
