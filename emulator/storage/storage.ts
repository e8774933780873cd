/**
 * Cloud Storage state of the local Google Cloud: buckets, and the live version of each object
 * with its bytes. Every write takes a new, strictly increasing `generation` (a microsecond clock,
 * like production) and resets `metageneration` to 1; a metadata patch bumps `metageneration`.
 * Writes emit the `google.cloud.storage.object.v1.finalized` CloudEvent Eventarc delivers, with
 * the `bucket` attribute its triggers filter on — how a config upload reaches a function.
 */
import { HttpError } from '../errors.js';
import type { EventRouter } from '../events/router.js';
import { newEventId } from '../events/router.js';
import { crc32c, md5 } from './checksums.js';
import { checkPreconditions, type Preconditions } from './preconditions.js';

export const FINALIZED_TYPE = 'google.cloud.storage.object.v1.finalized';
export const DELETED_TYPE = 'google.cloud.storage.object.v1.deleted';
export const METADATA_UPDATED_TYPE = 'google.cloud.storage.object.v1.metadataUpdated';

export type Bucket = Record<string, unknown> & { name: string };
/** An object resource exactly as the JSON API returns it (numbers as strings). */
export type StorageObject = Record<string, unknown> & { name: string; bucket: string; generation: string; metageneration: string };

interface Stored {
  resource: StorageObject;
  data: Buffer;
}

/** Metadata a writer may set; everything else is computed. */
export interface ObjectMetadata {
  contentType?: string;
  metadata?: Record<string, string>;
  cacheControl?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
}

const WRITABLE = ['contentType', 'metadata', 'cacheControl', 'contentEncoding', 'contentDisposition', 'contentLanguage'] as const;
const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const API = 'https://www.googleapis.com/storage/v1';

export const noSuchBucket = () => new HttpError(404, 'The specified bucket does not exist.', 'notFound');
export const noSuchObject = (bucket: string, name: string) => new HttpError(404, `No such object: ${bucket}/${name}`, 'notFound');

export class CloudStorage {
  private readonly buckets = new Map<string, Bucket>();
  private readonly objects = new Map<string, Map<string, Stored>>();
  private lastGeneration = 0;

  constructor(
    private readonly events: EventRouter,
    private readonly projectNumber: (project: string) => string = () => '0',
  ) {}

  /** A generation strictly greater than every earlier one (microseconds since the epoch). */
  private nextGeneration(): string {
    this.lastGeneration = Math.max(this.lastGeneration + 1, Date.now() * 1000);
    return String(this.lastGeneration);
  }

  createBucket(project: string, body: Record<string, unknown>): Bucket {
    const name = body.name;
    if (typeof name !== 'string' || !name) throw new HttpError(400, 'Required', 'required');
    if (!BUCKET_NAME.test(name) || name.includes('..')) throw new HttpError(400, `Invalid bucket name: '${name}'`, 'invalid');
    if (this.buckets.has(name)) throw new HttpError(409, 'Your previous request to create the named bucket succeeded and you already own it.', 'conflict');
    const now = new Date().toISOString();
    const location = typeof body.location === 'string' ? body.location.toUpperCase() : 'US';
    const bucket: Bucket = {
      kind: 'storage#bucket', selfLink: `${API}/b/${name}`, id: name, name, projectNumber: this.projectNumber(project),
      metageneration: '1', location, storageClass: typeof body.storageClass === 'string' ? body.storageClass : 'STANDARD',
      etag: 'CAE=', timeCreated: now, updated: now, locationType: location.includes('-') ? 'region' : 'multi-region',
      iamConfiguration: { uniformBucketLevelAccess: { enabled: true }, publicAccessPrevention: 'enforced' },
      ...(body.labels && typeof body.labels === 'object' ? { labels: body.labels } : {}),
      ...(body.versioning && typeof body.versioning === 'object' ? { versioning: body.versioning } : {}),
      project,
    };
    this.buckets.set(name, bucket);
    this.objects.set(name, new Map());
    return publicBucket(bucket);
  }

  getBucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket();
    return publicBucket(bucket);
  }

  listBuckets(project: string): Bucket[] {
    return [...this.buckets.values()].filter((b) => b.project === project).sort(byName).map(publicBucket);
  }

  deleteBucket(name: string): void {
    this.getBucket(name);
    if (this.objects.get(name)!.size > 0) throw new HttpError(409, 'The bucket you tried to delete is not empty.', 'conflict');
    this.buckets.delete(name);
    this.objects.delete(name);
  }

  private stored(bucket: string, name: string): Stored | undefined {
    this.getBucket(bucket);
    return this.objects.get(bucket)!.get(name);
  }

  /** The live object, after its read preconditions; `generation` must name the live version. */
  getObject(bucket: string, name: string, p: Preconditions = {}, generation?: string | null): { resource: StorageObject; data: Buffer } {
    const found = this.stored(bucket, name);
    if (!found || (generation && generation !== found.resource.generation)) throw noSuchObject(bucket, name);
    checkPreconditions(found.resource, p, 'read');
    return found;
  }

  /** Every live object of a bucket, sorted by name (the JSON API's list order). */
  listObjects(bucket: string): StorageObject[] {
    this.getBucket(bucket);
    return [...this.objects.get(bucket)!.values()].map((s) => s.resource).sort(byName);
  }

  /** Writes a new generation of `name` and emits `finalized` (unless seeding); answers the object resource. */
  writeObject(bucket: string, name: string, data: Buffer, meta: ObjectMetadata, p: Preconditions = {}, emit = true): StorageObject {
    validateObjectName(name);
    const before = this.stored(bucket, name);
    checkPreconditions(before?.resource, p, 'write');
    const generation = this.nextGeneration();
    const now = new Date().toISOString();
    const resource: StorageObject = {
      kind: 'storage#object', id: `${bucket}/${name}/${generation}`, selfLink: `${API}/b/${bucket}/o/${encodeURIComponent(name)}`,
      mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?generation=${generation}&alt=media`,
      name, bucket, generation, metageneration: '1', contentType: meta.contentType ?? 'application/octet-stream',
      storageClass: 'STANDARD', size: String(data.length), md5Hash: md5(data), crc32c: crc32c(data), etag: etag(generation, '1'),
      timeCreated: now, updated: now, timeStorageClassUpdated: now, timeFinalized: now,
      ...pickWritable(meta),
    };
    this.objects.get(bucket)!.set(name, { resource, data });
    if (emit) this.emit(FINALIZED_TYPE, resource);
    return resource;
  }

  /** Metadata patch: bumps `metageneration`; `metadata` keys set to null are removed. */
  patchObject(bucket: string, name: string, patch: Record<string, unknown>, p: Preconditions = {}): StorageObject {
    const found = this.stored(bucket, name);
    if (!found) throw noSuchObject(bucket, name);
    checkPreconditions(found.resource, p, 'write');
    const next: StorageObject = { ...found.resource, ...pickWritable(patch as ObjectMetadata) };
    if (patch.metadata && typeof patch.metadata === 'object') {
      const merged = { ...(found.resource.metadata as Record<string, string> | undefined), ...(patch.metadata as Record<string, string | null>) };
      next.metadata = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== null));
    }
    next.metageneration = String(Number(found.resource.metageneration) + 1);
    next.etag = etag(next.generation, next.metageneration);
    next.updated = new Date().toISOString();
    found.resource = next;
    this.emit(METADATA_UPDATED_TYPE, next);
    return next;
  }

  deleteObject(bucket: string, name: string, p: Preconditions = {}, generation?: string | null): void {
    const found = this.stored(bucket, name);
    if (!found || (generation && generation !== found.resource.generation)) throw noSuchObject(bucket, name);
    checkPreconditions(found.resource, p, 'write');
    this.objects.get(bucket)!.delete(name);
    this.emit(DELETED_TYPE, found.resource);
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
  if (bytes === 0 || bytes > 1024 || name === '.' || name === '..' || /[\r\n]/.test(name) || name.startsWith('.well-known/acme-challenge/')) {
    throw new HttpError(400, `Invalid object name: '${name}'. Object names are 1-1024 bytes of UTF-8 without carriage returns or line feeds.`, 'invalid');
  }
}

function pickWritable(meta: ObjectMetadata): Partial<ObjectMetadata> {
  const out: Record<string, unknown> = {};
  for (const key of WRITABLE) if (meta[key] !== undefined && meta[key] !== null) out[key] = meta[key];
  return out as Partial<ObjectMetadata>;
}

const etag = (generation: string, metageneration: string) => Buffer.from(`${generation}/${metageneration}`).toString('base64');
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function publicBucket(bucket: Bucket): Bucket {
  const { project: _project, ...rest } = bucket;
  return rest as Bucket;
}
