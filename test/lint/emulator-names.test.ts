/**
 * The fake Google Cloud spells no name of the sample topology: no string literal under emulator/
 * is one of local/topology.ts's names (the project, its number, networks, the NAT MIG, the owner …)
 * except those Google itself defines, and no module there reads terraform-bootstrap/ — the local
 * stack hands the emulator what to hold (seed, IAM policy, the caller without a token).
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SAMPLE } from '../../local/topology.js';

const ROOT = new URL('../..', import.meta.url).pathname;
/** Google's own names the sample happens to use: the PSA peering (https://cloud.google.com/vpc/docs/configure-private-services-access). */
const GOOGLE_NAMES = new Set(['servicenetworking-googleapis-com']);

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const sources = execFileSync('git', ['ls-files', 'emulator'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f.endsWith('.ts'))
  .map((file) => ({ file, text: readFileSync(`${ROOT}${file}`, 'utf8') }));

/** Where `name` appears as a whole string literal (or the start of a template literal). */
const spelled = (name: string) =>
  sources
    .filter(({ text }) => [`'${name}'`, `"${name}"`, `\`${name}`].some((q) => text.includes(q)))
    .map((s) => s.file);

describe('emulator/ knows no netreflex sample', () => {
  const names = [...new Set(strings(SAMPLE))].filter((n) => n.length > 3 && !GOOGLE_NAMES.has(n));

  it('has sample names to look for (the check cannot pass on an empty list)', () => {
    expect(names).toEqual(expect.arrayContaining([SAMPLE.project, SAMPLE.projectNumber, SAMPLE.owner, SAMPLE.nat.mig]));
  });

  it.each(names)('no emulator/ module spells %s', (name) => {
    expect(spelled(name)).toEqual([]);
  });

  it('no emulator/ module reads terraform-bootstrap/', () => {
    expect(sources.filter(({ text }) => /terraform-bootstrap|hcl2json/.test(text)).map((s) => s.file)).toEqual([]);
  });
});
