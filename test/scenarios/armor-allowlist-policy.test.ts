/**
 * NETREFLEX_ALLOWLIST_POLICY, the kernel's policy words over every allowlist sync: `upsert-only`
 * applies a `mode: sync` file as upsert-only (what it adds is added, nothing is taken away, and the
 * sync still verifies and records its generation), `dry-run` plans and changes nothing; the former
 * NETREFLEX_ALLOWLIST_DRY_RUN still reads, as a deprecated alias.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { reconcileAllowlist } from '../../shared/armor-allowlist/reconcile.js';
import { loadArmorAllowlistConfig } from '../../shared/config/armor-allowlist.js';
import { ArmorAllowlistService } from '../../shared/armor-allowlist/service.js';
import { createLogger } from '../../shared/log.js';
import { Transport } from '../../shared/gcp/transport.js';
import { allowlistCloud, allowlistFile, GEN, hostEntries } from '../helpers/allowlist.js';

const NOW = new Date('2026-01-01T00:00:00Z');

const cloud = allowlistCloud();

describe('NETREFLEX_ALLOWLIST_POLICY', () => {
  it('upsert-only: a mode sync file that drops entries adds what is new and removes nothing, and says so', async () => {
    const s = cloud.scene({ policies: ['a'] });
    s.upload(allowlistFile({ partners: hostEntries(4) }, { policies: ['a'] }));
    expect((await s.sync()).status).toBe('ok');
    const before = await s.allowed('a');
    // The new file keeps 2 of the 4 hosts and adds 2 others (a sync would remove 2).
    const next = s.upload(allowlistFile({ partners: [...hostEntries(2), ...hostEntries(2, 20)] }, { policies: ['a'] }));
    const report = await reconcileAllowlist(s.t, { ...s.cfg, policy: 'upsert-only' }, { now: NOW });
    expect(report.status).toBe('ok');
    expect(report.warnings).toContainEqual(
      expect.stringMatching(
        /NETREFLEX_ALLOWLIST_POLICY=upsert-only: .* \(mode sync\) is applied as mode upsert-only, so nothing is removed/,
      ),
    );
    expect(report.policies[0]!.summary?.allowedRemoved).toEqual([]);
    const after = await s.allowed('a');
    expect(after).toEqual(expect.arrayContaining(before));
    expect(after).toHaveLength(6);
    expect((await s.labels('a'))[GEN]).toBe(next);
    // Under sync the same file removes the two it dropped.
    expect((await s.sync()).status).toBe('ok');
    expect(await s.allowed('a')).toHaveLength(4);
    cloud.watcher.assertHolds();
  });

  it('dry-run: plans the steps, changes nothing', async () => {
    const s = cloud.scene({ policies: ['a'] });
    s.upload(allowlistFile({ partners: hostEntries(3) }, { policies: ['a'] }));
    const report = await reconcileAllowlist(s.t, { ...s.cfg, policy: 'dry-run' }, { now: NOW });
    expect(report).toMatchObject({ status: 'planned', dryRun: true, mutations: 0 });
    expect(report.policies[0]!.steps.length).toBeGreaterThan(0);
    expect(await s.allowed('a')).toEqual([]);
  });
});

describe('the environment', () => {
  const base = { NETREFLEX_PROJECT: 'netreflex-demo', NETREFLEX_CONFIG_BUCKET: 'netreflex-demo-config' };

  it.each([
    [{}, 'sync'],
    [{ NETREFLEX_ALLOWLIST_POLICY: 'upsert-only' }, 'upsert-only'],
    [{ NETREFLEX_ALLOWLIST_POLICY: 'dry-run' }, 'dry-run'],
  ] as const)('%o is policy %s, with nothing deprecated', (env, policy) => {
    const cfg = loadArmorAllowlistConfig({ ...base, ...env });
    expect(cfg.policy).toBe(policy);
    expect(cfg.deprecations).toBeUndefined();
  });

  it.each([
    [{ NETREFLEX_ALLOWLIST_DRY_RUN: 'true' }, 'dry-run'],
    [{ NETREFLEX_ALLOWLIST_DRY_RUN: 'false' }, 'sync'],
    [{ NETREFLEX_ALLOWLIST_DRY_RUN: 'true', NETREFLEX_ALLOWLIST_POLICY: 'dry-run' }, 'dry-run'],
  ] as const)('the deprecated %o still reads as %s, with a warning naming the replacement', (env, policy) => {
    const cfg = loadArmorAllowlistConfig({ ...base, ...env });
    expect(cfg.policy).toBe(policy);
    expect(cfg.deprecations).toEqual([
      `NETREFLEX_ALLOWLIST_DRY_RUN is deprecated: set NETREFLEX_ALLOWLIST_POLICY=${policy} instead and remove it (read as NETREFLEX_ALLOWLIST_POLICY=${policy})`,
    ]);
  });

  it('the service logs the deprecation once at start, as a warning naming the replacement', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const cfg = loadArmorAllowlistConfig({ ...base, NETREFLEX_ALLOWLIST_DRY_RUN: 'true' });
    new ArmorAllowlistService(cfg, createLogger('info', sink), new Transport({ emulatorHost: cloud.emu.url }));
    const warnings = lines.map((l) => JSON.parse(l) as { severity: string; message: string });
    expect(warnings).toEqual([
      expect.objectContaining({
        severity: 'WARNING',
        message: expect.stringMatching(
          /^NETREFLEX_ALLOWLIST_DRY_RUN is deprecated: set NETREFLEX_ALLOWLIST_POLICY=dry-run/,
        ),
      }),
    ]);
  });

  it('refuses a word outside the kernel policies, an alias that is no boolean, and the two disagreeing', () => {
    expect(() => loadArmorAllowlistConfig({ ...base, NETREFLEX_ALLOWLIST_POLICY: 'dryrun' })).toThrow(
      /NETREFLEX_ALLOWLIST_POLICY: .*"sync".*"upsert-only".*"dry-run"/,
    );
    expect(() => loadArmorAllowlistConfig({ ...base, NETREFLEX_ALLOWLIST_DRY_RUN: 'maybe' })).toThrow(
      /NETREFLEX_ALLOWLIST_DRY_RUN: must be true or false \(got "maybe"\)/,
    );
    expect(() =>
      loadArmorAllowlistConfig({ ...base, NETREFLEX_ALLOWLIST_DRY_RUN: 'true', NETREFLEX_ALLOWLIST_POLICY: 'sync' }),
    ).toThrow(/NETREFLEX_ALLOWLIST_DRY_RUN: true contradicts NETREFLEX_ALLOWLIST_POLICY=sync/);
  });
});
