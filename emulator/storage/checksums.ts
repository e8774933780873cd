/**
 * The two checksums Cloud Storage keeps per object, base64 as the JSON API returns them. The
 * official client recomputes both after every upload and download and deletes an upload whose
 * checksum differs ("The uploaded data did not match the data from the server"), so they must be
 * exact: CRC32C (Castagnoli, big-endian) and MD5.
 */
import { createHash } from 'node:crypto';

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32C of `data`, base64 of the big-endian 32-bit value (`crc32c` in the object resource). */
export function crc32c(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

/** MD5 of `data`, base64 (`md5Hash` in the object resource). */
export const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');

/** Parses `x-goog-hash: crc32c=…,md5=…` into its parts. */
export function parseGoogHash(header: string | string[] | undefined): { crc32c?: string; md5?: string } {
  const out: { crc32c?: string; md5?: string } = {};
  for (const pair of [header ?? []].flat().join(',').split(',')) {
    const i = pair.indexOf('=');
    const key = pair.slice(0, i).trim();
    if (key === 'crc32c' || key === 'md5') out[key] = pair.slice(i + 1).trim();
  }
  return out;
}
