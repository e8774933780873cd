/**
 * What every Compute collection answers alike: a missing name is a 404 in Compute's words, and an
 * insert of a name already taken is a 409 both when it is asked and again when its operation
 * lands — two inserts of one name can both be accepted while neither is DONE yet.
 */
import { alreadyExists, notFound } from '../errors.js';
import type { Collection, Resource } from '../store.js';
import type { ComputeContext } from './context.js';
import type { OperationScope } from './operations.js';

/** The resource `name` of `collection`, or a 404 naming its path. */
export function getResource<T extends { name: string }>(
  ctx: Pick<ComputeContext, 'store'>,
  collection: Collection<T>,
  name: string,
): T;
export function getResource(ctx: Pick<ComputeContext, 'store'>, collection: string, name: string): Resource;
export function getResource(ctx: Pick<ComputeContext, 'store'>, collection: string, name: string): Resource {
  const resource = ctx.store.get(collection, name);
  if (!resource) throw notFound(`${collection}/${name}`);
  return resource;
}

export interface InsertRequest {
  project: string;
  scope: OperationScope;
  methodId: string;
  collection: string;
  /** The validated resource, stored as is when the operation lands. */
  resource: Resource;
  /** Hold the name while the operation runs, so a second insert is a 409 at once (see `OperationRequest.reserves`). */
  reserveName?: boolean;
  /** Checks against the rest of the state (overlaps, …), run when asked and again when applied. */
  check?: () => void;
  /** Checks Compute makes only while the operation runs (quotas that end the operation in error). */
  checkWhenApplied?: () => void;
}

/** Starts the insert operation of `resource`, refused with a 409 if its name is taken. */
export function startInsert(ctx: ComputeContext, req: InsertRequest): Resource {
  const { collection, resource } = req;
  const path = `${collection}/${resource.name}`;
  const assertInsertable = () => {
    if (ctx.store.has(collection, resource.name)) throw alreadyExists(path);
    req.check?.();
  };
  if (ctx.operations.isReserved(path)) throw alreadyExists(path);
  assertInsertable();
  return ctx.operations.start({
    project: req.project,
    scope: req.scope,
    methodId: req.methodId,
    operationType: 'insert',
    targetLink: String(resource.selfLink),
    ...(req.reserveName ? { reserves: path } : {}),
    apply: () => {
      assertInsertable();
      req.checkWhenApplied?.();
      ctx.store.insert(collection, resource);
    },
  });
}
