/**
 * Seeds the sample config bucket (docs/sample-topology.md) with the sample allowlist, read from
 * `functions/armor-allowlist/sample-allowlist.yaml` so the demo and the docs show the same file.
 * Seeding emits no event: like a bucket that existed before the function was deployed. Object
 * versioning is on, as terraform-bootstrap/bucket.tf sets it: armorAllowlist reads the file a
 * policy last held by its generation after it was replaced or deleted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SAMPLE } from './topology.js';
import type { CloudStorage } from '../emulator/storage/storage.js';

const SAMPLE_FILE = 'functions/armor-allowlist/sample-allowlist.yaml';

/** The sample allowlist next to the sources (tsx) or the build output (dist/), if present. */
function sampleAllowlist(): Buffer | undefined {
  for (const up of ['../', '../../']) {
    const path = fileURLToPath(new URL(up + SAMPLE_FILE, import.meta.url));
    if (existsSync(path)) return readFileSync(path);
  }
  return undefined;
}

export function seedStorage(storage: CloudStorage): void {
  storage.createBucket(SAMPLE.project, { name: SAMPLE.bucket.name, location: SAMPLE.region, versioning: { enabled: true } });
  storage.createBucket(SAMPLE.project, { name: SAMPLE.stateBucket, location: SAMPLE.region, versioning: { enabled: false } });
  const allowlist = sampleAllowlist();
  if (allowlist) storage.writeObject(SAMPLE.bucket.name, SAMPLE.bucket.allowlistObject, allowlist, { contentType: 'text/yaml' }, {}, false);
}
