/**
 * Reads the allowlist object: metadata first, then the bytes of exactly that generation, so a file
 * replaced between the two reads is never half of each. An event names the generation it was
 * for; when a newer one is already live the event is superseded (that upload's own event, or the
 * tick, applies it), so a redelivered old event can never bring an older file back.
 */
import { ApiError } from '../errors.js';
import type { Transport } from '../gcp/transport.js';
import { compareGenerations, getObjectMetadata, readObjectBytes, type StorageObject } from '../gcp/storage.js';
import { AllowlistFileError } from '../allowlist/errors.js';
import { MAX_FILE_BYTES } from '../allowlist/safe-yaml.js';

export type ObjectRead =
  | { readonly kind: 'file'; readonly source: string; readonly generation: string; readonly bytes: Uint8Array; readonly object: StorageObject }
  | { readonly kind: 'superseded'; readonly live: string }
  | { readonly kind: 'missing'; readonly source: string };

export const gsUrl = (bucket: string, name: string) => `gs://${bucket}/${name}`;

/** The live object, or the event's generation of it (`superseded` when a newer one is live). */
export async function readAllowlistObject(t: Transport, bucket: string, name: string, eventGeneration?: string): Promise<ObjectRead> {
  const source = gsUrl(bucket, name);
  const meta = await metadataOrMissing(t, bucket, name);
  if (!meta) return { kind: 'missing', source };
  if (eventGeneration !== undefined) {
    const order = compareGenerations(eventGeneration, meta.generation);
    if (order < 0) return { kind: 'superseded', live: meta.generation };
    if (order > 0) throw new ApiError(503, 'UNAVAILABLE', `${source}: the event names generation ${eventGeneration} but the live object is still ${meta.generation}; retry`);
  }
  if (Number(meta.size) > MAX_FILE_BYTES) {
    throw new AllowlistFileError(`${source}#${meta.generation}`, [{ severity: 'error', message: `the file is ${meta.size} bytes; the limit is ${MAX_FILE_BYTES} (1 MiB): split the allowlist or merge entries into wider ranges`, path: '', line: 1, column: 1, source: `${source}#${meta.generation}` }]);
  }
  try {
    const bytes = await readObjectBytes(t, bucket, name, meta.generation);
    return { kind: 'file', source: `${source}#${meta.generation}`, generation: meta.generation, bytes, object: meta };
  } catch (err) {
    // Replaced between the two reads: the newer generation is the truth now.
    if (err instanceof ApiError && err.code === 404) return eventGeneration === undefined ? readAllowlistObject(t, bucket, name) : { kind: 'superseded', live: '(newer)' };
    throw err;
  }
}

async function metadataOrMissing(t: Transport, bucket: string, name: string): Promise<StorageObject | undefined> {
  try {
    return await getObjectMetadata(t, bucket, name);
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return undefined;
    throw err;
  }
}
