// Lint rules for netreflex: the recommended TypeScript set, plus the project's one hard rule —
// the Google client libraries are imported only under shared/gcp/ (and by the emulator's tests).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'bench/results/', '.ci/', '.netreflex/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', performance: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', fetch: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', {
        patterns: [{
          group: ['@google-cloud/*', 'google-auth-library', '!@google-cloud/functions-framework', '!@google-cloud/functions-framework/*'],
          message: 'Google client libraries are imported only under shared/gcp/ (STYLE.md: one thin wrapper per API).',
        }],
      }],
    },
  },
  {
    files: ['shared/gcp/**', 'test/**', 'bench/**', 'emulator/pubsub/**', 'examples/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
