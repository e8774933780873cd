/**
 * Loading untrusted YAML or JSON safely, with positions kept for every problem.
 *
 * The allowlist arrives from a bucket that more people can write than should be able to crash or
 * steer the function, so the loader refuses, each with a located problem: files over 1 MiB, bytes
 * that are not UTF-8, more than one document, duplicate keys, custom tags, alias expansion beyond
 * a small budget (the "billion laughs" bomb), and the keys `__proto__`, `constructor` and
 * `prototype` (prototype pollution in whatever later merges the object). JSON is read by the same
 * YAML 1.2 parser, of which it is a subset, so both formats get the same checks and positions.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import type { PathSegment, Problem } from './problems.js';
import { formatPath } from './problems.js';

export const MAX_FILE_BYTES = 1024 * 1024;
/** Aliases resolved (weighted by size) before the document counts as an expansion attack. */
export const MAX_ALIAS_COUNT = 50;
/** A UTF-16 surrogate without its pair: text that has no UTF-8 encoding. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface LoadedYaml {
  readonly doc: Document.Parsed;
  readonly value: unknown;
  readonly lines: LineCounter;
}

/** Locates problems in one loaded document. */
export class Locator {
  constructor(
    private readonly source: string,
    private readonly lines?: LineCounter,
    private readonly doc?: Document.Parsed,
  ) {}

  at(
    offset: number,
    message: string,
    path: readonly PathSegment[] = [],
    severity: Problem['severity'] = 'error',
  ): Problem {
    const pos = this.lines ? this.lines.linePos(offset) : { line: 1, col: 1 };
    return { severity, message, path: formatPath(path), line: pos.line, column: pos.col, source: this.source };
  }

  /** The deepest node on `path` that exists (a missing key points at its parent); `atKey` points at the last key itself. */
  atPath(
    path: readonly PathSegment[],
    message: string,
    severity: Problem['severity'] = 'error',
    atKey = false,
  ): Problem {
    return this.at(this.offsetOf(path, atKey), message, path, severity);
  }

  whole(message: string): Problem {
    return this.at(0, message);
  }

  private offsetOf(path: readonly PathSegment[], atKey: boolean): number {
    let node: unknown = this.doc?.contents;
    let offset = rangeStart(node) ?? 0;
    for (const [i, segment] of path.entries()) {
      const next = child(node, segment);
      if (!next) break;
      node = next.value;
      const onKey = atKey && i === path.length - 1;
      offset = (onKey ? rangeStart(next.key) : (rangeStart(next.value) ?? rangeStart(next.key))) ?? offset;
    }
    return offset;
  }
}

/** Decodes, size-checks and parses one YAML/JSON document; problems carry positions. */
export function loadYaml(input: string | Uint8Array, source: string): { loaded?: LoadedYaml; problems: Problem[] } {
  const bare = new Locator(source);
  const decoded = decode(input);
  if (typeof decoded !== 'string') return { problems: [{ ...bare.whole(decoded.error), ...decoded.at }] };
  const lines = new LineCounter();
  const docs = parseAllDocuments(decoded, {
    lineCounter: lines,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    schema: 'core',
    merge: false,
    intAsBigInt: false,
  });
  const located = new Locator(source, lines);
  if (!Array.isArray(docs) || docs.length === 0)
    return { problems: [located.whole('the file is empty; expected an allowlist document (version: 1, lists: …)')] };
  const problems = docs
    .slice(1)
    .map((d) => located.at(d.range[0], 'only one document per file is allowed (found a second `---` document)'));
  const doc = docs[0]!;
  for (const e of [...doc.errors, ...doc.warnings]) problems.push(located.at(e.pos[0], cleanYamlMessage(e.message)));
  problems.push(...forbiddenKeys(doc, new Locator(source, lines, doc)));
  if (problems.length) return { problems };
  return toValue(doc, lines, new Locator(source, lines, doc));
}

function toValue(
  doc: Document.Parsed,
  lines: LineCounter,
  locator: Locator,
): { loaded?: LoadedYaml; problems: Problem[] } {
  try {
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    if (value === null || value === undefined)
      return { problems: [locator.whole('the file is empty; expected an allowlist document (version: 1, lists: …)')] };
    return { loaded: { doc, value, lines }, problems: [] };
  } catch (err) {
    const message =
      err instanceof ReferenceError
        ? `YAML aliases expand beyond the limit of ${MAX_ALIAS_COUNT} (an alias bomb?); write the entries out instead of aliasing them`
        : `the YAML document could not be read: ${err instanceof Error ? err.message : String(err)}`;
    return { problems: [locator.whole(message)] };
  }
}

/** The one message for a file over the size limit, whether its bytes were read or only its metadata. */
export function tooLargeMessage(size: number): string {
  return `the file is ${size} bytes; allowlists are limited to ${MAX_FILE_BYTES} bytes (1 MiB) — split it or merge ranges`;
}

/** Bytes → text, refusing what is not UTF-8 or too large; a leading BOM is dropped. */
function decode(input: string | Uint8Array): string | { error: string; at?: { line: number; column: number } } {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > MAX_FILE_BYTES) return { error: tooLargeMessage(size) };
  let text: string;
  if (typeof input === 'string') {
    if (LONE_SURROGATE.test(input))
      return { error: 'the text contains unpaired UTF-16 surrogates; save the file as UTF-8' };
    text = input;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      const offset = firstInvalidUtf8(input);
      return {
        error: `the file is not valid UTF-8 (byte 0x${input[offset]?.toString(16) ?? '??'} at offset ${offset}); save it as UTF-8`,
        at: bytePosition(input, offset),
      };
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Offset of the first byte of the first invalid or truncated UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  // Longest prefix that still decodes as a stream (a trailing incomplete sequence is pending, not invalid).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return startOfPendingSequence(bytes, lo);
}

/** Steps back over a lead byte whose sequence the prefix `[0, end)` does not complete. */
function startOfPendingSequence(bytes: Uint8Array, end: number): number {
  for (let i = end - 1; i >= Math.max(0, end - 3); i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + length > end ? i : end;
  }
  return end;
}

/** 1-based line and column (in bytes) of a byte offset. */
function bytePosition(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function forbiddenKeys(doc: Document.Parsed, locator: Locator): Problem[] {
  const problems: Problem[] = [];
  visit(doc, {
    Pair(_, pair) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) {
        problems.push(
          locator.at(rangeStart(pair.key) ?? 0, `the key "${key}" is not allowed (it could pollute object prototypes)`),
        );
      }
    },
  });
  return problems;
}

function child(node: unknown, segment: PathSegment): { key?: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
    return pair ? { key: pair.key, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

/** yaml's messages end with a code excerpt when prettyErrors is on; keep only the sentence. */
function cleanYamlMessage(message: string): string {
  return `YAML: ${message.split('\n')[0]}`;
}
