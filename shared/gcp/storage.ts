/**
 * Cloud Storage objects through the JSON API. netreflex reads its config (metadata first, then
 * the bytes of exactly that generation, so a file replaced between the two reads is a 404 to retry
 * rather than a mix of two versions) and never writes it; the one thing it writes is small JSON
 * records under generation preconditions (pipelineRequests' claims), where the precondition is
 * the lock. A noncurrent version (a versioned bucket keeps them) is read by its generation.
 */
import type { Transport } from './transport.js';
import { unlessNotFound } from '../errors.js';

export interface StorageObject {
  bucket: string;
  name: string;
  /** int64 as a decimal string, as the JSON API sends it; compare with `compareGenerations` (gcp/paths.ts). */
  generation: string;
  metageneration: string;
  size: string;
  contentType?: string;
  md5Hash?: string;
  crc32c?: string;
  updated?: string;
  timeCreated?: string;
  /** Set on a noncurrent version: when it stopped being the live one. */
  timeDeleted?: string;
  metadata?: Record<string, string>;
}

const objectPath = (bucket: string, name: string) =>
  `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}`;

/**
 * `storage.objects.get`: the live version's metadata (404 when the object does not exist), or that
 * of `generation` — which a bucket with object versioning keeps after the object is replaced or
 * deleted (a noncurrent version, with `timeDeleted`).
 */
export const getObjectMetadata = (t: Transport, bucket: string, name: string, generation?: string) =>
  t.request<StorageObject>({
    service: 'storage',
    method: 'GET',
    path: objectPath(bucket, name),
    query: { generation },
  });

/**
 * `storage.objects.get` with `alt=media`: the object's bytes (of `generation` when given), undecoded,
 * so the caller decides what invalid UTF-8 means (the allowlist refuses it).
 */
export async function readObjectBytes(
  t: Transport,
  bucket: string,
  name: string,
  generation?: string,
): Promise<Uint8Array> {
  const data = await t.request<ArrayBuffer>({
    service: 'storage',
    method: 'GET',
    path: objectPath(bucket, name),
    query: { alt: 'media', generation },
    responseType: 'arraybuffer',
  });
  return new Uint8Array(data);
}

/** The object as text; invalid UTF-8 becomes U+FFFD (for files where that is harmless). */
export const readObjectText = async (t: Transport, bucket: string, name: string, generation?: string) =>
  new TextDecoder().decode(await readObjectBytes(t, bucket, name, generation));

export interface WriteCondition {
  /**
   * `0`: create only — 412 if the object exists (the first writer wins); a generation: replace
   * exactly that version — 412 if someone wrote since
   * (https://cloud.google.com/storage/docs/request-preconditions).
   */
  ifGenerationMatch: string;
}

/** `storage.objects.insert` (media upload) of `value` as JSON under a generation precondition; answers the new object. */
export function writeJsonObject(
  t: Transport,
  bucket: string,
  name: string,
  value: object,
  condition: WriteCondition,
): Promise<StorageObject> {
  return t.request<StorageObject>({
    service: 'storage',
    method: 'POST',
    path: `/upload/storage/v1/b/${encodeURIComponent(bucket)}/o`,
    query: { uploadType: 'media', name, ifGenerationMatch: condition.ifGenerationMatch },
    body: value,
  });
}

/** The object's live generation and its JSON content, or undefined when it does not exist. */
export async function readJsonObject<T>(
  t: Transport,
  bucket: string,
  name: string,
): Promise<{ object: StorageObject; value: T } | undefined> {
  const object = await unlessNotFound(getObjectMetadata(t, bucket, name));
  if (!object) return undefined;
  const value = JSON.parse(await readObjectText(t, bucket, name, object.generation)) as T;
  return { object, value };
}
