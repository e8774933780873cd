/**
 * The local Google Cloud's state: JSON resources in the exact shape the REST API returns, kept in
 * collections named by their URL path (`projects/p/global/routes`). Every change goes through
 * `insert`/`update`/`remove`, which tell the mutation listeners — how tests watch invariants
 * (egress continuity, allow continuity, ownership) at every single step, not only at the end.
 */
export type Resource = Record<string, unknown> & { name: string };

declare const holds: unique symbol;
/**
 * A collection's path that also says what its resources are (`Collection<Network>`): the store's
 * methods answer that type for it, and a plain path answers `Resource`. Made by `collection<T>()`,
 * next to the resource's definition (compute/context.ts builds Compute's from its kinds).
 */
export type Collection<T extends { name: string }> = string & { readonly [holds]?: T };

/** The typed handle of a collection's path. */
export const collection = <T extends { name: string }>(path: string): Collection<T> => path;

/** A project as the store keeps it (Cloud Resource Manager `Project`): its id and its number. */
export interface Project extends Resource {
  projectNumber?: string;
}
export const PROJECTS = collection<Project>('projects');

export interface Mutation {
  collection: string;
  name: string;
  action: 'insert' | 'update' | 'delete';
  before?: Resource;
  after?: Resource;
}

export type MutationListener = (mutation: Mutation, store: Store) => void;

export const COMPUTE_BASE = 'https://www.googleapis.com/compute/v1/';

let idCounter = 0n;
/**
 * A unique uint64 id rendered as a decimal string, as Compute returns `id` (opaque to clients:
 * https://cloud.google.com/compute/docs/reference/rest/v1/instances `id` "defined by the server").
 * A counter, not the time: unique in the process and the same from run to run.
 */
export function nextId(): string {
  idCounter += 1n;
  return (1_000_000_000_000_000_000n + idCounter).toString();
}

export class Store {
  private readonly collections = new Map<string, Map<string, Resource>>();
  private readonly listeners: MutationListener[] = [];

  /** `now`: the emulator's clock (timers.ts), so what it stamps moves with a test's driven clock. */
  constructor(private readonly now: () => number = Date.now) {}

  /** The time the emulator stamps on what it creates and changes (`creationTimestamp`, `updateTime`…), RFC 3339. */
  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  list<T extends { name: string }>(collection: Collection<T>): T[];
  list(collection: string): Resource[];
  list(collection: string): Resource[] {
    const col = this.collections.get(collection);
    return col ? [...col.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : [];
  }

  /** Collections whose path matches, e.g. every zone's instances of a project. */
  collectionsMatching(pattern: RegExp): string[] {
    return [...this.collections.keys()].filter((key) => pattern.test(key));
  }

  get<T extends { name: string }>(collection: Collection<T>, name: string): T | undefined;
  get(collection: string, name: string): Resource | undefined;
  get(collection: string, name: string): Resource | undefined {
    return this.collections.get(collection)?.get(name);
  }

  has(collection: string, name: string): boolean {
    return this.collections.get(collection)?.has(name) ?? false;
  }

  insert<T extends { name: string }>(collection: Collection<T>, resource: T): T;
  insert(collection: string, resource: Resource): Resource;
  insert(collection: string, resource: Resource): Resource {
    let col = this.collections.get(collection);
    if (!col) this.collections.set(collection, (col = new Map()));
    col.set(resource.name, resource);
    this.emit({ collection, name: resource.name, action: 'insert', after: resource });
    return resource;
  }

  /** Replaces a resource with `change(copy)`; listeners see before and after. */
  update<T extends { name: string }>(collection: Collection<T>, name: string, change: (copy: T) => T | void): T;
  update(collection: string, name: string, change: (copy: Resource) => Resource | void): Resource;
  update(collection: string, name: string, change: (copy: Resource) => Resource | void): Resource {
    const col = this.collections.get(collection);
    const before = col?.get(name);
    if (!col || !before) throw new Error(`store: no ${collection}/${name} to update`);
    const copy = structuredClone(before);
    const after = change(copy) ?? copy;
    col.set(name, after);
    this.emit({ collection, name, action: 'update', before, after });
    return after;
  }

  remove<T extends { name: string }>(collection: Collection<T>, name: string): T | undefined;
  remove(collection: string, name: string): Resource | undefined;
  remove(collection: string, name: string): Resource | undefined {
    const col = this.collections.get(collection);
    const before = col?.get(name);
    if (!col || !before) return undefined;
    col.delete(name);
    this.emit({ collection, name, action: 'delete', before });
    return before;
  }

  onMutation(listener: MutationListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private emit(mutation: Mutation): void {
    for (const listener of [...this.listeners]) listener(mutation, this);
  }
}

/** Full Compute URL of a resource path (`projects/p/global/routes/r`). */
export const computeUrl = (path: string) => COMPUTE_BASE + path;

/** Strips the Compute base URL (or a leading `/compute/v1/`) to the resource path. */
export function computePath(urlOrPath: string): string {
  return urlOrPath
    .replace(/^https?:\/\/[^/]+\/compute\/(v1|beta)\//, '')
    .replace(/^\/?compute\/v1\//, '')
    .replace(/^\//, '');
}
