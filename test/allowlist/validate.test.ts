import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateCommand } from '../../cli/commands/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'netreflex-validate-'));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const NOW = new Date('2026-01-01T00:00:00Z');

describe('netreflex validate', () => {
  it('exits 0 on the sample allowlist with a one-line summary', async () => {
    const result = await validateCommand('functions/armor-allowlist/sample-allowlist.yaml', { now: NOW });
    expect(result).toEqual({
      exitCode: 0,
      output:
        "functions/armor-allowlist/sample-allowlist.yaml: valid allowlist (2 lists, 5 entries, mode sync, policies inference-policy, band 1000–1999, at least 3 of the project's 200 security policy rules)",
    });
  });

  it('exits 1 and prints every error with its line', async () => {
    const path = file(
      'bad.yaml',
      'version: 1\npolicies: [p]\nlists:\n  l:\n    entries:\n      - { cidr: 10.0.0.1/24, description: a }\n      - { ip: nope, description: b }\n',
    );
    const result = await validateCommand(path, { now: NOW });
    expect(result.exitCode).toBe(1);
    expect(result.output.split('\n')).toEqual([
      `${path}:6:17: lists.l.entries[0].cidr: "10.0.0.1/24" has host bits set; write 10.0.0.0/24 for the whole network or 10.0.0.1/32 for the single address`,
      `${path}:7:15: lists.l.entries[1].ip: "nope" is not an IP address or CIDR (expected e.g. 198.51.100.0/24, 203.0.113.5 or 2001:db8::/32)`,
      `${path}: invalid — 2 errors; nothing would be applied`,
    ]);
  });

  it('warns about expired entries but stays valid; refuses a band too small for the file', async () => {
    const ok = file(
      'expired.yaml',
      'version: 1\npolicies: [p]\nlists:\n  l:\n    entries:\n      - { ip: 192.0.2.1, description: old, expires: 2025-01-01 }\n',
    );
    const result = await validateCommand(ok, { now: NOW });
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain(`${ok}:6:9: warning: lists.l.entries[0]: expired on 2025-01-01T00:00:00.000Z`);
    const entries = Array.from({ length: 11 }, (_, i) => `      - { ip: 192.0.2.${i * 2}, description: e${i} }`).join(
      '\n',
    );
    const full = file(
      'full.yaml',
      `version: 1\npolicies: [p]\npriorities: { from: 1000, to: 1000 }\nlists:\n  l:\n    entries:\n${entries}\n`,
    );
    const refused = await validateCommand(full, { now: NOW });
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(/policy p needs at least 2 rules .* holds 1/);
  });

  it('--json gives the problems as data', async () => {
    const path = file('bad.json', new Uint8Array([0x7b, 0xff, 0x7d]));
    const result = await validateCommand(path, { json: true });
    expect(result.exitCode).toBe(1);
    const body = JSON.parse(result.output);
    expect(body).toMatchObject({
      source: path,
      valid: false,
      problems: [{ severity: 'error', line: 1, column: 2, message: expect.stringMatching(/not valid UTF-8/) }],
    });
  });

  it('exits 2 when the file cannot be read', async () => {
    const result = await validateCommand(join(dir, 'missing.yaml'));
    expect(result.exitCode).toBe(2);
    expect(result.output).toMatch(/error: cannot read .*missing.yaml: ENOENT/);
  });
});
