/**
 * Compiling compute.proto (3.9 MB) takes about a second, so each compiled schema is cached as
 * JSON in a directory the emulator's user chooses (`EmulatorOptions.schemaCacheDir`; the OS's
 * temporary directory unless told), keyed by a hash of the client packages' versions, the proto
 * source description and the compiler's own source: a new client version or a changed compiler
 * makes a new file, never a stale answer. Writes go to a temporary file renamed into place, so
 * test workers that compile at once never read half a file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiSchema } from './compact.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(HERE, '..', '..');
export const NODE_MODULES = join(REPO_ROOT, 'node_modules');
/** Where compiled schemas go when the emulator is not told. */
export const DEFAULT_SCHEMA_CACHE_DIR = join(tmpdir(), 'google-cloud-emulator', 'schema');
/** The files whose change must invalidate every cached schema. */
const COMPILER_FILES = ['compile.ts', 'compact.ts', 'sources.ts', 'cache.ts'];

/** Drops the API's schemas cached under other keys (older clients or compilers). */
function pruneOthers(dir: string, api: string, keep: string): void {
  for (const f of readdirSync(dir)) {
    const path = join(dir, f);
    if (
      path !== keep &&
      f.startsWith(`${api}-`) &&
      /^[a-z-]+-[0-9a-f]{16}\.json$/.test(f) &&
      f.slice(api.length + 1).length === 21
    )
      rmSync(path, { force: true });
  }
}

/** `name@version` of an installed package. */
export function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(NODE_MODULES, name, 'package.json'), 'utf8')) as { version: string };
  return `${name}@${pkg.version}`;
}

function cacheKey(dir: string, api: string, parts: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(parts));
  for (const file of COMPILER_FILES) hash.update(readFileSync(join(HERE, file)));
  return join(dir, `${api}-${hash.digest('hex').slice(0, 16)}.json`);
}

/** The schema cached in `dir` for `key`, or `compile()`'s result, written there for the next start. */
export function cached(dir: string, api: string, key: unknown, compile: () => ApiSchema): ApiSchema {
  const file = cacheKey(dir, api, key);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ApiSchema;
  } catch {
    const schema = compile();
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      writeFileSync(tmp, JSON.stringify(schema));
      renameSync(tmp, file);
      pruneOthers(dir, api, file);
    } catch {
      // A read-only checkout still works; it compiles at every start.
    }
    return schema;
  }
}
