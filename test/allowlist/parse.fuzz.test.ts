/** Fuzzing the allowlist parser (issue 7 §4): any input gives a result or located problems, never a crash. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseAllowlist, type ParseAllowlistResult } from '../../shared/allowlist/parse.js';
import { parseCidr } from '../../shared/net/cidr.js';

const SAMPLE = readFileSync(new URL('../../functions/armor-allowlist/sample-allowlist.yaml', import.meta.url), 'utf8');

/** The structural contract: ok with a config, or a non-empty list of well-formed problems. */
function expectStructured(result: ParseAllowlistResult, input: string | Uint8Array): void {
  if (result.ok) {
    const lineCount = (typeof input === 'string' ? input : new TextDecoder().decode(input)).split('\n').length;
    for (const list of result.allowlist.lists) {
      for (const entry of list.entries) {
        if (entry.kind !== 'static') continue;
        for (const cidr of entry.cidrs) {
          const parsed = parseCidr(cidr);
          // never wider than the file's safety allows, whatever the input was
          const min =
            parsed.family === 4
              ? result.allowlist.safety.minPrefixLength.ipv4
              : result.allowlist.safety.minPrefixLength.ipv6;
          if (!result.allowlist.safety.allowWorldOpen)
            expect(parsed.prefixLength).toBeGreaterThanOrEqual(Math.max(min, 1));
        }
      }
    }
    for (const w of result.warnings) expect(w.line).toBeLessThanOrEqual(lineCount);
    return;
  }
  expect(result.problems.length).toBeGreaterThan(0);
  for (const p of result.problems) {
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.column).toBeGreaterThanOrEqual(1);
    expect(typeof p.message).toBe('string');
    expect(p.message.length).toBeGreaterThan(0);
    expect(['error', 'warning']).toContain(p.severity);
  }
}

function check(input: string | Uint8Array): void {
  let result: ParseAllowlistResult | undefined;
  expect(() => (result = parseAllowlist(input, 'fuzz.yaml'))).not.toThrow();
  expectStructured(result!, input);
}

const KEYS = [
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
  '__proto__',
  'constructor',
  'prototype',
  'from',
  'to',
  'force',
  'allowWorldOpen',
  'minPrefixLength',
  'ipv4',
  'ipv6',
];
const leaf = fc.oneof(
  fc.constantFrom(
    '10.0.0.0/8',
    '0.0.0.0/0',
    '*',
    '::/0',
    '198.51.100.7/24',
    '2001:db8::/32',
    '203.0.113.5',
    'sync',
    'upsert-only',
    '2025-01-01',
    'p',
    1,
    0,
    -1,
    2147483647,
    true,
    null,
  ),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
);
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 5 }),
  ),
})).node;

/** Near-valid documents: the sample's shape with random values in random places. */
const nearValid = fc.record(
  {
    version: fc.oneof(fc.constant(1), leaf),
    policies: fc.oneof(fc.constant(['inference-policy']), tree),
    safety: fc.oneof(
      fc.constant({}),
      fc.record(
        { allowWorldOpen: fc.boolean(), minPrefixLength: fc.record({ ipv4: fc.integer({ min: -2, max: 40 }) }) },
        { requiredKeys: [] },
      ),
    ),
    lists: fc.dictionary(
      fc.oneof(fc.constantFrom('partners', 'pipelines'), fc.string({ maxLength: 6 })),
      fc.record({
        entries: fc.array(fc.record({ cidr: leaf, ip: leaf, description: leaf, expires: leaf }, { requiredKeys: [] }), {
          maxLength: 5,
        }),
      }),
      { maxKeys: 3 },
    ),
  },
  { requiredKeys: [] },
);

describe('parseAllowlist under fuzzing', () => {
  it('arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), check), { numRuns: 300 });
  });

  it('arbitrary bytes, including invalid UTF-8', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 300 });
  });

  it('random YAML and JSON trees with the schema keys and prototype keys', () => {
    fc.assert(
      fc.property(tree, fc.boolean(), (value, asJson) => {
        const text = asJson ? (JSON.stringify(value) ?? 'null') : stringify(value);
        check(text);
      }),
      { numRuns: 150 },
    );
  });

  it('near-valid documents never let a too-wide range through', () => {
    fc.assert(
      fc.property(nearValid, (value) => check(stringify(value))),
      { numRuns: 150 },
    );
  });

  it('the sample file with random edits', () => {
    const edit = fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let text = SAMPLE;
        for (const [at, kind, chars] of edits) {
          const i = at % (text.length + 1);
          if (kind === 0) text = text.slice(0, i) + text.slice(i + 1);
          else if (kind === 1) text = text.slice(0, i) + chars + text.slice(i);
          else if (kind === 2) text = text.slice(0, i) + '&a ' + text.slice(i) + '\nx: *a';
          else text = text.slice(0, i) + '\n' + text.slice(i);
        }
        check(text);
      }),
      { numRuns: 150 },
    );
  });
});
