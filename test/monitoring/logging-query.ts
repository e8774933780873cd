/**
 * The part of Cloud Logging's query language netreflex's log-based metrics use, evaluated against
 * LogEntry objects, so the offline checks can prove a metric's filter matches the lines the
 * functions write. Written after https://cloud.google.com/logging/docs/view/logging-query-language:
 *
 * - comparisons `path OP value` with `=`, `!=`, `<`, `<=`, `>`, `>=`, `:` (has: substring,
 *   case-insensitive), `=~` / `!~` (regular expressions), and `path:*` (the field is present);
 * - a value may be a parenthesised list joined by OR: `status=("ok" OR "degraded")`;
 * - `NOT` binds tightest, then `OR`, then `AND` — the documented precedence, the reverse
 *   of most languages: `a OR b AND c` is `(a OR b) AND c`; juxtaposed terms are ANDed;
 * - `severity` compares by rank (DEFAULT < DEBUG < INFO < NOTICE < WARNING < ERROR < …).
 *
 * Anything outside this subset is a parse error, never a silent match: a filter the checks cannot
 * read fails the check that reads it. Hand-written: no maintained JavaScript implementation of the
 * language exists.
 */

export type LogEntry = Record<string, unknown>;

const SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];
const OPS = ['>=', '<=', '!=', '=~', '!~', '=', '<', '>', ':'] as const;
type Op = (typeof OPS)[number];

type Node =
  | { kind: 'and' | 'or'; items: Node[] }
  | { kind: 'not'; item: Node }
  | { kind: 'present'; path: string[] }
  | { kind: 'cmp'; path: string[]; op: Op; values: (string | number)[] };

