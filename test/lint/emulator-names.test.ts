/**
 * The fake Google Cloud spells no name of the sample topology: no string literal under emulator/
 * is one of local/topology.ts's names (the project, its number, networks, the NAT MIG, the owner …)
 * except those Google itself defines, and no module there reads terraform-bootstrap/ — the local
 * stack hands the emulator what to hold (seed, IAM policy, the caller without a token).
 */
import { readdirSync, readFileSync } from 'node:fs';
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

/**
 * Nor any name of netreflex itself: the product's name, its functions (functions/'s folders and
 * the entry points named after them) or the sample topology, in any file under emulator/ —
 * comments, docs and test hooks included, since a comment that explains the emulator by the
 * product is the first step to an emulator shaped by it.
 */
describe('emulator/ knows no netreflex', () => {
  const tracked = execFileSync('git', ['ls-files', 'emulator'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => /\.(ts|md|txt)$/.test(f))
    .map((file) => ({ file, text: readFileSync(`${ROOT}${file}`, 'utf8') }));
  const folders = readdirSync(`${ROOT}functions`, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  const camel = (kebab: string) => kebab.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  /** A word of its own: not inside a longer identifier (Google's `reservedPeeringRanges` is no `peeringRanges`). */
  const word = (w: string, flags = '') => new RegExp(`(?<![A-Za-z0-9])${w}(?![A-Za-z0-9])`, flags);
  const words: [string, RegExp][] = [
    ['netreflex', /netreflex/i],
    ...folders.flatMap((f): [string, RegExp][] => [
      [f, word(f)],
      [camel(f), word(camel(f))],
    ]),
    ['the sample (local/topology.ts is the local stack’s)', word('sample', 'i')],
  ];

  it('has the product words to look for (the check cannot pass on an empty list)', () => {
    expect(folders).toEqual(expect.arrayContaining(['nat-routes', 'armor-allowlist', 'peering-ranges']));
  });

  it.each(words)('no emulator/ file says %s', (_, pattern) => {
    const hits = tracked.flatMap(({ file, text }) =>
      text.split('\n').flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });
});
