/**
 * The three upload protocols of the JSON API on `/upload/storage/v1/b/{bucket}/o`: `media`
 * (bytes only), `multipart` (JSON metadata + bytes in one multipart/related body; what
 * `file.save(data, {resumable: false})` sends) and `resumable` (a session started by a POST and
 * fed by PUTs with `Content-Range`; the official client's default even for small files).
 */
import { randomUUID } from 'node:crypto';
import { HttpError } from '../errors.js';
import type { Request, Reply } from '../http.js';
import { crc32c, md5, parseGoogHash } from './checksums.js';
import { checkPreconditions, readPreconditions, type Preconditions } from './preconditions.js';
import type { CloudStorage, ObjectMetadata, StorageObject } from './storage.js';
import type { Timers } from '../timers.js';

interface Session {
  bucket: string;
  name: string;
  meta: ObjectMetadata;
  preconditions: Preconditions;
  chunks: Buffer[];
  received: number;
  done?: StorageObject;
}

const header = (req: Request, name: string) => [req.headers[name] ?? []].flat()[0];

export class Uploads {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly storage: CloudStorage,
    private readonly timers: Timers,
  ) {}

  /** POST /upload/storage/v1/b/{bucket}/o?uploadType=… */
  start(req: Request): Reply | StorageObject {
    const bucket = req.params.bucket!;
    const type = req.query.get('uploadType');
    switch (type) {
      case 'media':
        return this.write(
          bucket,
          requireName(req.query.get('name')),
          req.rawBody,
          { contentType: header(req, 'content-type') },
          req,
        );
      case 'multipart':
        return this.multipart(bucket, req);
      case 'resumable':
        return this.open(bucket, req);
      default:
        throw new HttpError(
          400,
          `Invalid upload type '${type ?? ''}': use media, multipart or resumable.`,
          'invalidParameter',
        );
    }
  }

  private write(
    bucket: string,
    name: string,
    data: Buffer,
    meta: ObjectMetadata & { crc32c?: string; md5Hash?: string },
    req: Request,
  ): StorageObject {
    verifyChecksums(data, { crc32c: meta.crc32c, md5: meta.md5Hash, ...parseGoogHash(req.headers['x-goog-hash']) });
    return this.storage.writeObject(bucket, name, data, meta, readPreconditions(req.query));
  }

  private multipart(bucket: string, req: Request): StorageObject {
    const [metaPart, mediaPart] = parseMultipart(req);
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(metaPart!.body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new HttpError(400, 'Metadata part is not valid JSON.', 'parseError');
    }
    const name = requireName((meta.name as string | undefined) ?? req.query.get('name'));
    return this.write(
      bucket,
      name,
      mediaPart!.body,
      { ...(meta as ObjectMetadata), contentType: (meta.contentType as string | undefined) ?? mediaPart!.contentType },
      req,
    );
  }

  /** Starts a session; the Location header is where the client PUTs the bytes. */
  private open(bucket: string, req: Request): Reply {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const name = requireName((body.name as string | undefined) ?? req.query.get('name'));
    const preconditions = readPreconditions(req.query);
    this.storage.getBucket(bucket);
    const live = this.storage.listObjects(bucket).find((o) => o.name === name);
    checkPreconditions(live, preconditions, 'write');
    const id = randomUUID();
    const contentType = (body.contentType as string | undefined) ?? header(req, 'x-upload-content-type');
    this.sessions.set(id, {
      bucket,
      name,
      meta: { ...(body as ObjectMetadata), ...(contentType ? { contentType } : {}) },
      preconditions,
      chunks: [],
      received: 0,
    });
    const location = `http://${header(req, 'host') ?? '127.0.0.1'}${req.path}?uploadType=resumable&upload_id=${id}`;
    return { status: 200, raw: '', headers: { location, 'x-guploader-uploadid': id } };
  }

  /** PUT on a session URL: appends a chunk, answers 308 until the last byte, then the object. */
  put(req: Request): Reply | StorageObject {
    const id = req.query.get('upload_id') ?? '';
    const session = this.sessions.get(id);
    if (!session) throw new HttpError(404, `No such upload session: '${id}'.`, 'notFound');
    if (session.done) return session.done;
    const range = parseContentRange(header(req, 'content-range'), req.rawBody.length);
    if (range.start !== undefined) {
      if (range.start !== session.received) return incomplete(session);
      session.chunks.push(req.rawBody);
      session.received += req.rawBody.length;
    }
    const last =
      range.total !== undefined ? session.received >= range.total : range.start !== undefined && range.openEnded;
    if (!last) return incomplete(session);
    const data = Buffer.concat(session.chunks);
    verifyChecksums(data, {
      crc32c: (session.meta as { crc32c?: string }).crc32c,
      md5: (session.meta as { md5Hash?: string }).md5Hash,
      ...parseGoogHash(req.headers['x-goog-hash']),
    });
    session.done = this.storage.writeObject(session.bucket, session.name, data, session.meta, session.preconditions);
    this.timers.after(60_000, () => this.sessions.delete(id), { unref: true });
    return session.done;
  }

  /** DELETE on a session URL cancels it (499, as production answers). */
  cancel(req: Request): Reply {
    this.sessions.delete(req.query.get('upload_id') ?? '');
    return { status: 499, raw: '' };
  }
}

