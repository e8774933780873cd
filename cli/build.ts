/**
 * `netreflex build` (= `npm run build` = Cloud Functions' `gcp-build`): bundles functions/index.ts
 * into dist/functions/ — the `main` every deployed function loads.
 *
 * One ESM bundle with code splitting: each function's module is its own chunk, so a function
 * still loads only its own code, and the hundreds of small files of zod, pino and yaml become a
 * few. That halves the import time of natRoutes (~270 → ~150 ms, `npm run bench`). The Functions
 * Framework stays external (a bundled copy would have its own function registry) and so do the
 * Google client libraries, which load their protos from files beside their code.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const EXTERNAL = ['@google-cloud/*', 'google-auth-library', 'google-gax', '@grpc/*'];

/** Builds the deployable bundle into `outdir` (default dist/functions) and answers its entry file. */
export async function buildFunctions(outdir = path.join(ROOT, 'dist', 'functions')): Promise<string> {
  const esbuild = await import('esbuild');
  await rm(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'functions', 'index.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    sourcemap: true,
    // Bundled CommonJS dependencies (pino) still call require().
    banner: {
      js: "import { createRequire as __netreflexRequire } from 'node:module'; const require = __netreflexRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return path.join(outdir, 'index.js');
}
