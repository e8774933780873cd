/**
 * A reply of the local Google Cloud outside Google's definition (shapes.ts) is a bug of the
 * emulator. The caller sees a 500 for it, but a client that retries a 5xx, or reports a 5xx as a
 * degraded service, can pass straight through one. Each finding is therefore also written down, as
 * it is made, when the emulator's user says where (`EmulatorOptions.replyFindings`): one JSON file
 * per finding, which a test run can judge once every test has finished.
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
  /** Who ran the emulator, as its user says (`EmulatorOptions.replyFindings.source`, e.g. a test file). */
  source: string;
}

/** Writes `finding` to a new file in `dir`. */
export function writeFinding(dir: string, finding: ReplyFinding): void {
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
  if (f.method === 'gRPC')
    return `${f.methodId} (gRPC) replied with ${f.field}: ${f.problem}, outside ${f.definition}, which the encoder drops — in ${f.source || 'an unnamed run'}; fix the emulator's reply (emulator/pubsub/), not the check`;
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
