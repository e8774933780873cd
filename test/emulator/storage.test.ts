/**
 * The local Cloud Storage through the official @google-cloud/storage client: the JSON API subset
 * netreflex's config pipeline relies on (uploads of every kind, generations, preconditions,
 * listing), kept in the emulator's store, and the finalized CloudEvent an upload sends to
 * subscribed functions.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '@google-cloud/storage';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { eventSink, storageClient, storageClientFromEnv } from '../helpers/storage.js';
import { waitFor } from '../helpers/compute.js';
import { Transport } from '../../shared/gcp/transport.js';
import { getObjectMetadata, readObjectText } from '../../shared/gcp/storage.js';
import { compareGenerations } from '../../shared/gcp/paths.js';

let emu: Emulator;
let gcs: Storage;
const BUCKET = 'netreflex-test-bucket';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: number; message?: string }) => `${e.code}: ${e.message}`,
  );
/** The status of a failed call, wherever the client put it (resumable uploads keep it on `status`). */
const status = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: number; status?: number; response?: { status?: number } }) => e.code ?? e.status ?? e.response?.status,
  );

beforeAll(async () => {
  emu = await startSampleEmulator();
  gcs = storageClient(emu.url);
  await gcs.createBucket(BUCKET);
});

afterAll(async () => {
  await emu?.close();
});

describe('buckets', () => {
  it('creates, gets and lists buckets, and refuses duplicates and bad names', async () => {
    const [meta] = await gcs.bucket(BUCKET).getMetadata();
    expect(meta).toMatchObject({
      name: BUCKET,
      kind: 'storage#bucket',
      projectNumber: SAMPLE.projectNumber,
      storageClass: 'STANDARD',
    });
    const [buckets] = await gcs.getBuckets();
    expect(buckets.map((b) => b.name)).toEqual(
      [SAMPLE.bucket.name, SAMPLE.stateBucket, SAMPLE.template.bucket, BUCKET].sort(),
    );
    expect(await code(gcs.createBucket(BUCKET))).toBe(
      '409: Your previous request to create the named bucket succeeded and you already own it.',
    );
    expect(await code(gcs.createBucket('Bad_Name!'))).toBe("400: Invalid bucket name: 'Bad_Name!'");
    expect(await code(gcs.bucket('no-such-bucket').getMetadata())).toBe('404: The specified bucket does not exist.');
    expect((await gcs.bucket('no-such-bucket').exists())[0]).toBe(false);
  });

  it('refuses to delete a bucket that still holds objects', async () => {
    await gcs.createBucket('netreflex-doomed');
    await gcs.bucket('netreflex-doomed').file('x').save('x', { resumable: false });
    expect(await code(gcs.bucket('netreflex-doomed').delete())).toBe(
      '409: The bucket you tried to delete is not empty.',
    );
    await gcs.bucket('netreflex-doomed').file('x').delete();
    await gcs.bucket('netreflex-doomed').delete();
    expect((await gcs.bucket('netreflex-doomed').exists())[0]).toBe(false);
  });
});

describe('uploads and downloads', () => {
  it('takes a resumable upload (the client default) and serves it back with matching checksums', async () => {
    const file = gcs.bucket(BUCKET).file('dir/resumable.yaml');
    await file.save('version: 1\n', { contentType: 'text/yaml' });
    const [meta] = await file.getMetadata();
    expect(meta).toMatchObject({
      name: 'dir/resumable.yaml',
      bucket: BUCKET,
      size: '11',
      contentType: 'text/yaml',
      metageneration: '1',
      crc32c: expect.any(String),
      md5Hash: expect.any(String),
    });
    expect(meta.generation).toMatch(/^\d{16}$/);
    const [data] = await file.download({ validation: 'crc32c' });
    expect(data.toString()).toBe('version: 1\n');
    const [md5Checked] = await file.download({ validation: 'md5' });
    expect(md5Checked.toString()).toBe('version: 1\n');
  });

  it('takes multipart uploads (resumable: false), media uploads and bucket.upload of a file', async () => {
    await gcs
      .bucket(BUCKET)
      .file('multi.json')
      .save(JSON.stringify({ a: 1 }), {
        resumable: false,
        contentType: 'application/json',
        metadata: { metadata: { owner: 'netreflex' } },
      });
    const [meta] = await gcs.bucket(BUCKET).file('multi.json').getMetadata();
    expect(meta).toMatchObject({ contentType: 'application/json', metadata: { owner: 'netreflex' }, size: '7' });
    const dir = mkdtempSync(join(tmpdir(), 'netreflex-gcs-'));
    writeFileSync(join(dir, 'local.txt'), 'x'.repeat(300_000));
    await gcs.bucket(BUCKET).upload(join(dir, 'local.txt'), { destination: 'uploaded/local.txt' });
    const [big] = await gcs.bucket(BUCKET).file('uploaded/local.txt').download();
    expect(big.length).toBe(300_000);
    const res = await fetch(`${emu.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=media&name=raw.bin`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.from([1, 2, 3]),
    });
    expect(await res.json()).toMatchObject({ name: 'raw.bin', size: '3' });
  });

  it('works through STORAGE_EMULATOR_HOST too (JSON API at the root)', async () => {
    const viaEnv = storageClientFromEnv(emu.url);
    await viaEnv.bucket(BUCKET).file('env/ok.txt').save('through the env var');
    const [data] = await viaEnv.bucket(BUCKET).file('env/ok.txt').download();
    expect(data.toString()).toBe('through the env var');
    expect(await code(viaEnv.bucket(BUCKET).file('env/missing.txt').download())).toBe(
      `404: No such object: ${BUCKET}/env/missing.txt`,
    );
  });

  it('seeds the sample allowlist object from functions/armor-allowlist/sample-allowlist.yaml', async () => {
    const [data] = await gcs.bucket(SAMPLE.bucket.name).file(SAMPLE.bucket.allowlistObject).download();
    expect(data.toString()).toBe(
      readFileSync(new URL('../../functions/armor-allowlist/sample-allowlist.yaml', import.meta.url), 'utf8'),
    );
  });
});

