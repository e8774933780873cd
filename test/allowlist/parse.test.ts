import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllowlist } from '../../shared/allowlist/parse.js';
import { formatProblem, type Problem } from '../../shared/allowlist/problems.js';
import { symbolicSources, targetPolicies } from '../../shared/allowlist/model.js';
import { desiredAllowlist, planAllowlist } from '../../shared/plan/allowlist.js';
import { DEFAULT_RULE } from './helpers.js';

function problems(input: string | Uint8Array): Problem[] {
  const result = parseAllowlist(input, 'allowlist.yaml');
  expect(result.ok).toBe(false);
  return result.ok ? [] : [...result.problems];
}

function lines(input: string | Uint8Array): string[] {
  return problems(input).map(formatProblem);
}

const README_ALL = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** The allowlist section of the README: its first yaml block is the full example. */
const README = README_ALL.slice(README_ALL.indexOf('## The allowlist file'));
const SAMPLE = readFileSync(new URL('../../functions/armor-allowlist/sample-allowlist.yaml', import.meta.url));

describe('parseAllowlist', () => {
  it('accepts the README example and applies the documented defaults', () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(README)![1]!;
    const result = parseAllowlist(example, 'README.md');
    expect(result.ok && result.warnings).toEqual([]);
    if (!result.ok) return;
    expect(result.allowlist.safety).toEqual({
      minPrefixLength: { ipv4: 16, ipv6: 48 },
      allowWorldOpen: false,
      maxRemovalShare: 0.5,
      force: false,
    });
    expect(result.allowlist.lists.map((l) => l.name)).toEqual(['pipelines', 'partners']);
    expect(result.allowlist.lists[1]!.entries[2]).toMatchObject({
      kind: 'static',
      cidrs: ['2001:db8:100::/48'],
      expires: new Date('2030-06-30T09:00:00Z'),
    });
  });

  it('accepts the sample allowlist; with its NAT resolved it plans one rule per list', () => {
    const result = parseAllowlist(SAMPLE, 'sample-allowlist.yaml');
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(targetPolicies(result.allowlist)).toEqual(['inference-policy']);
    const [nat] = symbolicSources(result.allowlist, 'inference-policy');
    expect(nat!.key).toBe('cloudNat:asia-northeast1/nat-router/nat-egress');
    const want = desiredAllowlist(result.allowlist, {
      policy: 'inference-policy',
      now: new Date('2026-01-01T00:00:00Z'),
      resolved: new Map([[nat!.key, ['203.0.113.5']]]),
    });
    expect(want.lists.map((l) => l.cidrs)).toEqual([
      ['203.0.113.5/32'],
      ['198.51.100.0/26', '198.51.100.64/27', '198.51.100.200/32', '2001:db8:100::/48'],
    ]);
    expect(planAllowlist(want, [DEFAULT_RULE]).steps.map((s) => s.kind)).toEqual(['addRule', 'addRule']);
  });

  it('reads JSON with the same checks and positions', () => {
    const json = JSON.stringify({
      version: 1,
      policies: ['p'],
      lists: { l: { entries: [{ cidr: '198.51.100.0/24', description: 'd' }] } },
    });
    expect(parseAllowlist(json, 'a.json').ok).toBe(true);
    expect(
      lines(
        '{"version": 1, "policies": ["p"],\n "lists": {"l": {"entries": [{"cidr": "10.0.0.0/33", "description": "d"}]}}}',
      ),
    ).toEqual([
      'allowlist.yaml:2:39: lists.l.entries[0].cidr: "10.0.0.0/33" has an invalid prefix length (expected /0 to /32)',
    ]);
  });

  it('reports every problem with line, column and path, not only the first', () => {
    const text = [
      'version: 2', // 1
      'policies: [Inference]',
      'mode: mirror',
      'lists:',
      '  Partners:', // 5
      '    entries: []',
      '  ok:',
      '    entries:',
      '      - cidr: 198.51.100.7/24',
      '        description: x', // 10
      '        expire: 2025-01-01',
      '      - ip: 10.0.0.0/8',
      '        description: ""',
      '      - cidr: 198.51.100.0/24',
      '      - cidr: 198.51.100.0/24', // 15
      '        ip: 198.51.100.1',
      '        description: both',
      '        expires: 2025-01-01T00:00:00',
    ].join('\n');
    expect(lines(text)).toEqual([
      'allowlist.yaml:1:10: version: must be 1 (the only allowlist format version)',
      'allowlist.yaml:2:12: policies[0]: must be a lowercase RFC 1035 name (a-z, 0-9, -; 1-63 chars; starts with a letter)',
      'allowlist.yaml:3:7: mode: Invalid option: expected one of "sync"|"upsert-only"',
      'allowlist.yaml:5:3: lists.Partners: invalid name "Partners": must be a lowercase name of at most 40 chars (a-z, 0-9, -), starting with a letter',
      'allowlist.yaml:9:15: lists.ok.entries[0].cidr: "198.51.100.7/24" has host bits set; write 198.51.100.0/24 for the whole network or 198.51.100.7/32 for the single address',
      'allowlist.yaml:11:9: lists.ok.entries[0].expire: unknown key "expire"; did you mean "expires"?',
      'allowlist.yaml:12:13: lists.ok.entries[1].ip: "10.0.0.0/8" is a range; write it as `cidr: 10.0.0.0/8` (`ip` takes one address)',
      'allowlist.yaml:13:22: lists.ok.entries[1].description: must say who this is and why they are allowed',
      'allowlist.yaml:14:9: lists.ok.entries[2].description: is required (string)',
      'allowlist.yaml:15:9: lists.ok.entries[3]: an entry needs exactly one of cidr, ip or cloudNat (found cidr, ip)',
      'allowlist.yaml:18:18: lists.ok.entries[3].expires: must be an ISO date (2025-12-31, meaning 00:00 UTC) or a date-time with an offset (2025-12-31T18:00:00+09:00)',
    ]);
  });

  it('refuses world-open and too-wide ranges unless opted in', () => {
    const file = (cidr: string, safety = '') =>
      `version: 1\npolicies: [p]\n${safety}lists:\n  l:\n    entries:\n      - { cidr: "${cidr}", description: d }\n`;
    expect(lines(file('*'))).toHaveLength(2);
    expect(lines(file('0.0.0.0/0'))[0]).toMatch(/:6:17: .*whole IPv4 internet; set safety.allowWorldOpen: true/);
    expect(lines(file('2001:db8::/32'))[0]).toMatch(/wider than the minimum prefix \/48 for IPv6/);
    expect(parseAllowlist(file('2001:db8::/32', 'safety: { minPrefixLength: { ipv6: 32 } }\n'), 'a').ok).toBe(true);
    expect(parseAllowlist(file('*', 'safety: { allowWorldOpen: true }\n'), 'a').ok).toBe(true);
  });

  it('warns about duplicate entries without refusing the file', () => {
    const result = parseAllowlist(
      'version: 1\npolicies: [p]\nlists:\n  l:\n    entries:\n      - { ip: 192.0.2.1, description: a }\n      - { cidr: 192.0.2.1/32, description: b }\n',
      'a.yaml',
    );
    expect(result.ok && result.warnings.map(formatProblem)).toEqual([
      'a.yaml:7:9: warning: lists.l.entries[1]: duplicates the entry at 6:9; it is allowed once',
    ]);
  });

  it('needs a target for every list', () => {
    expect(lines('version: 1\nlists:\n  l:\n    entries: []\n')).toEqual([
      'allowlist.yaml:3:3: lists.l: has no target: set `policies` on the list or at the top of the file',
    ]);
    expect(parseAllowlist('version: 1\nlists:\n  l:\n    policies: [p]\n    entries: []\n', 'a').ok).toBe(true);
  });

  describe('hostile input', () => {
    it('refuses a YAML alias bomb', () => {
      const bomb = [
        'a: &a [x, x, x, x, x, x, x, x, x]',
        'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
        'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
        'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
        'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
      ].join('\n');
      expect(lines(bomb)).toEqual([expect.stringMatching(/aliases expand beyond the limit/)]);
    });

    it('refuses files over 1 MiB before parsing them', () => {
      const big = `version: 1\n# ${'x'.repeat(1024 * 1024)}\n`;
      expect(lines(big)).toEqual([
        expect.stringMatching(/allowlist.yaml:1:1: the file is 1048590 bytes; allowlists are limited to 1048576 bytes/),
      ]);
      expect(lines(new TextEncoder().encode(big))).toHaveLength(1);
    });

    it('refuses prototype-pollution keys wherever they are', () => {
      const text =
        'version: 1\n__proto__: { polluted: true }\nlists:\n  l:\n    constructor: x\n    entries:\n      - { prototype: 1, cidr: 192.0.2.1/32, description: d }\n';
      expect(lines(text)).toEqual([
        'allowlist.yaml:2:1: the key "__proto__" is not allowed (it could pollute object prototypes)',
        'allowlist.yaml:5:5: the key "constructor" is not allowed (it could pollute object prototypes)',
        'allowlist.yaml:7:11: the key "prototype" is not allowed (it could pollute object prototypes)',
      ]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('refuses bytes that are not UTF-8, and unpaired surrogates', () => {
      const bytes = new Uint8Array([...new TextEncoder().encode('version: 1\n# caf'), 0xe9, 0x0a]);
      expect(lines(bytes)).toEqual([
        'allowlist.yaml:2:6: the file is not valid UTF-8 (byte 0xe9 at offset 16); save it as UTF-8',
      ]);
      expect(lines('version: 1\n# \ud800\n')[0]).toMatch(/unpaired UTF-16 surrogates/);
    });

    it('accepts a UTF-8 BOM and non-ASCII descriptions', () => {
      const text =
        '\ufeffversion: 1\npolicies: [p]\nlists:\n  l:\n    entries:\n      - { ip: 192.0.2.1, description: 推論 API の呼び出し元 }\n';
      expect(parseAllowlist(new TextEncoder().encode(text), 'a').ok).toBe(true);
    });

    it('refuses duplicate keys, several documents, custom tags and empty files', () => {
      expect(lines('version: 1\nversion: 1\nlists: {}\n')[0]).toMatch(
        /allowlist.yaml:2:1: YAML: Map keys must be unique/,
      );
      expect(lines('version: 1\nlists: {}\n---\nversion: 1\n')).toEqual([
        'allowlist.yaml:3:1: only one document per file is allowed (found a second `---` document)',
      ]);
      expect(lines('version: !!js/function "x"\nlists: {}\n')[0]).toMatch(/Unresolved tag/);
      expect(lines('')).toEqual([
        'allowlist.yaml:1:1: the file is empty; expected an allowlist document (version: 1, lists: …)',
      ]);
      expect(lines('# only a comment\n')).toHaveLength(1);
      expect(lines('[1, 2]')[0]).toMatch(/expected object/);
    });
  });
});
