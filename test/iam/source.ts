/**
 * Runs before each test file (vitest.config.ts setupFiles): the local stacks the file starts name
 * it as the source of the permission checks they write (local/stack.ts), and the file leaves a
 * mark that it ran in this run, so test/iam/usage.test.ts knows whether the whole suite ran.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';

const dir = process.env.NETREFLEX_IAM_CHECKS_DIR;
const testPath = expect.getState().testPath;
if (dir && testPath) {
  const source = relative(join(import.meta.dirname, '..', '..'), testPath);
  process.env.NETREFLEX_IAM_CHECKS_SOURCE = source;
  mkdirSync(join(dir, 'ran'), { recursive: true });
  writeFileSync(join(dir, 'ran', createHash('sha1').update(source).digest('hex')), source);
}
