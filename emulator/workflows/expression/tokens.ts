/**
 * Tokenizer for the language inside `${...}`. Hand-written (no eval, no parser generator) so an
 * error can point at the exact offset, and so nothing beyond Workflows' grammar sneaks in.
 */
import { ExpressionSyntaxError } from '../errors.js';

export const TOKEN_KINDS = ['number', 'string', 'ident', 'keyword', 'op', 'eof'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export interface Token {
  kind: TokenKind;
  text: string;
  /** For numbers and strings: the literal's value. */
  value?: number | string;
  offset: number;
}

const KEYWORDS = new Set(['true', 'false', 'null', 'and', 'or', 'not', 'in', 'True', 'False']);
const OPERATORS = [
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '.',
  ':',
];
const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
};

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const token = readToken(source, i);
    tokens.push(token);
    i = token.offset + token.text.length;
  }
  tokens.push({ kind: 'eof', text: '', offset: source.length });
  return tokens;
}

function readToken(source: string, i: number): Token {
  const ch = source[i]!;
  if (/[0-9]/.test(ch)) return readNumber(source, i);
  if (ch === '"' || ch === "'") return readString(source, i);
  if (/[A-Za-z_]/.test(ch)) {
    const text = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))![0];
    return { kind: KEYWORDS.has(text) ? 'keyword' : 'ident', text, offset: i };
  }
  const op = OPERATORS.find((o) => source.startsWith(o, i));
  if (op) return { kind: 'op', text: op, offset: i };
  throw new ExpressionSyntaxError(`unexpected character '${ch}'`, i);
}

function readNumber(source: string, i: number): Token {
  const text = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i))![0];
  if (/[A-Za-z_]/.test(source[i + text.length] ?? '')) {
    throw new ExpressionSyntaxError(`malformed number '${source.slice(i, i + text.length + 1)}'`, i);
  }
  return { kind: 'number', text, value: Number(text), offset: i };
}

function readString(source: string, start: number): Token {
  const quote = source[start]!;
  let value = '';
  let i = start + 1;
  while (i < source.length && source[i] !== quote) {
    if (source[i] === '\\') {
      const [decoded, width] = readEscape(source, i);
      value += decoded;
      i += width;
    } else {
      value += source[i++];
    }
  }
  if (i >= source.length) throw new ExpressionSyntaxError('unterminated string literal', start);
  return { kind: 'string', text: source.slice(start, i + 1), value, offset: start };
}

function readEscape(source: string, i: number): [string, number] {
  const next = source[i + 1];
  if (next === 'u') {
    const hex = source.slice(i + 2, i + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new ExpressionSyntaxError('bad \\u escape', i);
    return [String.fromCharCode(parseInt(hex, 16)), 6];
  }
  const decoded = next === undefined ? undefined : ESCAPES[next];
  if (decoded === undefined) throw new ExpressionSyntaxError(`unknown escape '\\${next ?? ''}'`, i);
  return [decoded, 2];
}
