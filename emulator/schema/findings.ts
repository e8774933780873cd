/**
 * A reply of the local Google Cloud outside Google's definition (shapes.ts) is a bug of the
 * emulator. The caller sees a 500 for it, but a 500 is what netreflex retries and reports as
 * "degraded" (shared/errors.ts: every 5xx is transient), so a test can pass straight through one.
 * Each finding is therefore also written down, as it is made: when NETREFLEX_REPLY_FINDINGS_DIR is
 * set (vitest.config.ts picks one directory per run; child processes such as `npm start` under
 * test inherit it), one JSON file per finding. test/schema/reply-findings.test.ts runs in a later
 * vitest group and fails naming every finding of the run.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReplyFinding {
  /** Google's method id of the call (`compute.routes.get`), or the event's type. */
  methodId: string;
  /** The HTTP verb and path of the call; `EVENT` and the event's source and subject. */
  method: string;
  path: string;
  /** The status the handler answered with (the caller saw a 500 instead); 0 for an event. */
  status: number;
  /** What the reply was checked against: the response message, or Google's JSON error shape. */
  definition: string;
  /** The offending field in the reply (`items[0].internalNote`), `(body)` for the body itself. */
  field: string;
  /** What is wrong with it (`unknown field "internalNote"`). */
  problem: string;
  /** Who ran the emulator: the test file, under the test suite (NETREFLEX_IAM_CHECKS_SOURCE, test/iam/source.ts). */
  source: string;
}

/** Writes `finding` to NETREFLEX_REPLY_FINDINGS_DIR, when that is set. */
export function writeFinding(finding: ReplyFinding): void {
  const dir = process.env.NETREFLEX_REPLY_FINDINGS_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${randomUUID()}.json`), JSON.stringify(finding));
}

/** Every finding written under `dir`. */
export function readFindings(dir: string): ReplyFinding[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ReplyFinding);
}

/** One line a person can act on: the call, the field and what is wrong, where it was seen. */
export function describeReplyFinding(f: ReplyFinding): string {
  if (f.method === 'EVENT')
    return `the ${f.methodId} event from ${f.path} carried ${f.field}: ${f.problem}, outside ${f.definition} — in ${f.source || 'an unnamed run'}; fix the event the emulator publishes (emulator/), not the check`;
  return `${f.methodId} (${f.method} ${f.path}) answered ${f.status} with ${f.field}: ${f.problem}, outside ${f.definition} — in ${f.source || 'an unnamed run'}; fix the emulator's reply (emulator/), not the check`;
}

/** The findings of a run, one line per distinct call, field and problem, naming where each was seen. */
export function replyProblems(findings: readonly ReplyFinding[]): string[] {
  const seen = new Map<string, { first: ReplyFinding; sources: Set<string> }>();
  for (const f of findings) {
    const key = JSON.stringify([f.methodId, f.method, f.path, f.status, f.field, f.problem]);
    const entry = seen.get(key) ?? { first: f, sources: new Set<string>() };
    entry.sources.add(f.source || 'an unnamed run');
    seen.set(key, entry);
  }
  return [...seen.values()]
    .map(({ first, sources }) => describeReplyFinding({ ...first, source: [...sources].sort().join(', ') }))
    .sort();
}
