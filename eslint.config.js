// Lint rules for netreflex: the recommended TypeScript set, plus the layering — in the product
// folders (functions/, shared/, cli/, emulator/, local/, bin/) the Google client libraries are
// imported only under shared/gcp/; product code never imports the emulator or the local stack (the
// CLI's one seam to them is cli/local-stack.ts); shared/gcp/ imports no planner and planners no API wrapper; the
// allowlist file format no environment config. Tests, benchmarks, examples and a user's own
// scripts may import anything.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Google's client libraries: product code reaches Google only through shared/gcp/. */
const GOOGLE_CLIENTS = {
  group: [
    '@google-cloud/*',
    'google-auth-library',
    '!@google-cloud/functions-framework',
    '!@google-cloud/functions-framework/*',
  ],
  message:
    "netreflex imports Google client libraries only under shared/gcp/ (one thin wrapper per API; the README's Layout says why).",
};
/** The local Google Cloud and its stack are products of their own; the functions and the library never depend on them. */
const EMULATOR = {
  group: ['**/emulator/**', '**/local/**'],
  message:
    'product code never imports the emulator or the local stack: the CLI reaches them only through cli/local-stack.ts, loaded with await import().',
};
/** gcp/ owns the wire; planners read Picks of its types, never the other way round. */
const PLANNERS = {
  group: ['**/plan/**'],
  message:
    'shared/gcp/ imports nothing from the planners: wire types and paths live in shared/gcp/, planners take Picks of them.',
};
/** Planners are pure: a type of the wire, and the import-free paths module, but no API call. */
const GCP_RUNTIME = {
  group: ['**/gcp/**', '!**/gcp/paths.js'],
  allowTypeImports: true,
  message: 'planners are pure: from shared/gcp/ they take types (import type) and gcp/paths.js only.',
};
/** The allowlist file format stands alone: no environment config (and through it no logger). */
const ENV_CONFIG = {
  group: ['**/config/**', '**/log.js'],
  message: 'the allowlist file format does not depend on the environment configuration or the logger.',
};

/** One flat-config block per zone: `restrict` is every pattern that holds for its files. */
const zones = (list) =>
  list.map(({ files, ignores, restrict }) => ({
    files,
    ...(ignores ? { ignores } : {}),
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: restrict }],
    },
  }));

/** The fake Google Cloud knows no product: local/ is built on emulator/, never the other way round. */
const LOCAL_STACK = {
  group: ['**/local/**', '**/local'],
  message:
    'emulator/ is a fake Google Cloud that knows no netreflex: the sample topology, its seed and the local runner live in local/, which uses the emulator, never the other way round.',
};

/** The fake Google Cloud is a product of its own: it imports nothing of netreflex's library either. */
const PRODUCT = {
  group: ['**/shared/**', '**/functions/**', '**/cli/**'],
  message:
    'emulator/ imports nothing of netreflex (shared/, functions/, cli/): it is a fake Google Cloud any project could use; keep what it needs in emulator/.',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'bench/results/', '.ci/', '.netreflex/', 'reports/', '.stryker-tmp*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The layering, one zone a folder (flat config: the last block matching a file sets the rule,
  // so each block lists every restriction for its folder).
  ...zones([
    { files: ['functions/**', 'cli/**', 'bin/**', 'shared/**'], restrict: [GOOGLE_CLIENTS, EMULATOR] },
    { files: ['cli/local-stack.ts'], restrict: [GOOGLE_CLIENTS] },
    { files: ['shared/gcp/**'], restrict: [EMULATOR, PLANNERS] },
    { files: ['shared/plan/**'], restrict: [GOOGLE_CLIENTS, EMULATOR, GCP_RUNTIME] },
    { files: ['shared/allowlist/**'], restrict: [GOOGLE_CLIENTS, EMULATOR, ENV_CONFIG] },
    { files: ['emulator/**'], ignores: ['emulator/pubsub/**'], restrict: [GOOGLE_CLIENTS, LOCAL_STACK, PRODUCT] },
    { files: ['emulator/pubsub/**'], restrict: [LOCAL_STACK, PRODUCT] },
    { files: ['local/**'], restrict: [GOOGLE_CLIENTS] },
  ]),
);
