import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // Local runs never probe the GCE metadata server (169.254.169.254): google-auth-library would.
    env: { METADATA_SERVER_DETECTION: 'none' },
  },
});
