/**
 * The test run mutation testing uses (stryker.config.mjs): the fast, pure tests of the planners and
 * the address arithmetic — no emulator, no Functions Framework — with fast-check's seed fixed
 * (test/mutation/setup.ts). Not part of `npm test`.
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Not mergeConfig: it would append these globs to the base config's instead of replacing them.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/allowlist/**/*.test.ts', 'test/plan/**/*.test.ts', 'test/net/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
    setupFiles: ['test/mutation/setup.ts'],
    // One project: the base config's (the whole suite, then the IAM usage check) would run beside these.
    projects: undefined,
  },
});