describe('generations and preconditions', () => {
  it('gives every write a greater generation and resets metageneration; metadata patches bump metageneration', async () => {
    const file = gcs.bucket(BUCKET).file('gen.txt');
    await file.save('one', { resumable: false });
    const [first] = await file.getMetadata();
    await file.save('two', { resumable: false });
    const [second] = await file.getMetadata();
    expect(compareGenerations(String(second.generation), String(first.generation))).toBe(1);
    expect(second.metageneration).toBe('1');
    const [patched] = await file.setMetadata({ metadata: { reviewed: 'yes' } });
    expect(patched).toMatchObject({
      generation: second.generation,
      metageneration: '2',
      metadata: { reviewed: 'yes' },
    });
  });

  it('honours ifGenerationMatch (0 = create only), ifGenerationNotMatch and ifMetagenerationMatch with 412', async () => {
    const file = gcs.bucket(BUCKET).file('locked.txt');
    await file.save('v1', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const failed = '412: At least one of the pre-conditions you specified did not hold.';
    expect(await code(file.save('again', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }))).toBe(
      failed,
    );
    expect(await status(file.save('again', { preconditionOpts: { ifGenerationMatch: 0 } }))).toBe(412);
    const [meta] = await file.getMetadata();
    expect(
      await code(
        file.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(meta.generation) - 1 } }),
      ),
    ).toBe(failed);
    expect(
      await code(
        file.save('v2', { resumable: false, preconditionOpts: { ifGenerationMatch: Number(meta.generation) } }),
      ),
    ).toBe('ok');
    expect(await code(file.setMetadata({ metadata: { a: 'b' } }, { ifMetagenerationMatch: 5 }))).toBe(failed);
    const [now] = await file.getMetadata();
    expect(await code(file.delete({ ifGenerationMatch: Number(meta.generation) }))).toBe(failed);
    expect(
      await code(
        gcs
          .bucket(BUCKET)
          .file('locked.txt', { generation: Number(meta.generation) })
          .download(),
      ),
    ).toMatch(/^404: No such object/);
    expect(await code(file.delete({ ifGenerationMatch: Number(now.generation) }))).toBe('ok');
    expect(await code(file.delete())).toBe(`404: No such object: ${BUCKET}/locked.txt`);
  });
});

describe('listing', () => {
  beforeAll(async () => {
    await Promise.all(
      ['l/a.yaml', 'l/b.yaml', 'l/sub/c.yaml', 'l/sub/d.yaml', 'l/zz/e.yaml'].map((n) =>
        gcs.bucket(BUCKET).file(n).save(n, { resumable: false }),
      ),
    );
  });

  it('lists with prefix and delimiter, collapsing deeper names into prefixes', async () => {
    const [files, , response] = await gcs
      .bucket(BUCKET)
      .getFiles({ prefix: 'l/', delimiter: '/', autoPaginate: false });
    expect(files.map((f) => f.name)).toEqual(['l/a.yaml', 'l/b.yaml']);
    expect((response as { prefixes?: string[] }).prefixes).toEqual(['l/sub/', 'l/zz/']);
  });

  it('pages with maxResults and pageToken until the last page has no token', async () => {
    const pages: string[][] = [];
    let query: object | null = { prefix: 'l/', maxResults: 2, autoPaginate: false };
    while (query) {
      const [files, next]: [{ name: string }[], object | null, unknown] = await gcs.bucket(BUCKET).getFiles(query);
      pages.push(files.map((f) => f.name));
      query = next;
    }
    expect(pages).toEqual([['l/a.yaml', 'l/b.yaml'], ['l/sub/c.yaml', 'l/sub/d.yaml'], ['l/zz/e.yaml']]);
  });
});

