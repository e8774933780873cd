/**
 * Reads the allowlist object: metadata first, then the bytes of exactly that generation, so a file
 * replaced between the two reads is never half of each. An event names the generation it was
 * for; when a newer one is already live the event is superseded (that upload's own event, or the
 * tick, applies it), so a redelivered old event can never bring an older file back.
 *
 * A file over the size limit is not downloaded: it comes back as a file with that one problem, and
 * takes the same refusal path as every other invalid file. The bucket keeps versions, so the file a
 * policy was last verified to hold can be read by its generation after it was replaced or deleted.
 */
import { ApiError, isNotFound, unlessNotFound } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { getObjectMetadata, readObjectBytes, type StorageObject } from '../gcp/storage.js';
import { compareGenerations } from '../gcp/paths.js';
import { MAX_FILE_BYTES, tooLargeMessage } from '../allowlist/safe-yaml.js';
import type { Problem } from '../allowlist/problems.js';

export interface FileRead {
  readonly kind: 'file';
  readonly source: string;
  readonly generation?: string;
  /** Empty when `tooLarge` is set. */
  readonly bytes: Uint8Array;
  readonly object?: StorageObject;
  /** The size problem of a file over the limit, which was not downloaded. */
  readonly tooLarge?: Problem;
}

export type ObjectRead =
  | FileRead
  | { readonly kind: 'superseded'; readonly live: string }
  | { readonly kind: 'missing'; readonly source: string };

export const gsUrl = (bucket: string, name: string) => `gs://${bucket}/${name}`;

/** The live object, or the event's generation of it (`superseded` when a newer one is live). */
export async function readAllowlistObject(
  t: Transport,
  bucket: string,
  name: string,
  eventGeneration?: string,
): Promise<ObjectRead> {
  const source = gsUrl(bucket, name);
  const meta = await metadataOrMissing(t, bucket, name);
  if (!meta) return { kind: 'missing', source };
  if (eventGeneration !== undefined) {
    const order = compareGenerations(eventGeneration, meta.generation);
    if (order < 0) return { kind: 'superseded', live: meta.generation };
    if (order > 0)
      throw new ApiError(
        503,
        'UNAVAILABLE',
        `${source}: the event names generation ${eventGeneration} but the live object is still ${meta.generation}; retry`,
      );
  }
  try {
    return await bytesOf(t, meta);
  } catch (err) {
    // Replaced between the two reads: the newer generation is the truth now.
    if (isNotFound(err))
      return eventGeneration === undefined
        ? readAllowlistObject(t, bucket, name)
        : { kind: 'superseded', live: '(newer)' };
    throw err;
  }
}

/** One generation of the object, live or noncurrent; `undefined` when the bucket no longer has it. */
export async function readAllowlistVersion(
  t: Transport,
  bucket: string,
  name: string,
  generation: string,
): Promise<FileRead | undefined> {
  const meta = await unlessNotFound(getObjectMetadata(t, bucket, name, generation));
  return meta && unlessNotFound(bytesOf(t, meta));
}

async function bytesOf(t: Transport, meta: StorageObject): Promise<FileRead> {
  const source = `${gsUrl(meta.bucket, meta.name)}#${meta.generation}`;
  if (Number(meta.size) > MAX_FILE_BYTES) {
    return {
      kind: 'file',
      source,
      generation: meta.generation,
      bytes: new Uint8Array(),
      object: meta,
      tooLarge: {
        severity: 'error',
        message: tooLargeMessage(Number(meta.size)),
        path: '',
        line: 1,
        column: 1,
        source,
      },
    };
  }
  const bytes = await readObjectBytes(t, meta.bucket, meta.name, meta.generation);
  return { kind: 'file', source, generation: meta.generation, bytes, object: meta };
}

const metadataOrMissing = (t: Transport, bucket: string, name: string) =>
  unlessNotFound(getObjectMetadata(t, bucket, name));
