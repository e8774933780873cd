/** Small shape checks shared by the syntax parsers; each reports a problem and returns undefined. */
import type { PathSeg, Problems } from './source.js';

export type RawMap = Record<string, unknown>;

export function isRawMap(raw: unknown): raw is RawMap {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw);
}

export function asMap(raw: unknown, path: PathSeg[], problems: Problems, what: string): RawMap | undefined {
  if (isRawMap(raw)) return raw;
  problems.add(path, `${what} must be a map`);
  return undefined;
}

export function asList(raw: unknown, path: PathSeg[], problems: Problems, what: string): unknown[] | undefined {
  if (Array.isArray(raw)) return raw;
  problems.add(path, `${what} must be a list`);
  return undefined;
}

export function asName(raw: unknown, path: PathSeg[], problems: Problems, what: string): string | undefined {
  if (typeof raw === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(raw)) return raw;
  problems.add(path, `${what} must be a name (letters, digits, underscores), got ${JSON.stringify(raw)}`);
  return undefined;
}

/** Reports keys outside `allowed`, naming the construct, so nothing unsupported is skipped silently. */
export function checkKeys(
  raw: RawMap,
  allowed: readonly string[],
  path: PathSeg[],
  problems: Problems,
  what: string,
): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key))
      problems.add([...path, key], `'${key}' is not supported in ${what} (supported: ${allowed.join(', ')})`);
  }
}

/** A `- name: body` list item: exactly one key. */
export function singleEntry(
  raw: unknown,
  path: PathSeg[],
  problems: Problems,
  what: string,
): [string, unknown] | undefined {
  if (isRawMap(raw) && Object.keys(raw).length === 1) return Object.entries(raw)[0];
  problems.add(path, `each ${what} must be a map with exactly one key (its name)`);
  return undefined;
}