describe('state in the store', () => {
  it("every write is a store mutation a listener sees: the bucket, then each object version's metadata (bytes stay with their generation)", async () => {
    const seen: string[] = [];
    const stop = emu.store.onMutation((m) => {
      if (!m.collection.startsWith('storage/')) return;
      const live = (r?: Record<string, unknown>) => (r?.live as { generation?: string } | undefined)?.generation;
      seen.push(
        `${m.action} ${m.collection}/${m.name}${m.collection.endsWith('/o') ? ` ${live(m.before) ?? '-'} → ${live(m.after) ?? '-'}` : ''}`,
      );
    });
    try {
      await gcs.createBucket('netreflex-store-bucket');
      const file = gcs.bucket('netreflex-store-bucket').file('a.txt');
      await file.save('one', { resumable: false });
      const [first] = await file.getMetadata();
      await file.save('two', { resumable: false });
      const [second] = await file.getMetadata();
      expect(seen).toEqual([
        'insert storage/buckets/netreflex-store-bucket',
        `insert storage/b/netreflex-store-bucket/o/a.txt - → ${first.generation}`,
        `update storage/b/netreflex-store-bucket/o/a.txt ${first.generation} → ${second.generation}`,
      ]);
      expect((await file.download())[0].toString()).toBe('two');
      await file.delete();
      await gcs.bucket('netreflex-store-bucket').delete();
      expect(seen.slice(3)).toEqual([
        `delete storage/b/netreflex-store-bucket/o/a.txt ${second.generation} → -`,
        'delete storage/buckets/netreflex-store-bucket',
      ]);
    } finally {
      stop();
    }
  });
});

describe('finalized events', () => {
  it('sends google.cloud.storage.object.v1.finalized with the bucket attribute and the object resource', async () => {
    const sink = await eventSink();
    emu.events.subscribe({
      id: 'test-finalized',
      type: 'google.cloud.storage.object.v1.finalized',
      filters: { bucket: SAMPLE.bucket.name },
      url: sink.url,
    });
    try {
      await gcs.bucket(BUCKET).file('not-watched.txt').save('x', { resumable: false });
      await gcs
        .bucket(SAMPLE.bucket.name)
        .file(SAMPLE.bucket.allowlistObject)
        .save('version: 1\n', { contentType: 'text/yaml' });
      const [meta] = await gcs.bucket(SAMPLE.bucket.name).file(SAMPLE.bucket.allowlistObject).getMetadata();
      const [event] = await waitFor('finalized event', async () => (sink.events.length ? sink.events : undefined));
      expect(sink.events).toHaveLength(1);
      expect(event!.headers).toMatchObject({
        'ce-type': 'google.cloud.storage.object.v1.finalized',
        'ce-source': `//storage.googleapis.com/projects/_/buckets/${SAMPLE.bucket.name}`,
        'ce-subject': `objects/${SAMPLE.bucket.allowlistObject}`,
        'ce-bucket': SAMPLE.bucket.name,
      });
      expect(event!.body).toMatchObject({
        bucket: SAMPLE.bucket.name,
        name: SAMPLE.bucket.allowlistObject,
        generation: meta.generation,
        metageneration: '1',
        size: '11',
        contentType: 'text/yaml',
      });
    } finally {
      emu.events.unsubscribe('test-finalized');
      await sink.close();
    }
  });
});

describe('shared/gcp/storage (the runtime wrapper) against the same emulator', () => {
  it('reads metadata and the exact bytes of a generation, JSON included, and 404s a replaced generation', async () => {
    const t = new Transport({ emulatorHost: emu.url });
    const json = '{"version": 1,\n "policies": ["inference-policy"]}\n';
    await gcs.bucket(BUCKET).file('wrapped.json').save(json, { contentType: 'application/json' });
    const meta = await getObjectMetadata(t, BUCKET, 'wrapped.json');
    expect(meta).toMatchObject({ bucket: BUCKET, name: 'wrapped.json', size: String(json.length) });
    expect(await readObjectText(t, BUCKET, 'wrapped.json', meta.generation)).toBe(json);
    await gcs.bucket(BUCKET).file('wrapped.json').save('{}', { resumable: false });
    await expect(readObjectText(t, BUCKET, 'wrapped.json', meta.generation)).rejects.toMatchObject({ code: 404 });
    await expect(getObjectMetadata(t, BUCKET, 'nope.yaml')).rejects.toMatchObject({
      code: 404,
      message: `No such object: ${BUCKET}/nope.yaml`,
    });
  });
});

