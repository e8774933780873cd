/**
 * Cloud Storage objects through the JSON API (read side only: netreflex reads its config, it
 * never writes it). Metadata first, then the bytes of exactly that generation, so a file
 * replaced between the two reads is a 404 to retry rather than a mix of two versions.
 */
import type { Transport } from './transport.js';

export interface StorageObject {
  bucket: string;
  name: string;
  /** int64 as a decimal string, as the JSON API sends it; compare with `compareGenerations`. */
  generation: string;
  metageneration: string;
  size: string;
  contentType?: string;
  md5Hash?: string;
  crc32c?: string;
  updated?: string;
  metadata?: Record<string, string>;
}

const objectPath = (bucket: string, name: string) => `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}`;

/** `storage.objects.get`: the live version's metadata (404 when the object does not exist). */
export const getObjectMetadata = (t: Transport, bucket: string, name: string) => t.request<StorageObject>({ service: 'storage', method: 'GET', path: objectPath(bucket, name) });

/**
 * `storage.objects.get` with `alt=media`: the object's bytes (of `generation` when given), undecoded,
 * so the caller decides what invalid UTF-8 means (the allowlist refuses it).
 */
export async function readObjectBytes(t: Transport, bucket: string, name: string, generation?: string): Promise<Uint8Array> {
  const data = await t.request<ArrayBuffer>({ service: 'storage', method: 'GET', path: objectPath(bucket, name), query: { alt: 'media', generation }, responseType: 'arraybuffer' });
  return new Uint8Array(data);
}

/** The object as text; invalid UTF-8 becomes U+FFFD (for files where that is harmless). */
export const readObjectText = async (t: Transport, bucket: string, name: string, generation?: string) => new TextDecoder().decode(await readObjectBytes(t, bucket, name, generation));

/** Sign of `a - b` for two decimal int64 generation strings, without rounding through a JS number. */
export function compareGenerations(a: string, b: string): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
