/**
 * The Cloud Storage JSON API surface of the local Google Cloud. Routes answer on both bases the
 * official client uses: `/storage/v1/b/…` (with `apiEndpoint`) and `/b/…` (with
 * `STORAGE_EMULATOR_HOST`, which the client takes verbatim as the JSON API base URL); uploads
 * always go to `/upload/storage/v1/b/{bucket}/o`.
 */
import { HttpError } from '../errors.js';
import type { Reply, Request, Router } from '../http.js';
import { readPreconditions } from './preconditions.js';
import type { CloudStorage, StorageObject } from './storage.js';
import { Uploads } from './uploads.js';
import type { Timers } from '../timers.js';

const DEFAULT_PAGE = 1000;

/**
 * Bytes of an object with the headers the client validates downloads against. Errors of a media
 * download are plain text, as production sends them (the client uses the body as the message).
 */
function media(storage: CloudStorage, r: Request): Reply {
  let found: ReturnType<CloudStorage['getObject']>;
  try {
    found = storage.getObject(
      r.params.bucket!,
      r.params.object!,
      readPreconditions(r.query),
      r.query.get('generation'),
    );
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return { status: err.code, raw: err.message, headers: { 'content-type': 'text/plain; charset=utf-8' } };
  }
  const { resource, data } = found;
  return {
    status: 200,
    raw: data,
    headers: {
      'content-type': String(resource.contentType),
      'x-goog-hash': `crc32c=${resource.crc32c},md5=${resource.md5Hash}`,
      'x-goog-generation': resource.generation,
      'x-goog-metageneration': resource.metageneration,
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(data.length),
      etag: String(resource.etag),
    },
  };
}

type Entry = { kind: 'object'; name: string; object: StorageObject } | { kind: 'prefix'; name: string };

/** objects.list: `prefix`, `delimiter` (collapsed into `prefixes`), offsets and pages. */
export function listObjects(objects: StorageObject[], q: URLSearchParams) {
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const [startOffset, endOffset] = [q.get('startOffset'), q.get('endOffset')];
  const entries = new Map<string, Entry>();
  for (const object of objects) {
    if (
      !object.name.startsWith(prefix) ||
      (startOffset && object.name < startOffset) ||
      (endOffset && object.name >= endOffset)
    )
      continue;
    const cut = delimiter ? object.name.indexOf(delimiter, prefix.length) : -1;
    if (cut < 0) entries.set(`${object.name}#${object.generation}`, { kind: 'object', name: object.name, object });
    else
      entries.set(object.name.slice(0, cut + delimiter.length), {
        kind: 'prefix',
        name: object.name.slice(0, cut + delimiter.length),
      });
  }
  const sorted = [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = pageOf(sorted, q);
  const items = page.items.flatMap((e) => (e.kind === 'object' ? [e.object] : []));
  const prefixes = page.items.flatMap((e) => (e.kind === 'prefix' ? [e.name] : []));
  return {
    kind: 'storage#objects',
    ...(items.length ? { items } : {}),
    ...(prefixes.length ? { prefixes } : {}),
    ...(page.next ? { nextPageToken: page.next } : {}),
  };
}

/** One page of name-sorted entries; the token is the last name returned. */
function pageOf<T extends { name: string }>(sorted: T[], q: URLSearchParams): { items: T[]; next?: string } {
  const max = q.get('maxResults') ? Number(q.get('maxResults')) : DEFAULT_PAGE;
  if (!Number.isInteger(max) || max < 1)
    throw new HttpError(
      400,
      `Invalid argument for parameter maxResults: '${q.get('maxResults')}'.`,
      'invalidParameter',
    );
  const token = q.get('pageToken');
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : undefined;
  const rest = after === undefined ? sorted : sorted.filter((e) => e.name > after);
  const items = rest.slice(0, Math.min(max, DEFAULT_PAGE));
  return rest.length > items.length
    ? { items, next: Buffer.from(items[items.length - 1]!.name).toString('base64url') }
    : { items };
}

function registerJsonApi(router: Router, storage: CloudStorage, base: string): void {
  router.on('GET', `${base}/b`, 'storage.buckets.list', (r) => {
    const project = r.query.get('project');
    if (!project) throw new HttpError(400, 'Required parameter: project', 'required');
    const prefix = r.query.get('prefix') ?? '';
    const page = pageOf(
      storage.listBuckets(project).filter((b) => b.name.startsWith(prefix)),
      r.query,
    );
    return {
      kind: 'storage#buckets',
      ...(page.items.length ? { items: page.items } : {}),
      ...(page.next ? { nextPageToken: page.next } : {}),
    };
  });
  router.on('POST', `${base}/b`, 'storage.buckets.insert', (r) => {
    const project = r.query.get('project');
    if (!project) throw new HttpError(400, 'Required parameter: project', 'required');
    return storage.createBucket(project, (r.body ?? {}) as Record<string, unknown>);
  });
  router.on('GET', `${base}/b/{bucket}`, 'storage.buckets.get', (r) => storage.getBucket(r.params.bucket!));
  router.on('DELETE', `${base}/b/{bucket}`, 'storage.buckets.delete', (r) => {
    storage.deleteBucket(r.params.bucket!);
    return { status: 204 };
  });
  router.on('GET', `${base}/b/{bucket}/o`, 'storage.objects.list', (r) =>
    listObjects(storage.listObjects(r.params.bucket!, r.query.get('versions') === 'true'), r.query),
  );
  router.on('GET', `${base}/b/{bucket}/o/{object*}`, 'storage.objects.get', (r) => {
    if (r.query.get('alt') === 'media') return media(storage, r);
    return storage.getObject(r.params.bucket!, r.params.object!, readPreconditions(r.query), r.query.get('generation'))
      .resource;
  });
  router.on('PATCH', `${base}/b/{bucket}/o/{object*}`, 'storage.objects.patch', (r) =>
    storage.patchObject(
      r.params.bucket!,
      r.params.object!,
      (r.body ?? {}) as Record<string, unknown>,
      readPreconditions(r.query),
    ),
  );
  router.on('DELETE', `${base}/b/{bucket}/o/{object*}`, 'storage.objects.delete', (r) => {
    storage.deleteObject(r.params.bucket!, r.params.object!, readPreconditions(r.query), r.query.get('generation'));
    return { status: 204 };
  });
}

/** Registers buckets, objects and uploads on the router. */
export function registerStorage(router: Router, storage: CloudStorage, timers: Timers): void {
  const uploads = new Uploads(storage, timers);
  const upload = '/upload/storage/v1/b/{bucket}/o';
  router.on('POST', upload, 'storage.objects.insert', (r) => uploads.start(r));
  router.on('PUT', upload, 'storage.objects.insert', (r) => uploads.put(r));
  router.on('DELETE', upload, 'storage.objects.insert', (r) => uploads.cancel(r));
  for (const base of ['/storage/v1', '']) registerJsonApi(router, storage, base);
}
