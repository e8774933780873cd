/**
 * `parseAllowlist`: untrusted bytes → a typed `Allowlist`, or every problem with its place.
 *
 * Three stages, each reporting all it finds: safe loading (size, UTF-8, YAML syntax, duplicate
 * keys, alias bombs, prototype keys), the zod schema (types, unknown keys, required fields), and
 * the meaning of the entries (CIDR syntax, host bits, world-open and too-wide ranges, targets).
 *
 * Host bits are an error, not a warning: `198.51.100.7/24` more often means "this host" than
 * "this /24", and guessing the wider reading opens 255 addresses nobody reviewed. The message
 * offers both readings. Warnings (duplicates, entries covered by another) never block.
 */
import type * as z from 'zod';
import { parseCidr, type ParsedCidr } from '../net/cidr.js';
import { sourceKey, type Allowlist, type AllowlistEntry, type AllowlistList } from './model.js';
import { hasErrors, sortProblems, type PathSegment, type Problem } from './problems.js';
import { loadYaml, Locator } from './safe-yaml.js';
import {
  allowlistFileSchema,
  safetySchema,
  type AllowlistFile,
  type AllowlistSafety,
  type EntryInput,
} from './schema.js';
import { wideRangeReason } from './safety.js';

export type ParseAllowlistResult =
  | { readonly ok: true; readonly allowlist: Allowlist; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** Parses and validates an allowlist file (YAML or JSON). Never throws on any input. */
export function parseAllowlist(input: string | Uint8Array, source: string): ParseAllowlistResult {
  const { loaded, problems: loadProblems } = loadYaml(input, source);
  if (!loaded) return { ok: false, problems: sortProblems(loadProblems) };
  const locator = new Locator(source, loaded.lines, loaded.doc);
  const parsed = allowlistFileSchema.safeParse(loaded.value);
  if (!parsed.success) {
    const problems = [
      ...parsed.error.issues.flatMap((i) => issueProblems(i, locator)),
      ...rawEntryProblems(loaded.value, locator),
    ];
    return { ok: false, problems: sortProblems(problems) };
  }
  const { allowlist, problems } = normalize(parsed.data, source, locator);
  const sorted = sortProblems(problems);
  return hasErrors(sorted) ? { ok: false, problems: sorted } : { ok: true, allowlist, warnings: sorted };
}

function issueProblems(issue: z.core.$ZodIssue, locator: Locator): Problem[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      locator.atPath([...path, key], `unknown key "${key}"${suggestion(key)}`, 'error', true),
    );
  }
  if (issue.code === 'invalid_key')
    return [
      locator.atPath(
        path,
        `invalid name "${String(path.at(-1))}": ${issue.issues[0]?.message ?? issue.message}`,
        'error',
        true,
      ),
    ];
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
    return [locator.atPath(path, `is required (${issue.expected})`)];
  return [locator.atPath(path, issue.message)];
}

const KNOWN_KEYS = [
  'version',
  'policies',
  'mode',
  'preview',
  'priorities',
  'safety',
  'lists',
  'entries',
  'cidr',
  'ip',
  'cloudNat',
  'description',
  'expires',
  'router',
  'nat',
  'region',
  'from',
  'to',
  'minPrefixLength',
  'allowWorldOpen',
  'maxRemovalShare',
  'force',
  'ipv4',
  'ipv6',
];

/** "did you mean …?" for near-miss keys such as `expire` or `cidrs`. */
function suggestion(key: string): string {
  const near = KNOWN_KEYS.find(
    (k) => k !== key && (k.toLowerCase() === key.toLowerCase() || k.startsWith(key) || key.startsWith(k)),
  );
  return near ? `; did you mean "${near}"?` : '';
}

function normalize(
  file: AllowlistFile,
  source: string,
  locator: Locator,
): { allowlist: Allowlist; problems: Problem[] } {
  const problems: Problem[] = [];
  const lists: AllowlistList[] = [];
  for (const [name, list] of Object.entries(file.lists)) {
    const policies = list.policies ?? file.policies;
    if (!policies)
      problems.push(
        locator.atPath(
          ['lists', name],
          'has no target: set `policies` on the list or at the top of the file',
          'error',
          true,
        ),
      );
    const entries = list.entries.flatMap((entry, i) => {
      const normalized = normalizeEntry(entry, ['lists', name, 'entries', i], file.safety, locator, problems);
      return normalized ? [normalized] : [];
    });
    problems.push(...duplicateWarnings(name, entries, locator));
    lists.push({
      name,
      ...(list.description ? { description: list.description } : {}),
      policies: policies ?? [],
      preview: list.preview ?? file.preview,
      entries,
    });
  }
  const allowlist: Allowlist = {
    version: 1,
    source,
    mode: file.mode,
    priorities: file.priorities,
    safety: file.safety,
    lists,
  };
  return { allowlist, problems };
}

