/**
 * Compiles what a deployed function runs (functions/, shared/) plus the bench fixtures to plain
 * JS, one file per source file, then bundles functions/ as `npm run build` deploys it, so cold start is measured
 * without tsx's own start-up cost. esbuild (present through tsx) takes about a second; when it
 * is missing, `tsc -p tsconfig.build.json` does the same in ~30 s. The output sits under
 * `.netreflex/` inside the repository so that `node_modules` resolves as in a deployment.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildFunctions } from '../cli/build.js';

const SOURCES = ['functions', 'shared', 'bench/fixtures'];

async function tsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory()
        ? tsFiles(path.join(dir, e.name))
        : Promise.resolve(e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path.join(dir, e.name)] : []),
    ),
  );
  return nested.flat();
}

async function withEsbuild(root: string, outdir: string): Promise<boolean> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  const entryPoints = (await Promise.all(SOURCES.map((s) => tsFiles(path.join(root, s))))).flat();
  await esbuild.build({
    entryPoints,
    outdir,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'warning',
  });
  return true;
}

async function withTsc(root: string, outdir: string): Promise<void> {
  const config = path.join(outdir, 'tsconfig.bench.json');
  await writeFile(
    config,
    JSON.stringify({
      extends: path.join(root, 'tsconfig.build.json'),
      compilerOptions: { outDir: outdir, rootDir: root, sourceMap: false },
      include: SOURCES.map((s) => path.join(root, s)),
    }),
  );
  await promisify(execFile)(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', config], {
    cwd: root,
  }).catch((err: { stdout?: string }) => {
    if (!String(err.stdout ?? '').includes('error TS')) throw err;
  });
}

/**
 * Builds into `<root>/.netreflex/bench-build` and answers that directory. functions/ is then
 * replaced by the deployable bundle of `netreflex build`, so cold start measures what deploys.
 */
export async function compileForBench(root: string): Promise<string> {
  const outdir = path.join(root, '.netreflex', 'bench-build');
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  if (!(await withEsbuild(root, outdir))) await withTsc(root, outdir);
  await buildFunctions(path.join(outdir, 'functions'));
  return outdir;
}
