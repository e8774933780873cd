/**
 * Cloud Storage state of the local Google Cloud: buckets, and the versions of each object with
 * their bytes. Every write takes a new, strictly increasing `generation` (a microsecond clock,
 * like production) and resets `metageneration` to 1; a metadata patch bumps `metageneration`.
 * Writes emit the `google.cloud.storage.object.v1.finalized` CloudEvent Eventarc delivers, with
 * the `bucket` attribute its triggers filter on — how a config upload reaches a function.
 *
 * Object versioning (https://cloud.google.com/storage/docs/object-versioning): in a bucket with
 * `versioning.enabled`, replacing or deleting the live version keeps it as a noncurrent version
 * with `timeDeleted`, readable (metadata and media) and deletable by its `generation`, listed with
 * `versions=true`; that emits `object.v1.archived`. Without versioning the replaced or deleted
 * version is gone (`object.v1.deleted`), and asking for its generation is a 404
 * (https://cloud.google.com/storage/docs/pubsub-notifications#events: OBJECT_ARCHIVE,
 * OBJECT_DELETE "includes objects that are overwritten").
 *
 * State lives in the emulator's store, so its mutation listeners see every write: buckets in
 * `storage/buckets`, each object name's versions (their metadata) in `storage/b/{bucket}/o`. The
 * bytes of a version never change once written, so they sit beside the store by generation, as
 * Cloud Storage keeps data apart from metadata (the store clones records on update, and a clone of a
 * Buffer is a plain Uint8Array).
 */
import { HttpError } from '../errors.js';
import type { EventRouter } from '../events/router.js';
import { newEventId } from '../events/router.js';
import type { Resource, Store } from '../store.js';
import type { Timers } from '../timers.js';
import { crc32c, md5 } from './checksums.js';
import { checkPreconditions, type Preconditions } from './preconditions.js';

export const FINALIZED_TYPE = 'google.cloud.storage.object.v1.finalized';
export const DELETED_TYPE = 'google.cloud.storage.object.v1.deleted';
export const METADATA_UPDATED_TYPE = 'google.cloud.storage.object.v1.metadataUpdated';
export const ARCHIVED_TYPE = 'google.cloud.storage.object.v1.archived';

export type Bucket = Record<string, unknown> & { name: string };
/** An object resource exactly as the JSON API returns it (numbers as strings). */
export type StorageObject = Record<string, unknown> & {
  name: string;
  bucket: string;
  generation: string;
  metageneration: string;
};

interface Stored {
  resource: StorageObject;
  data: Buffer;
}

/** One object name: its live version (if any) and, in a versioned bucket, its noncurrent ones (oldest first). */
interface Versions {
  name: string;
  live?: StorageObject;
  noncurrent: StorageObject[];
}

const BUCKETS = 'storage/buckets';
const objectsOf = (bucket: string) => `storage/b/${bucket}/o`;
const blobKey = (o: Pick<StorageObject, 'bucket' | 'name' | 'generation'>) => `${o.bucket}\n${o.name}\n${o.generation}`;

/** Metadata a writer may set; everything else is computed. */
export interface ObjectMetadata {
  contentType?: string;
  metadata?: Record<string, string>;
  cacheControl?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
}

const WRITABLE = [
  'contentType',
  'metadata',
  'cacheControl',
  'contentEncoding',
  'contentDisposition',
  'contentLanguage',
] as const;
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const API = 'https://www.googleapis.com/storage/v1';

export const noSuchBucket = () => new HttpError(404, 'The specified bucket does not exist.', 'notFound');
export const noSuchObject = (bucket: string, name: string) =>
  new HttpError(404, `No such object: ${bucket}/${name}`, 'notFound');

export class CloudStorage {
  /** The bytes of every version, by bucket, name and generation (written once, never changed). */
  private readonly blobs = new Map<string, Buffer>();
  private lastGeneration = 0;

  constructor(
    private readonly store: Store,
    private readonly events: EventRouter,
    /** The emulator's clock: generations and timestamps read its time. */
    private readonly timers: Timers,
    private readonly projectNumber: (project: string) => string = () => '0',
  ) {}

  /** A generation strictly greater than every earlier one (microseconds since the epoch). */
  private nextGeneration(): string {
    this.lastGeneration = Math.max(this.lastGeneration + 1, this.timers.now() * 1000);
    return String(this.lastGeneration);
  }

