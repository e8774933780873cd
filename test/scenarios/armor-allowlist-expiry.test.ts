/**
 * Expiry that nothing stalls: while the live allowlist is invalid, deleted, or refused because of
 * an ownership conflict, the entries of the last file a policy was verified to hold still leave at
 * their expiry (read back by generation from the versioned bucket), the sync says so, names the
 * entry, and `netreflex status` reports the stall as BROKEN with the fix.
 */
import { describe, expect, it, vi } from 'vitest';
import { SAMPLE } from '../../local/topology.js';
import { describeReport } from '../../shared/plan/allowlist-describe.js';
import { allowlistSyncState } from '../../shared/status/armor.js';
import { statusCommand } from '../../cli/commands/status.js';
import { cliEnv } from '../../cli/env.js';
import type { StatusReport } from '../../shared/status/types.js';
import { runLifecycle, terraformLifecycle } from '../helpers/lifecycle.js';
import { allowlistCloud, allowlistFile, GEN, type Scene } from '../helpers/allowlist.js';

const PARTNER = '{ cidr: 198.51.100.0/24, description: Partner A }';
const CONTRACTOR = '{ ip: 192.0.2.10, description: Contractor, expires: 2026-02-01 }';
const JAN = new Date('2026-01-01T00:00:00Z');
const BEFORE = new Date('2026-01-31T23:59:59Z');
const AT = new Date('2026-02-01T00:00:00Z');

const cloud = allowlistCloud();

/** A scene whose policy holds a file with a partner and a contractor who leaves on 1 February. */
async function applied(): Promise<{ s: Scene; generation: string }> {
  const s = cloud.scene({ policies: ['edge'] });
  const generation = s.upload(allowlistFile({ partners: [PARTNER, CONTRACTOR] }, { policies: ['edge'] }));
  expect((await s.sync({ now: JAN })).status).toBe('ok');
  expect(await s.allowed('edge')).toEqual(['192.0.2.10/32', '198.51.100.0/24']);
  return { s, generation };
}

