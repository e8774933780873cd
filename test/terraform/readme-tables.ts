/**
 * The variables and outputs tables of terraform-bootstrap/README.md, generated from variables.tf and
 * outputs.tf so the docs cannot drift (a test compares them). Regenerate after editing either file:
 *   npx tsx test/terraform/readme-tables.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { type Json, type TfModule, loadModule, named } from '../../local/terraform/reader.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const expr = (v: Json | undefined) =>
  typeof v === 'string' ? v.replace(/^\$\{([\s\S]*)\}$/, '$1') : JSON.stringify(v);

export function renderVariablesTable(m: TfModule): string {
  const rows = named(m, 'variable')
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((v) => {
      const def = 'default' in v.body ? `\`${cell(JSON.stringify(v.body.default))}\`` : '*required*';
      return `| \`${v.name}\` | \`${cell(expr(v.body.type))}\` | ${def} | ${cell(String(v.body.description ?? ''))} |`;
    });
  return ['| name | type | default | description |', '|---|---|---|---|', ...rows].join('\n');
}

export function renderOutputsTable(m: TfModule): string {
  const rows = named(m, 'output')
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((o) => `| \`${o.name}\` | ${cell(String(o.body.description ?? ''))} |`);
  return ['| name | description |', '|---|---|', ...rows].join('\n');
}

const markers = (what: string) =>
  [`<!-- BEGIN_TF_${what.toUpperCase()} -->`, `<!-- END_TF_${what.toUpperCase()} -->`] as const;

/** The text between a table's markers, or undefined when the markers are missing. */
export function tableIn(readme: string, what: 'variables' | 'outputs'): string | undefined {
  const [begin, end] = markers(what);
  const i = readme.indexOf(begin);
  const j = readme.indexOf(end);
  return i < 0 || j < i ? undefined : readme.slice(i + begin.length, j);
}

export function withTable(readme: string, what: 'variables' | 'outputs', table: string): string {
  const [begin, end] = markers(what);
  const current = tableIn(readme, what);
  if (current === undefined) throw new Error(`README.md lacks ${begin} ... ${end}`);
  return readme.replace(`${begin}${current}${end}`, `${begin}\n${table}\n${end}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'terraform-bootstrap');
  const m = await loadModule(dir);
  const path = join(dir, 'README.md');
  let readme = readFileSync(path, 'utf8');
  readme = withTable(readme, 'variables', renderVariablesTable(m));
  readme = withTable(readme, 'outputs', renderOutputsTable(m));
  writeFileSync(path, readme);
  console.log(`updated ${path}`);
}
