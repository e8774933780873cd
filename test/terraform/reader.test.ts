/**
 * The Terraform reader parses each .tf file once per content: the JSON is cached under
 * .netreflex/cache/hcl/, a changed file is parsed again, and a broken cache entry is rebuilt.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_DIR, cachedJson, literal, loadModule, resourceBody, sha256 } from '../../local/terraform/reader.js';

const tf = (port: number) =>
  `variable "port" {\n  default = ${port}\n}\nresource "google_compute_firewall" "fw" {\n  name = "fw-\${var.port}"\n  allow {\n    ports = [var.port]\n  }\n}\n`;

describe('Terraform reader', () => {
  it('reads a module, follows var defaults, and parses a changed file again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netreflex-tf-'));
    writeFileSync(join(dir, 'main.tf'), tf(22));
    const first = await loadModule(dir);
    const body = resourceBody(first.files, 'google_compute_firewall', 'fw');
    expect(body?.name).toBe('fw-${var.port}');
    expect(literal(first.files, '${var.port}', 'port')).toBe(22);
    writeFileSync(join(dir, 'main.tf'), tf(443));
    expect(literal((await loadModule(dir)).files, '${var.port}', 'port')).toBe(443);
  });

  it('a caller changing its tree does not change what the next reader gets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netreflex-tf-'));
    writeFileSync(join(dir, 'main.tf'), tf(8080));
    const a = await loadModule(dir);
    delete a.files[0]!.json.variable;
    expect(literal((await loadModule(dir)).files, '${var.port}', 'port')).toBe(8080);
  });

  it('cachedJson computes once, then serves the file; a corrupt entry is computed again', async () => {
    const key = sha256(`reader-test-${process.pid}-${Date.now()}`);
    let computed = 0;
    const compute = async () => ({ n: ++computed });
    expect(await cachedJson('test', key, compute)).toEqual({ n: 1 });
    expect(await cachedJson('test', key, compute)).toEqual({ n: 1 });
    const path = join(CACHE_DIR, 'test', `${key}.json`);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ n: 1 });
    writeFileSync(path, '{"n": 1');
    expect(await cachedJson('test', key, compute)).toEqual({ n: 2 });
    expect(readdirSync(join(CACHE_DIR, 'test')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