describe('an entry of the last applied file still leaves on time', () => {
  it("while the live file is invalid (a typo'd key): refused at every sync, the contractor removed at the first one after the expiry", async () => {
    const { s, generation } = await applied();
    const typo = s.upload(
      allowlistFile(
        { partners: [PARTNER, '{ ip: 192.0.2.10, description: Contractor, expire: 2026-03-01 }'] },
        { policies: ['edge'] },
      ),
    );
    const early = await cloud.watcher.nothingChangesDuring('a refused file before any expiry', () =>
      s.sync({ now: BEFORE }),
    );
    expect(early).toMatchObject({
      status: 'refused',
      refusal: { kind: 'invalid-file' },
      stall: { kind: 'invalid-file', since: expect.any(String) },
      policies: [{ policy: 'edge', role: 'last-applied', status: 'unchanged', holds: generation }],
    });
    expect(early.refusal!.problems!.join('\n')).toMatch(/unknown key "expire"; did you mean "expires"\?/);
    const due = await s.sync({ now: AT });
    expect(due).toMatchObject({
      status: 'refused',
      generation: typo,
      policies: [{ policy: 'edge', role: 'last-applied', status: 'ok', holds: generation }],
    });
    expect(await s.allowed('edge')).toEqual(['198.51.100.0/24']);
    expect(due.policies[0]!.expired).toEqual([
      expect.objectContaining({
        path: 'lists.partners.entries[1]',
        entry: '192.0.2.10',
        description: 'Contractor',
        expires: '2026-02-01T00:00:00.000Z',
        stillAllowed: false,
      }),
    ]);
    expect(describeReport(due)).toMatch(
      /refused .*#\d+ \(invalid-file\); nothing of it is applied\..*edge \(kept at its last applied file\) ok .*expired: lists\.partners\.entries\[1\] 192\.0\.2\.10 \(Contractor\) expired 2026-02-01T00:00:00\.000Z, removed/s,
    );
    // The policy still holds the file it was verified to hold, minus what expired: its label does not move.
    expect((await s.labels('edge'))[GEN]).toBe(generation);
    cloud.watcher.assertHolds();
  });

  it('while the live file is deleted: the last applied generation is read back from the versioned bucket', async () => {
    const { s, generation } = await applied();
    s.remove();
    const due = await s.sync({ now: AT });
    expect(due).toMatchObject({
      status: 'refused',
      refusal: { kind: 'missing-file' },
      stall: { kind: 'missing-file', since: expect.any(String) },
      policies: [{ role: 'last-applied', status: 'ok', holds: generation }],
    });
    expect(await s.allowed('edge')).toEqual(['198.51.100.0/24']);
    const state = allowlistSyncState(await s.sync({ now: AT, dryRun: true }));
    expect(state.broken?.reason).toMatch(
      /^gs:\/\/netreflex-demo-config\/allowlists\/scene-\d+\.yaml is missing since \S+: the allowlist is not applied, only the expiries of the last applied file are$/,
    );
    expect(state.broken?.fix).toMatch(/^upload the allowlist to gs:\/\/.* again$/);
    expect(state.details).toContain(
      `edge: lists.partners.entries[1] 192.0.2.10 (Contractor) expired 2026-02-01T00:00:00.000Z: removed`,
    );
    cloud.watcher.assertHolds();
  });

  it('while an ownership conflict refuses the live file: the rules netreflex provably owns lose the expired entry, the foreign rule is left alone', async () => {
    const { s } = await applied();
    await s.wait(
      await cloud.client.addRule({
        project: s.project,
        securityPolicy: 'edge',
        securityPolicyRuleResource: {
          priority: 1500,
          action: 'deny(403)',
          description: 'hand-made block',
          match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/24'] } },
        },
      }),
    );
    const pending = allowlistSyncState(await s.sync({ now: AT, dryRun: true }));
    expect(pending.broken?.reason).toMatch(
      /is refused \(ownership-conflict\) since .*: the allowlist is not applied, only the expiries of the last applied file are; The policy has rules whose ownership is ambiguous/s,
    );
    expect(pending.broken?.fix).toMatch(/rule at priority 1500 .* without the "netreflex:allowlist" marker/s);
    expect(pending.details).toContain(
      'edge: lists.partners.entries[1] 192.0.2.10 (Contractor) expired 2026-02-01T00:00:00.000Z: STILL ALLOWED (the next sync removes it)',
    );
    const due = await s.sync({ now: AT });
    expect(due).toMatchObject({
      status: 'refused',
      refusal: { kind: 'ownership-conflict' },
      policies: [{ role: 'last-applied', status: 'ok' }],
    });
    expect(await s.allowed('edge')).toEqual(['198.51.100.0/24']);
    expect((await s.rules('edge')).find((r) => r.priority === 1500)).toMatchObject({
      action: 'deny(403)',
      description: 'hand-made block',
    });
    cloud.watcher.assertHolds();
  });

  it('says so when the last applied file is gone from the bucket (its noncurrent version deleted)', async () => {
    const { s, generation } = await applied();
    s.remove();
    cloud.emu.storage.deleteObject(SAMPLE.bucket.name, s.object, {}, generation);
    const report = await cloud.watcher.nothingChangesDuring('a stall with nothing to go on', () => s.sync({ now: AT }));
    expect(report).toMatchObject({
      status: 'refused',
      policies: [
        {
          policy: 'edge',
          role: 'last-applied',
          status: 'refused',
          holds: generation,
          reason: expect.stringMatching(
            /its last applied file gs:\/\/.*#\d+ is no longer in the bucket \(is object versioning on\?/,
          ),
        },
      ],
    });
    expect(allowlistSyncState(report).broken?.reason).toMatch(/is missing/);
  });

  it("25 refused uploads in a month-long stall, then the config bucket's lifecycle as bucket.tf sets it: the last applied file stays and its contractor still leaves", async () => {
    const { s, generation } = await applied();
    const typo = allowlistFile(
      { partners: [PARTNER, '{ ip: 192.0.2.10, description: Contractor, expire: 2026-03-01 }'] },
      { policies: ['edge'] },
    );
    for (let i = 0; i < 25; i++) s.upload(typo.replace('Contractor', `Contractor ${i}`));
    const month = Date.now() + 30 * 86_400_000;
    // What bucket.tf had (delete once 20 newer versions exist) would delete exactly the file expiry needs.
    const byCount = [{ action: 'Delete', condition: { num_newer_versions: 20, with_state: 'ARCHIVED' } }];
    const versions = cloud.emu.storage.listObjects(SAMPLE.bucket.name, true).filter((v) => v.name === s.object);
    expect(versions.slice(0, 6).map((v) => v.generation)).toContain(generation);
    expect(versions).toHaveLength(26);
    expect(runLifecycle(cloud.emu, SAMPLE.bucket.name, s.object, await terraformLifecycle('config'), month)).toEqual(
      [],
    );
    const due = await s.sync({ now: AT });
    expect(due).toMatchObject({
      status: 'refused',
      policies: [{ role: 'last-applied', status: 'ok', holds: generation }],
    });
    expect(await s.allowed('edge')).toEqual(['198.51.100.0/24']);
    expect(runLifecycle(cloud.emu, SAMPLE.bucket.name, s.object, byCount, month)).toContain(
      `${s.object}#${generation}`,
    );
  });

  it('entries that expire do not count against maxRemovalShare: most of the allowlist may end on one day', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    s.upload(
      allowlistFile(
        {
          partners: [
            '{ ip: 192.0.2.1, description: stays }',
            '{ cidr: 198.51.100.0/24, description: event staff, expires: 2026-02-01 }',
          ],
        },
        { policies: ['edge'] },
      ),
    );
    expect((await s.sync({ now: JAN })).status).toBe('ok');
    expect(await s.sync({ now: AT })).toMatchObject({
      status: 'ok',
      policies: [{ expired: [expect.objectContaining({ entry: '198.51.100.0/24', stillAllowed: false })] }],
    });
    expect(await s.allowed('edge')).toEqual(['192.0.2.1/32']);
    cloud.watcher.assertHolds();
  });
});

