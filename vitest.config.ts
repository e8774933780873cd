import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** test/iam/usage.test.ts holds iam.tf to what this run's end-to-end tests called. */
const USAGE = 'test/iam/usage.test.ts';
/** test/schema/reply-findings.test.ts fails on any reply of this run's emulators outside Google's definitions. */
const REPLIES = 'test/schema/reply-findings.test.ts';
const LATE = [USAGE, REPLIES];
/**
 * Where this run's local stacks write the permission checks they saw (local/stack.ts), one
 * directory per run so that runs side by side never mix. Vitest evaluates this file again for each
 * project, in the same process: the first evaluation picks the directory for all.
 */
const IAM_CHECKS_DIR = (process.env.NETREFLEX_IAM_CHECKS_DIR ??= join(
  import.meta.dirname,
  '.netreflex',
  'iam-checks',
  `${Date.now()}-${process.pid}`,
));
/** Where this run's emulators write each reply outside Google's definitions (emulator/schema/findings.ts), likewise. */
const REPLY_FINDINGS_DIR = (process.env.NETREFLEX_REPLY_FINDINGS_DIR ??= join(
  import.meta.dirname,
  '.netreflex',
  'reply-findings',
  `${Date.now()}-${process.pid}`,
));

export default defineConfig({
  test: {
    pool: 'forks',
    // Test files in one worker share the module cache: loading the official Google clients once per
    // worker instead of once per file took test/emulator from 113 s to 32 s on 2 cores. Emulator
    // state lives in Emulator instances, never in modules, so files cannot see each other's state.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // Local runs never probe the GCE metadata server (169.254.169.254): google-auth-library would.
    env: {
      METADATA_SERVER_DETECTION: 'none',
      NETREFLEX_IAM_CHECKS_DIR: IAM_CHECKS_DIR,
      NETREFLEX_REPLY_FINDINGS_DIR: REPLY_FINDINGS_DIR,
    },
    // Each test file says who ran the stacks it starts, and that it ran (test/iam/usage.ts).
    setupFiles: ['test/iam/source.ts'],
    // The usage and reply checks run after every other file has finished (groups run in groupOrder).
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: LATE, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'late', include: LATE, sequence: { groupOrder: 1 } } },
    ],
  },
});
