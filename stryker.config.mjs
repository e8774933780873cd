/**
 * Mutation testing: `npm run mutation` (not part of `npm test`; a full run takes an hour or more on
 * 2 cores). Stryker 9.6 (Stryker 10 needs Node ≥ 22) with the Vitest runner, on the test run of
 * vitest.mutation.config.ts (pure tests, fast-check seed fixed).
 *
 * The files mutated by default are the allowlist planners; every mutant needs a test that fails.
 * Scope a run while you work, and keep concurrency low on a shared machine:
 *
 *   npm run mutation -- --mutate shared/plan/allowlist-assign.ts
 *   npm run mutation -- --mutate 'shared/plan/**' --concurrency 2
 *   npm run mutation -- --mutate 'shared/net/**'
 *   NETREFLEX_MUTATION_TESTS=test/net npm run mutation -- --mutate shared/net/ip-range.ts --timeoutMS 5000
 *
 * shared/net/ip-range.ts is imported by every planner: score it on its own tests (test/net), with a
 * short timeout, or each mutant reruns all planner tests and a mutant that loops while appending
 * (formatAddress, rangeToCidrs) grows an array until V8 aborts the worker ("Fatal JavaScript
 * invalid size error") before the default timeout fires.
 *
 * Equivalent mutants are excluded in the source with `// Stryker disable next-line <mutator>: <why>`.
 */
const PLANNERS = ['shared/plan/allowlist*.ts'];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: PLANNERS,
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 60_000,
  thresholds: { high: 90, low: 85, break: null },
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