type Token = { t: 'word' | 'string' | 'op' | '(' | ')'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ t: c, v: c });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) {
          v += src[j + 1];
          j += 2;
          continue;
        }
        v += src[j++];
      }
      if (j >= src.length) throw new SyntaxError(`unterminated string at ${i} in ${src}`);
      out.push({ t: 'string', v });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ t: 'op', v: op });
      i += op.length;
      continue;
    }
    const m = /^[A-Za-z0-9_.*@/-]+/.exec(src.slice(i));
    if (!m) throw new SyntaxError(`unexpected '${c}' at ${i} in ${src}`);
    out.push({ t: 'word', v: m[0] });
    i += m[0].length;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  parse(): Node {
    const node = this.and();
    if (this.i < this.tokens.length) throw new SyntaxError(`unexpected '${this.tokens[this.i]!.v}' in ${this.src}`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private and(): Node {
    const items = [this.or()];
    for (;;) {
      const t = this.peek();
      if (!t || t.t === ')') break;
      if (t.t === 'word' && t.v === 'AND') this.i++;
      items.push(this.or());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private or(): Node {
    const items = [this.not()];
    while (this.peek()?.t === 'word' && this.peek()!.v === 'OR') {
      this.i++;
      items.push(this.not());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private not(): Node {
    const t = this.peek();
    if (t?.t === 'word' && t.v === 'NOT') {
      this.i++;
      return { kind: 'not', item: this.not() };
    }
    return this.primary();
  }

  private primary(): Node {
    const t = this.tokens[this.i++];
    if (!t) throw new SyntaxError(`unexpected end of ${this.src}`);
    if (t.t === '(') {
      const inner = this.and();
      if (this.tokens[this.i++]?.t !== ')') throw new SyntaxError(`missing ')' in ${this.src}`);
      return inner;
    }
    if (t.t !== 'word') throw new SyntaxError(`expected a field at '${t.v}' in ${this.src}`);
    const path = t.v.split('.');
    const op = this.tokens[this.i++];
    if (op?.t !== 'op') throw new SyntaxError(`expected an operator after ${t.v} in ${this.src}`);
    const next = this.peek();
    if (op.v === ':' && next?.t === 'word' && next.v === '*') {
      this.i++;
      return { kind: 'present', path };
    }
    return { kind: 'cmp', path, op: op.v as Op, values: this.values() };
  }

  private values(): (string | number)[] {
    const t = this.tokens[this.i++];
    if (!t) throw new SyntaxError(`expected a value in ${this.src}`);
    if (t.t === '(') {
      const out = [this.scalar()];
      while (this.peek()?.t === 'word' && this.peek()!.v === 'OR') {
        this.i++;
        out.push(this.scalar());
      }
      if (this.tokens[this.i++]?.t !== ')') throw new SyntaxError(`missing ')' after a value list in ${this.src}`);
      return out;
    }
    this.i--;
    return [this.scalar()];
  }

  private scalar(): string | number {
    const t = this.tokens[this.i++];
    if (!t || (t.t !== 'string' && t.t !== 'word')) throw new SyntaxError(`expected a value in ${this.src}`);
    if (t.t === 'word' && /^-?\d+(\.\d+)?$/.test(t.v)) return Number(t.v);
    return t.v;
  }
}

export function parseQuery(src: string): Node {
  return new Parser(tokenize(src), src).parse();
}

function lookup(entry: LogEntry, path: string[]): unknown {
  let cur: unknown = entry;
  for (const key of path)
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  return cur;
}

function compare(field: unknown, op: Op, value: string | number, isSeverity: boolean): boolean {
  if (field === undefined || field === null) return false;
  if (op === ':') return String(field).toLowerCase().includes(String(value).toLowerCase());
  if (op === '=~' || op === '!~') {
    const hit = new RegExp(String(value)).test(String(field));
    return op === '=~' ? hit : !hit;
  }
  let a: string | number = typeof field === 'number' ? field : String(field);
  let b: string | number = value;
  if (isSeverity) {
    a = SEVERITIES.indexOf(String(field).toUpperCase());
    b = SEVERITIES.indexOf(String(value).toUpperCase());
    if (b < 0) throw new SyntaxError(`unknown severity ${value}`);
  } else if (typeof a === 'number' || typeof b === 'number') {
    a = Number(a);
    b = Number(b);
  }
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

function evaluate(node: Node, entry: LogEntry): boolean {
  switch (node.kind) {
    case 'and':
      return node.items.every((n) => evaluate(n, entry));
    case 'or':
      return node.items.some((n) => evaluate(n, entry));
    case 'not':
      return !evaluate(node.item, entry);
    case 'present':
      return lookup(entry, node.path) !== undefined;
    case 'cmp': {
      const field = lookup(entry, node.path);
      const severity = node.path.length === 1 && node.path[0] === 'severity';
      return node.values.some((v) => compare(field, node.op, v, severity));
    }
  }
}

/** True when `entry` matches the Logging query `query`. */
export function matches(query: string, entry: LogEntry): boolean {
  return evaluate(parseQuery(query), entry);
}

/**
 * A log-based metric's label extractor (https://cloud.google.com/logging/docs/logs-based-metrics/labels):
 * `EXTRACT(field)` or `REGEXP_EXTRACT(field, "re")` (the first capture group); undefined when the
 * entry has no such field or the expression does not match.
 */
export function extractLabel(extractor: string, entry: LogEntry): string | undefined {
  const plain = /^EXTRACT\(\s*([\w.]+)\s*\)$/.exec(extractor);
  if (plain) {
    const v = lookup(entry, plain[1]!.split('.'));
    return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
  }
  const re = /^REGEXP_EXTRACT\(\s*([\w.]+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)$/.exec(extractor);
  if (re) {
    const v = lookup(entry, re[1]!.split('.'));
    if (v === undefined || v === null) return undefined;
    return new RegExp(re[2]!.replace(/\\\\/g, '\\')).exec(String(v))?.[1];
  }
  throw new SyntaxError(`unsupported label extractor ${extractor}`);
}

/**
 * The LogEntry Cloud Run makes of one structured line a function writes to stdout: `severity`
 * becomes the entry's severity, `timestamp` its time, every other field (message included) stays
 * under jsonPayload (https://cloud.google.com/logging/docs/structured-logging).
 */
export function cloudRunEntry(
  service: string,
  line: Record<string, unknown>,
  project = 'netreflex-demo',
  region = 'asia-northeast1',
): LogEntry {
  const { severity, timestamp, ...jsonPayload } = line;
  return {
    logName: `projects/${project}/logs/run.googleapis.com%2Fstdout`,
    resource: {
      type: 'cloud_run_revision',
      labels: {
        service_name: service,
        revision_name: `${service}-00001-abc`,
        configuration_name: service,
        location: region,
        project_id: project,
      },
    },
    severity: typeof severity === 'string' ? severity : 'DEFAULT',
    ...(typeof timestamp === 'string' ? { timestamp } : {}),
    jsonPayload,
  };
}