describe('object versioning', () => {
  const VERSIONED = 'netreflex-versioned-bucket';
  const events: { type: string; generation: string; timeDeleted?: string }[] = [];
  let sink: Awaited<ReturnType<typeof eventSink>>;

  beforeAll(async () => {
    await gcs.createBucket(VERSIONED, { versioning: { enabled: true } });
    sink = await eventSink();
    for (const type of ['finalized', 'archived', 'deleted'])
      emu.events.subscribe({
        id: `test-${type}`,
        type: `google.cloud.storage.object.v1.${type}`,
        filters: { bucket: VERSIONED },
        url: sink.url,
      });
  });

  afterAll(async () => {
    for (const type of ['finalized', 'archived', 'deleted']) emu.events.unsubscribe(`test-${type}`);
    await sink.close();
  });

  const seen = async (n: number) => {
    await emu.events.idle();
    events.splice(
      0,
      events.length,
      ...sink.events.map((e) => ({
        type: String(e.headers['ce-type']).split('.').pop()!,
        ...(e.body as { generation: string; timeDeleted?: string }),
      })),
    );
    expect(events).toHaveLength(n);
    return events;
  };

  it('keeps a replaced version as noncurrent: readable by generation (metadata and bytes), listed with versions, announced as archived', async () => {
    const file = gcs.bucket(VERSIONED).file('allowlist.yaml');
    await file.save('first\n', { resumable: false });
    const first = String(file.metadata.generation);
    await file.save('second\n', { resumable: false });
    const [old] = await gcs
      .bucket(VERSIONED)
      .file('allowlist.yaml', { generation: Number(first) })
      .getMetadata();
    expect(old).toMatchObject({ generation: first, timeDeleted: expect.any(String) });
    expect(
      String(
        (
          await gcs
            .bucket(VERSIONED)
            .file('allowlist.yaml', { generation: Number(first) })
            .download()
        )[0],
      ),
    ).toBe('first\n');
    expect(String((await file.download())[0])).toBe('second\n');
    const [all] = await gcs.bucket(VERSIONED).getFiles({ versions: true });
    expect(all.map((f) => f.metadata.generation)).toEqual([first, file.metadata.generation]);
    const [live] = await gcs.bucket(VERSIONED).getFiles();
    expect(live.map((f) => f.metadata.generation)).toEqual([file.metadata.generation]);
    expect((await seen(3)).map((e) => [e.type, e.generation])).toEqual([
      ['finalized', first],
      ['archived', first],
      ['finalized', String(file.metadata.generation)],
    ]);
  });

  it('a delete without a generation archives the live version; with one, it deletes that version for good', async () => {
    const file = gcs.bucket(VERSIONED).file('allowlist.yaml');
    const live = String((await file.getMetadata())[0].generation);
    await file.delete();
    expect(await status(file.getMetadata())).toBe(404);
    const noncurrent = gcs.bucket(VERSIONED).file('allowlist.yaml', { generation: Number(live) });
    expect((await noncurrent.getMetadata())[0]).toMatchObject({ generation: live, timeDeleted: expect.any(String) });
    await noncurrent.delete();
    expect(await status(noncurrent.getMetadata())).toBe(404);
    expect((await seen(5)).slice(3).map((e) => [e.type, e.generation])).toEqual([
      ['archived', live],
      ['deleted', live],
    ]);
  });

  it('without versioning a replaced version is gone (404 by generation) and announced as deleted', async () => {
    const sinkFlat = await eventSink();
    emu.events.subscribe({
      id: 'test-flat-deleted',
      type: 'google.cloud.storage.object.v1.deleted',
      filters: { bucket: BUCKET },
      url: sinkFlat.url,
    });
    try {
      const file = gcs.bucket(BUCKET).file('flat.yaml');
      await file.save('a', { resumable: false });
      const first = String(file.metadata.generation);
      await file.save('b', { resumable: false });
      expect(
        await status(
          gcs
            .bucket(BUCKET)
            .file('flat.yaml', { generation: Number(first) })
            .getMetadata(),
        ),
      ).toBe(404);
      await emu.events.idle();
      expect(sinkFlat.events.map((e) => (e.body as { generation: string }).generation)).toEqual([first]);
    } finally {
      emu.events.unsubscribe('test-flat-deleted');
      await sinkFlat.close();
    }
  });
});