describe('the stall dates from when it began', () => {
  const typo = (n: number) =>
    allowlistFile(
      { partners: [PARTNER, `{ ip: 192.0.2.${20 + n}, description: typo ${n}, expire: 2026-03-01 }`] },
      { policies: ['edge'] },
    );
  // The emulator stamps objects with the wall clock: only Date is frozen and moved, timers run as ever.
  const at = (iso: string) => vi.setSystemTime(new Date(iso));

  it('since the first refused upload after the last applied file; more bad uploads and a deletion do not move it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      at('2026-01-01T00:00:00Z');
      const { s } = await applied();
      at('2026-01-02T09:00:00Z');
      s.upload(typo(1));
      expect((await s.sync({ now: BEFORE })).stall?.since).toBe('2026-01-02T09:00:00.000Z');
      at('2026-01-03T09:00:00Z');
      s.upload(typo(2));
      at('2026-01-04T09:00:00Z');
      s.upload(typo(3));
      const report = await s.sync({ now: BEFORE });
      expect(report.stall).toMatchObject({ kind: 'invalid-file', since: '2026-01-02T09:00:00.000Z' });
      const state = allowlistSyncState(await s.sync({ now: BEFORE, dryRun: true }));
      expect(state.broken?.reason).toMatch(/#\d+ is refused \(invalid-file\) since 2026-01-02T09:00:00\.000Z: /);
      at('2026-01-05T09:00:00Z');
      s.remove();
      expect((await s.sync({ now: BEFORE })).stall).toMatchObject({
        kind: 'missing-file',
        since: '2026-01-02T09:00:00.000Z',
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a deleted file: since its deletion, not since its upload', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      at('2026-01-01T00:00:00Z');
      const { s } = await applied();
      at('2026-01-06T12:00:00Z');
      s.remove();
      expect((await s.sync({ now: AT })).stall).toMatchObject({
        kind: 'missing-file',
        since: '2026-01-06T12:00:00.000Z',
      });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('netreflex status', () => {
  it('reports a stalled allowlist as BROKEN: which file is refused since when, what expired, the fix', async () => {
    const bucket = SAMPLE.bucket.name;
    const object = SAMPLE.bucket.allowlistObject;
    const file = allowlistFile(
      {
        partners: [
          '{ ip: 203.0.113.5, description: pipelines egress }',
          CONTRACTOR.replace('2026-02-01', '2000-01-01'),
        ],
      },
      { policies: [SAMPLE.armor.policy] },
    );
    cloud.emu.storage.writeObject(bucket, object, Buffer.from(file), { contentType: 'text/yaml' }, {}, false);
    const env = await cliEnv({ NETREFLEX_EMULATOR_HOST: cloud.emu.url });
    const { reconcileAllowlist } = await import('../../shared/armor-allowlist/reconcile.js');
    const { loadArmorAllowlistConfig } = await import('../../shared/config/armor-allowlist.js');
    const { Transport } = await import('../../shared/gcp/transport.js');
    expect(
      (
        await reconcileAllowlist(new Transport({ emulatorHost: cloud.emu.url }), loadArmorAllowlistConfig(env), {
          now: new Date(),
        })
      ).status,
    ).toBe('ok');
    const ok = JSON.parse((await statusCommand(env, { json: true })).output) as StatusReport;
    expect(ok.links.find((l) => l.id === 'allowlists')).toMatchObject({ state: 'ok' });
    cloud.emu.storage.writeObject(
      bucket,
      object,
      Buffer.from('version: 1\nlists: [oops\n'),
      { contentType: 'text/yaml' },
      {},
      false,
    );
    const result = await statusCommand(env, { json: true });
    const link = (JSON.parse(result.output) as StatusReport).links.find((l) => l.id === 'allowlists')!;
    expect(result.exitCode).toBe(1);
    expect(link.state).toBe('broken');
    expect(link.reason).toMatch(
      /allowlists\/inference-policy\.yaml#\d+ is refused \(invalid-file\) since \d{4}-\d\d-\d\dT.*: the allowlist is not applied, only the expiries of the last applied file are; The allowlist .* is invalid/,
    );
    expect(link.fix).toBe('fix the file (`netreflex validate` lists every problem) and upload it again');
    expect(link.details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^inference-policy: holds #\d+; kept at it while the live file cannot be applied$/),
        expect.stringMatching(
          /lists\.partners\.entries\[1\] 192\.0\.2\.10 \(Contractor\) expired 2000-01-01T00:00:00\.000Z: removed/,
        ),
      ]),
    );
  });
});