  createBucket(project: string, body: Record<string, unknown>): Bucket {
    const name = body.name;
    if (typeof name !== 'string' || !name) throw new HttpError(400, 'Required', 'required');
    if (!BUCKET_NAME.test(name) || name.includes('..'))
      throw new HttpError(400, `Invalid bucket name: '${name}'`, 'invalid');
    if (this.store.has(BUCKETS, name))
      throw new HttpError(
        409,
        'Your previous request to create the named bucket succeeded and you already own it.',
        'conflict',
      );
    const now = new Date(this.timers.now()).toISOString();
    const location = typeof body.location === 'string' ? body.location.toUpperCase() : 'US';
    const bucket: Bucket = {
      kind: 'storage#bucket',
      selfLink: `${API}/b/${name}`,
      id: name,
      name,
      projectNumber: this.projectNumber(project),
      metageneration: '1',
      location,
      storageClass: typeof body.storageClass === 'string' ? body.storageClass : 'STANDARD',
      etag: 'CAE=',
      timeCreated: now,
      updated: now,
      locationType: location.includes('-') ? 'region' : 'multi-region',
      iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'enforced' },
      ...(body.labels && typeof body.labels === 'object' ? { labels: body.labels } : {}),
      ...(body.versioning && typeof body.versioning === 'object' ? { versioning: body.versioning } : {}),
      project,
    };
    this.store.insert(BUCKETS, bucket);
    return publicBucket(bucket);
  }

  private bucket(name: string): Bucket | undefined {
    return this.store.get(BUCKETS, name) as Bucket | undefined;
  }

  getBucket(name: string): Bucket {
    const bucket = this.bucket(name);
    if (!bucket) throw noSuchBucket();
    return publicBucket(bucket);
  }

  /** The project a bucket belongs to (IAM inherits project bindings through it). */
  projectOf(name: string): string | undefined {
    const project = this.bucket(name)?.project;
    return typeof project === 'string' ? project : undefined;
  }

  /** Whether `name` has a live version in `bucket` (an insert of it replaces that version). */
  hasObject(bucket: string, name: string): boolean {
    return (this.store.get(objectsOf(bucket), name) as Versions | undefined)?.live !== undefined;
  }

  listBuckets(project: string): Bucket[] {
    return (this.store.list(BUCKETS) as Bucket[])
      .filter((b) => b.project === project)
      .sort(byName)
      .map(publicBucket);
  }

  deleteBucket(name: string): void {
    this.getBucket(name);
    if (this.allVersions(name).some((v) => v.live || v.noncurrent.length))
      throw new HttpError(409, 'The bucket you tried to delete is not empty.', 'conflict');
    this.store.remove(BUCKETS, name);
  }

  private allVersions(bucket: string): Versions[] {
    return this.store.list(objectsOf(bucket)) as unknown as Versions[];
  }

  /** A copy of one name's versions, to change and `save`. */
  private versions(bucket: string, name: string): Versions {
    this.getBucket(bucket);
    const v = this.store.get(objectsOf(bucket), name) as Versions | undefined;
    return v ? structuredClone(v) : { name, noncurrent: [] };
  }

  /**
   * Writes one name's versions back; a name with no version left is gone from the store, and so
   * are the bytes of every version the write dropped.
   */
  private save(bucket: string, v: Versions): void {
    const col = objectsOf(bucket);
    const kept = new Set([v.live, ...v.noncurrent].filter((o) => o !== undefined).map(blobKey));
    const before = this.store.get(col, v.name) as Versions | undefined;
    for (const o of [before?.live, ...(before?.noncurrent ?? [])])
      if (o && !kept.has(blobKey(o))) this.blobs.delete(blobKey(o));
    if (!v.live && v.noncurrent.length === 0) this.store.remove(col, v.name);
    else if (!this.store.has(col, v.name)) this.store.insert(col, v as unknown as Resource);
    else this.store.update(col, v.name, () => v as unknown as Resource);
  }

  private withData(resource: StorageObject | undefined): Stored | undefined {
    return resource && { resource, data: this.blobs.get(blobKey(resource))! };
  }

  /** The version `generation` names (live or noncurrent), or the live one. */
  private version(v: Versions, generation?: string | null): StorageObject | undefined {
    if (!generation) return v.live;
    return [v.live, ...v.noncurrent].find((s) => s?.generation === generation);
  }

  private versioned(bucket: string): boolean {
    return (this.bucket(bucket)?.versioning as { enabled?: unknown } | undefined)?.enabled === true;
  }

  /** The live object (or the version `generation` names), after its read preconditions. */
  getObject(
    bucket: string,
    name: string,
    p: Preconditions = {},
    generation?: string | null,
  ): { resource: StorageObject; data: Buffer } {
    const found = this.withData(this.version(this.versions(bucket, name), generation));
    if (!found) throw noSuchObject(bucket, name);
    checkPreconditions(found.resource, p, 'read');
    return found;
  }

  /** Every live object of a bucket — with `versions`, every version — sorted by name, then generation (the JSON API's list order). */
  listObjects(bucket: string, versions = false): StorageObject[] {
    this.getBucket(bucket);
    const all = this.allVersions(bucket).flatMap((v) => [
      ...(versions ? v.noncurrent : []),
      ...(v.live ? [v.live] : []),
    ]);
    return all.sort((a, b) => byName(a, b) || (BigInt(a.generation) < BigInt(b.generation) ? -1 : 1));
  }

  /** The live version stops being live: kept as noncurrent in a versioned bucket, gone otherwise. */
  private retire(bucket: string, v: Versions): void {
    const old = v.live;
    if (!old) return;
    delete v.live;
    if (this.versioned(bucket)) {
      const archived = { ...old, timeDeleted: new Date(this.timers.now()).toISOString() };
      v.noncurrent.push(archived);
      this.emit(ARCHIVED_TYPE, archived);
    } else {
      this.emit(DELETED_TYPE, old);
    }
  }

  /** Writes a new generation of `name` and emits `finalized` (unless seeding); answers the object resource. */
  writeObject(
    bucket: string,
    name: string,
    data: Buffer,
    meta: ObjectMetadata,
    p: Preconditions = {},
    emit = true,
  ): StorageObject {
    validateObjectName(name);
    const versions = this.versions(bucket, name);
    checkPreconditions(versions.live, p, 'write');
    const generation = this.nextGeneration();
    const now = new Date(this.timers.now()).toISOString();
    const resource: StorageObject = {
      kind: 'storage#object',
      id: `${bucket}/${name}/${generation}`,
      selfLink: `${API}/b/${bucket}/o/${encodeURIComponent(name)}`,
      mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?generation=${generation}&alt=media`,
      name,
      bucket,
      generation,
      metageneration: '1',
      contentType: meta.contentType ?? 'application/octet-stream',
      storageClass: 'STANDARD',
      size: String(data.length),
      md5Hash: md5(data),
      crc32c: crc32c(data),
      etag: etag(generation, '1'),
      timeCreated: now,
      updated: now,
      timeStorageClassUpdated: now,
      timeFinalized: now,
      ...pickWritable(meta),
    };
    if (emit) this.retire(bucket, versions);
    else if (versions.live && this.versioned(bucket)) versions.noncurrent.push({ ...versions.live, timeDeleted: now });
    this.blobs.set(blobKey(resource), data);
    versions.live = resource;
    this.save(bucket, versions);
    if (emit) this.emit(FINALIZED_TYPE, resource);
    return resource;
  }

  /** Metadata patch: bumps `metageneration`; `metadata` keys set to null are removed. */
  patchObject(bucket: string, name: string, patch: Record<string, unknown>, p: Preconditions = {}): StorageObject {
    const versions = this.versions(bucket, name);
    const found = versions.live;
    if (!found) throw noSuchObject(bucket, name);
    checkPreconditions(found, p, 'write');
    const next: StorageObject = { ...found, ...pickWritable(patch as ObjectMetadata) };
    if (patch.metadata && typeof patch.metadata === 'object') {
      const merged = {
        ...(found.metadata as Record<string, string> | undefined),
        ...(patch.metadata as Record<string, string | null>),
      };
      next.metadata = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== null));
    }
    next.metageneration = String(Number(found.metageneration) + 1);
    next.etag = etag(next.generation, next.metageneration);
    next.updated = new Date(this.timers.now()).toISOString();
    versions.live = next;
    this.save(bucket, versions);
    this.emit(METADATA_UPDATED_TYPE, next);
    return next;
  }

  /** Without `generation`: the live version is retired (kept as noncurrent when versioned). With it: that version is gone for good. */
  deleteObject(bucket: string, name: string, p: Preconditions = {}, generation?: string | null): void {
    const v = this.versions(bucket, name);
    const found = this.version(v, generation);
    if (!found) throw noSuchObject(bucket, name);
    checkPreconditions(found, p, 'write');
    if (!generation || found === v.live) {
      if (generation) {
        delete v.live;
        this.save(bucket, v);
        this.emit(DELETED_TYPE, found);
      } else {
        this.retire(bucket, v);
        this.save(bucket, v);
      }
      return;
    }
    v.noncurrent = v.noncurrent.filter((s) => s !== found);
    this.save(bucket, v);
    this.emit(DELETED_TYPE, found);
  }

  private emit(type: string, resource: StorageObject): void {
    this.events.publish({
      id: newEventId(),
      source: `//storage.googleapis.com/projects/_/buckets/${resource.bucket}`,
      subject: `objects/${resource.name}`,
      type,
      extensions: { bucket: resource.bucket },
      data: resource,
    });
  }
}

function validateObjectName(name: string): void {
  const bytes = Buffer.byteLength(name);
  if (
    bytes === 0 ||
    bytes > 1024 ||
    name === '.' ||
    name === '..' ||
    /[\r\n]/.test(name) ||
    name.startsWith('.well-known/acme-challenge/')
  ) {
    throw new HttpError(
      400,
      `Invalid object name: '${name}'. Object names are 1-1024 bytes of UTF-8 without carriage returns or line feeds.`,
      'invalid',
    );
  }
}

function pickWritable(meta: ObjectMetadata): Partial<ObjectMetadata> {
  const out: Record<string, unknown> = {};
  for (const key of WRITABLE) if (meta[key] !== undefined && meta[key] !== null) out[key] = meta[key];
  return out as Partial<ObjectMetadata>;
}

const etag = (generation: string, metageneration: string) =>
  Buffer.from(`${generation}/${metageneration}`).toString('base64');
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function publicBucket(bucket: Bucket): Bucket {
  const { project: _project, ...rest } = bucket;
  return rest as Bucket;
}