function normalizeEntry(
  entry: EntryInput,
  path: PathSegment[],
  safety: AllowlistSafety,
  locator: Locator,
  problems: Problem[],
): AllowlistEntry | undefined {
  const at = locator.atPath(path, '');
  const base = {
    description: entry.description,
    where: whereOf(at),
    path: at.path,
    ...(entry.expires ? { expires: expiryInstant(entry.expires) } : {}),
  };
  if (entry.cloudNat) return { ...base, kind: 'cloudNat', cloudNat: entry.cloudNat, key: sourceKey(entry.cloudNat) };
  const field = entry.cidr !== undefined ? 'cidr' : 'ip';
  const input = (entry.cidr ?? entry.ip)!;
  const fieldPath = [...path, field];
  const ranges = rangesOf(input, field, fieldPath, locator, problems);
  if (!ranges) return undefined;
  for (const range of ranges) {
    const reason = wideRangeReason(range, safety);
    if (reason) problems.push(locator.atPath(fieldPath, reason));
  }
  return { ...base, kind: 'static', input, cidrs: ranges.map((r) => r.cidr) };
}

/** `*` is Cloud Armor's "every address": both families' /0, subject to `allowWorldOpen` like them. */
function rangesOf(
  input: string,
  field: 'cidr' | 'ip',
  path: PathSegment[],
  locator: Locator,
  problems: Problem[],
): ParsedCidr[] | undefined {
  if (input.trim() === '*') return [parseCidr('0.0.0.0/0'), parseCidr('::/0')];
  let parsed: ParsedCidr;
  try {
    parsed = parseCidr(input.trim());
  } catch (err) {
    problems.push(locator.atPath(path, err instanceof Error ? err.message : String(err)));
    return undefined;
  }
  if (field === 'ip' && !parsed.bareAddress) {
    problems.push(
      locator.atPath(path, `"${input}" is a range; write it as \`cidr: ${input}\` (\`ip\` takes one address)`),
    );
    return undefined;
  }
  if (parsed.hadHostBits) {
    const host = input.trim().split('/')[0]!;
    problems.push(
      locator.atPath(
        path,
        `"${input}" has host bits set; write ${parsed.cidr} for the whole network or ${host}/${parsed.family === 4 ? 32 : 128} for the single address`,
      ),
    );
    return undefined;
  }
  return [parsed];
}

/**
 * When the schema fails, still check the ranges it could reach, so one run lists the bad CIDRs
 * too and not only the structural problems (a reviewer fixes everything in one pass).
 */
function rawEntryProblems(value: unknown, locator: Locator): Problem[] {
  const problems: Problem[] = [];
  const raw = value as { lists?: unknown; safety?: unknown };
  const safety = safetySchema.safeParse(raw.safety ?? {});
  if (!isRecord(raw.lists)) return problems;
  for (const [name, list] of Object.entries(raw.lists)) {
    const entries = isRecord(list) && Array.isArray(list.entries) ? (list.entries as unknown[]) : [];
    entries.forEach((entry, i) => {
      if (!isRecord(entry)) return;
      const kinds = ['cidr', 'ip', 'cloudNat'].filter((k) => entry[k] !== undefined);
      if (kinds.length !== 1)
        problems.push(
          locator.atPath(
            ['lists', name, 'entries', i],
            `an entry needs exactly one of cidr, ip or cloudNat (found ${kinds.length ? kinds.join(', ') : 'none'})`,
          ),
        );
      for (const field of ['cidr', 'ip'] as const) {
        const text = entry[field];
        if (typeof text !== 'string') continue;
        const path = ['lists', name, 'entries', i, field];
        const ranges = rangesOf(text, field, path, locator, problems);
        if (ranges && safety.success)
          for (const r of ranges) pushIf(problems, wideRangeReason(r, safety.data), () => locator.atPath(path, ''));
      }
    });
  }
  return problems;
}

function pushIf(problems: Problem[], message: string | undefined, at: () => Problem): void {
  if (message) problems.push({ ...at(), message });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A date alone means 00:00 UTC of that day: the entry is gone from that day on. */
function expiryInstant(text: string): Date {
  return new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
}

function duplicateWarnings(list: string, entries: readonly AllowlistEntry[], locator: Locator): Problem[] {
  const seen = new Map<string, string>();
  const problems: Problem[] = [];
  entries.forEach((entry, i) => {
    const key = entry.kind === 'static' ? entry.cidrs.join(',') : entry.key;
    const first = seen.get(key);
    if (first)
      problems.push(
        locator.atPath(
          ['lists', list, 'entries', i],
          `duplicates the entry at ${first}; it is allowed once`,
          'warning',
        ),
      );
    else seen.set(key, entry.where.split(':').slice(-2).join(':'));
  });
  return problems;
}

function whereOf(problem: Problem): string {
  return `${problem.source}:${problem.line}:${problem.column}`;
}
