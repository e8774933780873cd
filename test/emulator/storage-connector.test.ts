/**
 * The Workflows Cloud Storage connector googleapis.storage.v1.objects.get, as vertex-pipeline-run
 * reads a compiled pipeline: `alt: media` answers the object's data (JSON parsed), and the object
 * name is the caller's to URL-encode — "If you don't url-encode your object name and your storage
 * bucket has folders, the request will fail"
 * (https://cloud.google.com/workflows/docs/reference/googleapis/storage/Overview).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { connectorHandler } from '../../emulator/connectors/call.js';
import { SAMPLE } from '../../local/topology.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startSampleEmulator();
});
afterAll(() => emu?.close());

const get = (object: string, extra: Record<string, string> = {}) =>
  connectorHandler({ baseUrl: () => emu.url, sleep: (ms, signal) => emu.timers.sleep(ms, signal) })(
    'googleapis.storage.v1.objects.get',
    { bucket: SAMPLE.template.bucket, object, ...extra },
    new AbortController().signal,
  );

describe('googleapis.storage.v1.objects.get', () => {
  it('alt: media answers the sample template, JSON parsed, for a URL-encoded object name', async () => {
    const spec = (await get(encodeURIComponent(SAMPLE.template.object), { alt: 'media' })) as Record<string, unknown>;
    expect(spec.pipelineInfo).toEqual({ name: 'train' });
  });

  it('without alt, the object resource', async () => {
    const meta = (await get(encodeURIComponent(SAMPLE.template.object))) as Record<string, unknown>;
    expect(meta).toMatchObject({ bucket: SAMPLE.template.bucket, name: SAMPLE.template.object });
  });

  it('an object name with a raw "/" fails as an HTTP error saying to URL-encode it', async () => {
    const err = (await get(SAMPLE.template.object, { alt: 'media' }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { tags?: string[]; message?: string; context?: unknown } | undefined;
    expect(err).toBeDefined();
    expect(JSON.stringify(err)).toContain('text.url_encode');
  });
});