function incomplete(session: Session): Reply {
  return { status: 308, raw: '', headers: session.received > 0 ? { range: `bytes=0-${session.received - 1}` } : {} };
}

/**
 * `bytes 0-99/200`, `bytes 0-*\/*` (one request carries everything, size unknown),
 * `bytes *\/200` (finalize or query) and `bytes *\/*` (status query).
 */
function parseContentRange(
  value: string | undefined,
  length: number,
): { start?: number; total?: number; openEnded: boolean } {
  if (!value) return { start: 0, total: length, openEnded: false };
  const m = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(value.trim());
  if (!m) throw new HttpError(400, `Invalid Content-Range header: '${value}'.`, 'invalid');
  const total = m[4] === '*' ? undefined : Number(m[4]);
  if (m[1] === '*') return { total, openEnded: false };
  return { start: Number(m[2]), total, openEnded: m[3] === '*' };
}

function verifyChecksums(data: Buffer, expected: { crc32c?: string; md5?: string }): void {
  const actual = { crc32c: crc32c(data), md5: md5(data) };
  if (expected.crc32c && expected.crc32c !== actual.crc32c)
    throw new HttpError(
      400,
      `Provided CRC32C "${expected.crc32c}" doesn't match calculated CRC32C "${actual.crc32c}".`,
      'invalid',
    );
  if (expected.md5 && expected.md5 !== actual.md5)
    throw new HttpError(
      400,
      `Provided MD5 hash "${expected.md5}" doesn't match calculated MD5 hash "${actual.md5}".`,
      'invalid',
    );
}

function requireName(name: string | null | undefined): string {
  if (!name)
    throw new HttpError(
      400,
      'Required parameter: name. Set the object name in the query (?name=) or in the metadata.',
      'required',
    );
  return name;
}

/** The parts of a multipart/related body, each with its Content-Type. */
function parseMultipart(req: Request): { contentType?: string; body: Buffer }[] {
  const type = header(req, 'content-type') ?? '';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!/^multipart\/related/i.test(type) || !boundary)
    throw new HttpError(
      400,
      `A multipart upload needs Content-Type multipart/related with a boundary (got '${type}').`,
      'invalid',
    );
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { contentType?: string; body: Buffer }[] = [];
  let at = req.rawBody.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (req.rawBody.subarray(start, start + 2).toString() === '--') break;
    const next = req.rawBody.indexOf(delimiter, start);
    if (next < 0) break;
    parts.push(parsePart(req.rawBody.subarray(start, next)));
    at = next;
  }
  if (parts.length !== 2)
    throw new HttpError(
      400,
      `A multipart upload has exactly two parts, metadata and media (got ${parts.length}).`,
      'invalid',
    );
  return parts;
}

function parsePart(raw: Buffer): { contentType?: string; body: Buffer } {
  const headerEnd = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, headerEnd).toString('utf8');
  let body = raw.subarray(headerEnd + 4);
  if (body.subarray(-2).toString() === '\r\n') body = body.subarray(0, -2);
  const contentType = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
  return { contentType, body };
}
