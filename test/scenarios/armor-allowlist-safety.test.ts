/**
 * Safety on the result, not the input, and one refusal path for every invalid file, on the local
 * Google Cloud: IPv4-mapped IPv6 is judged as IPv4, narrow entries that merge into a wide range
 * and lists that add up to a whole family are refused per policy (by validate and by the sync), a file over 1 MiB is refused like
 * any invalid file (exit 1, JSON with --json), a policy the file stops targeting loses its rules
 * only under the removal-share rule, and the removal-share refusal names every family.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAMPLE } from '../../local/topology.js';
import { validateCommand } from '../../cli/commands/validate.js';
import { allowlistTarget } from '../../cli/targets/allowlist.js';
import { cliEnv } from '../../cli/env.js';
import { desiredAllowlist } from '../../shared/plan/allowlist.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { allowlistOf } from '../allowlist/helpers.js';
import { allowlistCloud, allowlistFile, GEN, hostEntries } from '../helpers/allowlist.js';

const dir = mkdtempSync(join(tmpdir(), 'netreflex-safety-'));
const NOW = new Date('2026-01-01T00:00:00Z');

const cloud = allowlistCloud();

async function validate(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return validateCommand(path, { now: NOW });
}

function refusedWith(yaml: string, policy: string): string {
  try {
    desiredAllowlist(allowlistOf(yaml), { policy, now: NOW });
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return `${err.refusal}: ${err.message}`;
    throw err;
  }
  return 'accepted';
}

describe('IPv4-mapped IPv6 is judged as IPv4', () => {
  it.each([
    [
      '::ffff:0:0/96',
      /::ffff:0:0\/96 reaches IPv4 through IPv4-mapped addresses .* and is judged as IPv4: 0\.0\.0\.0\/0 opens the endpoint to the whole IPv4 internet/,
    ],
    [
      '::ffff:a00:0/104',
      /::ffff:a00:0\/104 reaches IPv4 .*: 10\.0\.0\.0\/8 is wider than the minimum prefix \/16 for IPv4/,
    ],
    ['::/64', /::\/64 reaches IPv4 .*: 0\.0\.0\.0\/0 opens the endpoint/],
  ])('refuses %s in validate and in the sync, nothing changes', async (cidr, message) => {
    const s = cloud.scene({ policies: ['edge'] });
    const file = allowlistFile({ partners: [`{ cidr: "${cidr}", description: mapped }`] }, { policies: ['edge'] });
    const result = await validate('mapped.yaml', file);
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(message);
    s.upload(file);
    const report = await cloud.watcher.nothingChangesDuring('a mapped world-open entry', () => s.sync());
    expect(report).toMatchObject({ status: 'refused', refusal: { kind: 'invalid-file' } });
    expect(report.refusal!.problems!.join('\n')).toMatch(message);
  });

  it('accepts a narrow mapped address', () => {
    expect(
      refusedWith(
        allowlistFile(
          { partners: ['{ ip: "::ffff:c000:20a", description: "one IPv4 host, mapped" }'] },
          { policies: ['edge'] },
        ),
        'edge',
      ),
    ).toBe('accepted');
  });
});

describe('the checks run on the merged ranges of a policy', () => {
  it('16,384 neighbouring /16s (each fine alone) merge into 0.0.0.0/2: refused by the planner and by validate', async () => {
    const entries = Array.from(
      { length: 16_384 },
      (_, i) => `{ cidr: ${i >> 8}.${i & 255}.0.0/16, description: "n${i}" }`,
    );
    const file = allowlistFile({ wide: entries }, { policies: ['edge'] });
    expect(refusedWith(file, 'edge')).toMatch(
      /^world-open: .*policy edge: lists wide merge into 0\.0\.0\.0\/2 is wider than the minimum prefix \/16 for IPv4/s,
    );
    const result = await validate('wide.yaml', file);
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(
      /lists: policy edge: lists wide merge into 0\.0\.0\.0\/2 is wider than the minimum prefix \/16/,
    );
  }, 60_000);

  it('two lists that together cover every IPv4 address are refused for the policy they share, not when they target different policies', () => {
    const halves = (a: string, b: string) =>
      `version: 1\nsafety: { minPrefixLength: { ipv4: 1, ipv6: 48 } }\nlists:\n  low:\n    policies: [${a}]\n    entries: [{ cidr: 0.0.0.0/1, description: low half }]\n  high:\n    policies: [${b}]\n    entries: [{ cidr: 128.0.0.0/1, description: high half }]\n`;
    expect(refusedWith(halves('edge', 'edge'), 'edge')).toMatch(
      /policy edge: lists low, high together cover every IPv4 address/,
    );
    expect(refusedWith(halves('edge', 'other'), 'edge')).toBe('accepted');
    expect(refusedWith(halves('edge', 'other'), 'other')).toBe('accepted');
  });
});

describe('two lists that together make a whole family, end to end', () => {
  const halves = (a: string, b: string) =>
    `version: 1\nsafety: { minPrefixLength: { ipv4: 1, ipv6: 48 } }\nlists:\n  low:\n    policies: [${a}]\n    entries: [{ cidr: 0.0.0.0/1, description: low half }]\n  high:\n    policies: [${b}]\n    entries: [{ cidr: 128.0.0.0/1, description: high half }]\n`;

  it('validate refuses the file, and the sync refuses it before any change: the policy keeps its last file', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const first = s.upload(
      allowlistFile({ partners: ['{ cidr: 198.51.100.0/24, description: Partner A }'] }, { policies: ['edge'] }),
    );
    expect((await s.sync()).status).toBe('ok');
    const result = await validate('halves.yaml', halves('edge', 'edge'));
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(/policy edge: lists low, high together cover every IPv4 address/);
    s.upload(halves('edge', 'edge'));
    const report = await cloud.watcher.nothingChangesDuring('two lists that make 0.0.0.0/0', () => s.sync());
    expect(report).toMatchObject({ status: 'refused', refusal: { kind: 'world-open' } });
    expect(report.refusal!.message).toMatch(/policy edge: lists low, high together cover every IPv4 address/);
    expect(await s.allowed('edge')).toEqual(['198.51.100.0/24']);
    expect((await s.labels('edge'))[GEN]).toBe(first);
    cloud.watcher.assertHolds();
  });

  it('the same halves on two different policies: validate accepts it and each policy gets its half', async () => {
    const s = cloud.scene({ policies: ['edge', 'other'] });
    const result = await validate('split-halves.yaml', halves('edge', 'other'));
    expect(result.exitCode).toBe(0);
    s.upload(halves('edge', 'other'));
    expect((await s.sync()).status).toBe('ok');
    expect(await s.allowed('edge')).toEqual(['0.0.0.0/1']);
    expect(await s.allowed('other')).toEqual(['128.0.0.0/1']);
    cloud.watcher.assertHolds();
  });
});

describe('one refusal path for every invalid file', () => {
  it('a file over 1 MiB is refused like any invalid file: logged refusal, the policies keep their file, plan exits 1 and --json is JSON', async () => {
    const bucket = SAMPLE.bucket.name;
    const object = SAMPLE.bucket.allowlistObject;
    const big = allowlistFile({ partners: hostEntries(25_000) }, { policies: [SAMPLE.armor.policy] });
    expect(Buffer.byteLength(big)).toBeGreaterThan(1024 * 1024);
    cloud.emu.storage.writeObject(bucket, object, Buffer.from(big), { contentType: 'text/yaml' }, {}, false);
    const env = await cliEnv({ NETREFLEX_EMULATOR_HOST: cloud.emu.url });
    const json = await allowlistTarget.plan({ json: true, env, flags: {} });
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.output) as { status: string; refusal: { kind: string; problems: string[] } };
    expect(report).toMatchObject({
      status: 'refused',
      refusal: {
        kind: 'invalid-file',
        problems: [
          expect.stringMatching(/#\d+:1:1: the file is \d+ bytes; allowlists are limited to 1048576 bytes \(1 MiB\)/),
        ],
      },
    });
    const text = await allowlistTarget.plan({ json: false, env, flags: {} });
    expect(text.exitCode).toBe(1);
    expect(text.output).toMatch(
      /Status: refused gs:\/\/netreflex-demo-config\/allowlists\/inference-policy\.yaml#\d+ \(invalid-file\)/,
    );
    const local = join(dir, 'big.yaml');
    writeFileSync(local, big);
    const fromDisk = await allowlistTarget.plan({ json: true, env, flags: { object: local } });
    expect([fromDisk.exitCode, JSON.parse(fromDisk.output).refusal.kind]).toEqual([1, 'invalid-file']);
  });

  it('--json stays JSON when the configuration itself is wrong', async () => {
    const result = await allowlistTarget.plan({
      json: true,
      env: await cliEnv({ NETREFLEX_EMULATOR_HOST: cloud.emu.url, NETREFLEX_ARMOR_RULE_QUOTA: 'many' }),
      flags: {},
    });
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.output)).toMatchObject({
      status: 'failed',
      permanent: true,
      error: expect.stringMatching(/NETREFLEX_ARMOR_RULE_QUOTA/),
    });
  });
});

describe('a policy the file stops targeting', () => {
  it('keeps its rules under the removal-share rule, loses them (and netreflex labels) with force, and keeps them in upsert-only', async () => {
    const s = cloud.scene({ policies: ['a', 'b'] });
    s.upload(allowlistFile({ partners: hostEntries(8) }, { policies: ['a', 'b'] }));
    expect((await s.sync()).status).toBe('ok');
    s.upload(allowlistFile({ partners: hostEntries(8) }, { policies: ['a'] }));
    const refused = await cloud.watcher.nothingChangesDuring('dropping a target without force', () => s.sync());
    expect(refused).toMatchObject({
      status: 'refused',
      refusal: {
        kind: 'removal-share',
        message: expect.stringMatching(
          /^The file no longer targets security policy b, so its netreflex rules would go: This sync would remove 100% of the IPv4 addresses b allows now/,
        ),
      },
    });
    s.upload(allowlistFile({ partners: hostEntries(8) }, { policies: ['a'], mode: 'upsert-only' }));
    const kept = await s.sync();
    expect(kept.warnings).toContain(
      'security policy b is no longer targeted by the file; mode upsert-only keeps its rules (remove them by hand, or sync once with mode: sync)',
    );
    expect(await s.allowed('b')).toHaveLength(8);
    s.upload(allowlistFile({ partners: hostEntries(8) }, { policies: ['a'], safety: '{ force: true }' }));
    const forced = await s.sync();
    expect(forced.policies.find((p) => p.policy === 'b')).toMatchObject({ role: 'untargeted', status: 'ok' });
    expect(await s.allowed('b')).toEqual([]);
    expect(Object.keys(await s.labels('b')).filter((k) => k.startsWith('netreflex-'))).toEqual([]);
    expect((await s.labels('a'))[GEN]).toBeDefined();
    // No longer ours: the next file leaves b alone.
    s.upload(allowlistFile({ partners: hostEntries(8) }, { policies: ['a'] }));
    expect((await s.sync()).policies.map((p) => p.policy)).toEqual(['a']);
    cloud.watcher.assertHolds();
  });
});

describe('the removal-share refusal', () => {
  it('names every family over the limit', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    s.upload(
      allowlistFile(
        {
          partners: [
            '{ cidr: 198.51.100.0/24, description: v4 }',
            '{ cidr: "2001:db8:100::/48", description: v6 }',
            '{ ip: 192.0.2.1, description: stays }',
            '{ ip: "2001:db8::1", description: stays too }',
          ],
        },
        { policies: ['edge'] },
      ),
    );
    expect((await s.sync()).status).toBe('ok');
    s.upload(
      allowlistFile(
        { partners: ['{ ip: 192.0.2.1, description: stays }', '{ ip: "2001:db8::1", description: stays too }'] },
        { policies: ['edge'] },
      ),
    );
    const report = await cloud.watcher.nothingChangesDuring('a large removal in both families', () => s.sync());
    expect(report.refusal?.message).toMatch(
      /would remove 99\.61% of the IPv4 addresses and 99\.99% of the IPv6 addresses edge allows now/,
    );
    expect(report.refusal?.message).toMatch(
      /would stop allowing \(IPv4\): 198\.51\.100\.0\/24\n.*would stop allowing \(IPv6\): 2001:db8:100::\/48/,
    );
  });
});
