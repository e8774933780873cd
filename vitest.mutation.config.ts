/**
 * The test run mutation testing uses (stryker.config.mjs): the fast, pure tests of the planners and
 * the address arithmetic — no emulator, no Functions Framework — with fast-check's seed fixed
 * (test/mutation/setup.ts). Not part of `npm test`.
 *
 * `NETREFLEX_MUTATION_TESTS` narrows the run to some of these folders (comma-separated, e.g.
 * `test/net`): shared/net/ip-range.ts is imported by every planner, so without it each of its
 * mutants reruns every planner test, and a mutant that loops forever has time to grow an array
 * until V8 aborts the worker before the timeout fires.
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const ALL = ['test/allowlist', 'test/plan', 'test/net', 'test/fuzz'];
const chosen = process.env.NETREFLEX_MUTATION_TESTS?.split(',').map((d) => d.trim().replace(/\/+$/, ''));
const unknown = chosen?.filter((d) => !ALL.includes(d)) ?? [];
if (unknown.length) throw new Error(`NETREFLEX_MUTATION_TESTS: ${unknown.join(', ')} is not one of ${ALL.join(', ')}`);

// Not mergeConfig: it would append these globs to the base config's instead of replacing them.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: (chosen ?? ALL).map((d) => `${d}/**/*.test.ts`),
    setupFiles: ['test/mutation/setup.ts'],
    // One project: the base config's (the whole suite, then the IAM usage check) would run beside these.
    projects: undefined,
  },
});
