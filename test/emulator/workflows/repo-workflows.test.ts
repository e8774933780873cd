/** Every Workflows file netreflex ships must pass the local engine's full syntax check. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../../emulator/workflows/index.js';

const DIR = join(import.meta.dirname, '../../../workflows');
const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => /\.(ya?ml|json)$/.test(f)) : [];

describe('workflows/ schema check', () => {
  it('finds the workflows netreflex ships', () => {
    expect(files).toContain('vertex-pipeline-run.yaml');
  });

  it.each(files)('%s parses and validates', (file) => {
    expect(() => parseWorkflow(readFileSync(join(DIR, file), 'utf8'))).not.toThrow();
  });
});
