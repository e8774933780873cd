// Lint rules for netreflex: the recommended TypeScript set, plus the project's one hard rule —
// in the product folders (functions/, shared/, cli/, emulator/, bin/) the Google client libraries
// are imported only under shared/gcp/. Tests, benchmarks, examples and a user's own scripts
// anywhere else in the tree may import them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** netreflex's own code, held to the one-wrapper-per-API rule. */
const PRODUCT = ['functions/**', 'shared/**', 'cli/**', 'emulator/**', 'bin/**'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'bench/results/', '.ci/', '.netreflex/', 'reports/', '.stryker-tmp*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', performance: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', fetch: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: PRODUCT,
    ignores: ['shared/gcp/**', 'emulator/pubsub/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          group: ['@google-cloud/*', 'google-auth-library', '!@google-cloud/functions-framework', '!@google-cloud/functions-framework/*'],
          message: 'netreflex imports Google client libraries only under shared/gcp/ (one thin wrapper per API; the README\'s Layout says why).',
        }],
      }],
    },
  },
);
