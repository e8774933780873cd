/**
 * The repository stands alone: no file points outside it — not to the domain brief or style notes
 * it grew from, not to articles or data kept elsewhere — and every relative link in the Markdown
 * resolves to a file in the tree. `../shared/` may appear only as a module specifier that resolves to
 * the repository's own shared/ folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(new URL('../..', import.meta.url).pathname);
// Not part of the tree: installs, builds, local state, and the copies and reports a mutation run makes.
const SKIP = new Set([
  'node_modules',
  'dist',
  '.git',
  '.netreflex',
  'results',
  'package-lock.json',
  '.stryker-tmp',
  'reports',
]);
const TEXT = /\.(ts|js|md|tf|yaml|yml|json|sh|example)$/;

const self = new URL(import.meta.url).pathname;

function files(dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return files(full);
    return TEXT.test(name) && full !== self ? [full] : [];
  });
}

/**
 * Every reference in `text` (a file at `file`) that leaves the repository or names the brief: the
 * brief's file names, its articles and data folders, and any `../shared/` that is not a module
 * specifier resolving to the repository's own shared/ folder.
 */
function outsideReferences(file: string, text: string): string[] {
  const found = [...text.matchAll(/DOMAIN\.md|STYLE\.md|shared\/seeds|shared\/data\/gcp-iam/g)].map((m) => m[0]);
  for (const m of text.matchAll(/(from\s+|import\(\s*)?(['"`(]?)((?:\.\.\/)+shared\/[^'"`)\s]*)/g)) {
    const target = path.resolve(path.dirname(file), m[3]!);
    const own =
      target.startsWith(path.join(root, 'shared') + path.sep) &&
      (existsSync(target) || existsSync(target.replace(/\.js$/, '.ts')));
    if (!m[1] || !own) found.push(m[3]!);
  }
  return found;
}

/** Relative Markdown links `](path)` that name no file of the tree. */
function brokenLinks(file: string, text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)]
    .map((m) => m[1]!)
    .filter((l) => !/^[a-z]+:/.test(l) && !existsSync(path.resolve(path.dirname(file), l)));
}

describe('the repository stands alone', () => {
  it('no file refers outside the repository or to the brief it grew from', () => {
    const offenders = files().flatMap((f) =>
      outsideReferences(f, readFileSync(f, 'utf8')).map((r) => `${path.relative(root, f)}: ${r}`),
    );
    expect(offenders).toEqual([]);
  });

  it('every relative link in the Markdown resolves', () => {
    const broken = files()
      .filter((f) => f.endsWith('.md'))
      .flatMap((f) => brokenLinks(f, readFileSync(f, 'utf8')).map((l) => `${path.relative(root, f)}: ${l}`));
    expect(broken).toEqual([]);
  });

  it('catches planted references: the brief, the seeds, a path that leaves the tree', () => {
    const readme = path.join(root, 'README.md');
    // The planted names are assembled, so this file does not itself hold a reference the check would refuse.
    const brief = ['DOMAIN', 'STYLE'].map((n) => `${n}.md`);
    const seeds = ['..', 'shared', 'seeds', ''].join('/');
    expect(outsideReferences(readme, `see ${brief[0]} §7 and ${brief[1]}`)).toEqual(brief);
    expect(outsideReferences(readme, `the articles in \`${seeds}\``)).toEqual([seeds.slice(3, -1), seeds]);
    expect(outsideReferences(readme, 'the permission lists in ../shared/permissions.txt')).toEqual([
      '../shared/permissions.txt',
    ]);
    expect(outsideReferences(path.join(root, 'cli/main.ts'), "import x from '../shared/nowhere.js';")).toEqual([
      '../shared/nowhere.js',
    ]);
    expect(
      outsideReferences(path.join(root, 'cli/main.ts'), "import { ConfigError } from '../shared/errors.js';"),
    ).toEqual([]);
  });

  it('docs/ holds the background the code cites', () => {
    for (const page of [
      'README.md',
      'architecture.md',
      'sample-topology.md',
      'capacity.md',
      'google-facts.md',
      'local-clients.md',
    ])
      expect(existsSync(path.join(root, 'docs', page)), page).toBe(true);
  });
});
