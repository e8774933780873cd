/**
 * armorAllowlist end to end: the real Functions Framework process, the local Google Cloud and its
 * event router. The test acts as a security engineer would — uploads with the official storage
 * client, reads the policy with the official Compute client — under the allow-continuity,
 * ownership and all-or-nothing watchers, on every mutation.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import compute from '@google-cloud/compute';
import type { Storage } from '@google-cloud/storage';
import { startStack, TICK_TOPIC, type Stack } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { storageClient } from '../helpers/storage.js';
import { computeClients, PROJECT, type ComputeClients } from '../helpers/compute.js';
import { allowedByPolicy, watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';
import { toCidrs } from '../../shared/net/cidr.js';
import type { PolicyRule } from '../../shared/plan/allowlist.js';
import { validateCommand } from '../../cli/commands/validate.js';
import { Transport } from '../../shared/gcp/transport.js';
import { loadArmorAllowlistConfig } from '../../shared/config/armor-allowlist.js';
import { reconcileAllowlist } from '../../shared/armor-allowlist/reconcile.js';

const POLICY = SAMPLE.armor.policy;
const SAMPLE_FILE = readFileSync(
  new URL('../../functions/armor-allowlist/sample-allowlist.yaml', import.meta.url),
  'utf8',
);
const SAMPLE_ALLOWS = [
  '198.51.100.0/26',
  '198.51.100.64/27',
  '198.51.100.200/32',
  '203.0.113.5/32',
  '2001:db8:100::/48',
].sort();

let stack: Stack;
let storage: Storage;
let c: ComputeClients;
let policies: InstanceType<typeof compute.SecurityPoliciesClient>;
let watcher: InvariantWatcher;
const dir = mkdtempSync(join(tmpdir(), 'netreflex-allowlist-'));

const object = () => storage.bucket(SAMPLE.bucket.name).file(SAMPLE.bucket.allowlistObject);
const fn = () => stack.functions.get('armorAllowlist')!;

/** Uploads `text` as a user would and waits until the function has answered its event. */
async function upload(text: string | Buffer): Promise<string> {
  const file = object();
  await file.save(text, { contentType: 'text/yaml', resumable: false });
  await stack.emulator.events.idle();
  return String(file.metadata.generation);
}

async function tick(now?: string) {
  stack.emulator.topics.publish(`projects/${PROJECT}/topics/${TICK_TOPIC}`, [
    { data: JSON.stringify({ kind: 'tick', ...(now ? { now } : {}) }) },
  ]);
  await stack.emulator.events.idle();
}

async function policy() {
  return (await policies.get({ project: PROJECT, securityPolicy: POLICY }))[0];
}

/** What the policy lets through, evaluated like Cloud Armor (first match by priority). */
async function allowed(): Promise<string[]> {
  return toCidrs(allowedByPolicy((await policy()).rules as PolicyRule[])).sort();
}

/** Log lines the function wrote while `action` ran. */
async function logsDuring(action: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const from = fn().output.length;
  await action();
  return fn()
    .output.slice(from)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const V6 = '2001:db8:100::/48';

/** The sample with its IPv4 partner entries replaced by `partners` (YAML list items); the IPv6 one stays. */
const withPartners = (partners: string, safety = '') =>
  SAMPLE_FILE.replace(
    / {2}partners:[\s\S]*$/,
    `  partners:\n    entries:\n${partners}      - cidr: ${V6}\n        description: Partner A IPv6 egress\n`,
  ).replace('  force: false\n', `  force: false\n${safety}`);

beforeAll(async () => {
  stack = await startStack({
    functions: ['armorAllowlist'],
    tickMs: 0,
    emulator: { settings: { operationLatencyMs: 5 } },
  });
  storage = storageClient(stack.emulator.url);
  c = computeClients(stack.emulator.port);
  policies = computeClients(stack.emulator.port).securityPolicies;
  watcher = watchInvariants(stack.emulator);
}, 60_000);

afterAll(async () => {
  watcher?.stop();
  await stack?.stop();
});

// An explicitly ordered story on one stack: each upload is judged against the policy and the
// generation label the uploads before it left. The steps run in this order, never shuffled or
// concurrently; a stack per step would multiply this file's time.
describe('armorAllowlist under the Functions Framework', { sequential: true, shuffle: false }, () => {
  it('applies an upload: the policy allows exactly what the file allows, the Cloud NAT egress IP included', async () => {
    const generation = await upload(SAMPLE_FILE);
    expect(await allowed()).toEqual(SAMPLE_ALLOWS);
    const p = await policy();
    expect(
      p
        .rules!.filter((r) => r.priority! < 2147483647)
        .every((r) => r.description?.startsWith('netreflex:allowlist ') && r.match!.config!.srcIpRanges!.length <= 10),
    ).toBe(true);
    expect(p.rules!.find((r) => r.priority === 2147483647)).toMatchObject({ action: 'deny(403)' });
    expect(p.labels).toMatchObject({ 'netreflex-allowlist-generation': generation });
    watcher.assertHolds();
  });

  it('plans nothing and writes nothing when the same generation is delivered again', async () => {
    const before = await policy();
    const logs = await logsDuring(() => tick());
    expect(logs.at(-1)).toMatchObject({ status: 'unchanged', mutations: 0 });
    expect((await policy()).fingerprint).toBe(before.fingerprint);
  });

  const BAD: [string, string | Buffer, RegExp][] = [
    // A Latin-1 "Ä" (0xC4) inside a description: decoded leniently it would be a valid file.
    [
      'bytes that are not UTF-8',
      Buffer.concat([
        Buffer.from(SAMPLE_FILE.slice(0, SAMPLE_FILE.indexOf('Partner A') + 8)),
        Buffer.from([0xc4]),
        Buffer.from(SAMPLE_FILE.slice(SAMPLE_FILE.indexOf('Partner A') + 9)),
      ]),
      /invalid-file/,
    ],
    ['a YAML syntax error', `${SAMPLE_FILE}\n  oops: [unclosed\n`, /invalid-file/],
    ['a world-open entry', withPartners('      - cidr: 0.0.0.0/0\n        description: everyone\n'), /invalid-file/],
    [
      'a removal of more than half the allowed addresses',
      withPartners('      - ip: 198.51.100.200\n        description: Partner B\n'),
      /removal-share/,
    ],
  ];

  it.each(BAD)(
    'refuses %s: nothing changes, one ERROR says why, the event is acknowledged',
    async (_what, text, kind) => {
      const before = await policy();
      const logs = await watcher.nothingChangesDuring('a bad upload', () => logsDuring(() => upload(text)));
      const after = await policy();
      expect(after.rules).toEqual(before.rules);
      expect(after.labels).toEqual(before.labels);
      const errors = logs.filter((l) => l.severity === 'ERROR');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ status: 'refused', refusal: { kind: expect.stringMatching(kind) } });
      expect(String(errors[0]!.message)).toMatch(/refused .* nothing of it is applied/);
      watcher.assertHolds();
    },
  );

  it('netreflex validate refuses the same invalid files with the same problems (exit 1)', async () => {
    for (const [name, text] of BAD.slice(0, 2)) {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(path, text);
      const logs = await logsDuring(() => upload(text));
      const problems = (logs.find((l) => l.severity === 'ERROR')!.refusal as { problems: string[] }).problems;
      const result = await validateCommand(path);
      expect(result.exitCode).toBe(1);
      const strip = (line: string) => line.replace(/^.*?:(\d+:\d+: )/, '$1');
      expect(result.output.split('\n').slice(0, -1).map(strip)).toEqual(problems.map(strip));
    }
  });

  it('applies the large removal once the file says force: true', async () => {
    const forced = withPartners(
      '      - ip: 198.51.100.200\n        description: Partner B\n',
      '  force: true\n',
    ).replace('  force: false\n', '');
    await upload(forced);
    expect(await allowed()).toEqual(['198.51.100.200/32', '203.0.113.5/32', V6].sort());
    watcher.assertHolds();
  });

  it('drops an expired entry at the first tick after its expiry, keeping everyone else allowed', async () => {
    await upload(
      SAMPLE_FILE.replace(
        '        expires: 2030-03-31\n',
        '        expires: 2030-03-31\n      - cidr: 192.0.2.0/28\n        description: Contractor, until the end of the project\n        expires: 2031-01-01T00:00:00Z\n',
      ),
    );
    expect(await allowed()).toContain('192.0.2.0/28');
    await tick('2030-12-31T23:59:59Z');
    expect(await allowed()).toContain('192.0.2.0/28');
    const logs = await logsDuring(() => tick('2031-01-01T00:00:00Z'));
    expect(await allowed()).toEqual(SAMPLE_ALLOWS.filter((a) => a !== '198.51.100.200/32'));
    expect(String(logs.at(-1)!.message)).toMatch(
      /expired: lists\.partners\.entries\[\d\] 192\.0\.2\.0\/28 \(Contractor, until the end of the project\) expired 2031-01-01T00:00:00\.000Z, removed/,
    );
    watcher.assertHolds();
  });

  it('ignores an older generation delivered after a newer one', async () => {
    const older = await upload(SAMPLE_FILE);
    await upload(withPartners('      - cidr: 198.51.100.0/25\n        description: Partner A, all of it\n'));
    const want = await allowed();
    const redelivered = JSON.parse(
      readFileSync(new URL('../../functions/armor-allowlist/finalized-event.json', import.meta.url), 'utf8'),
    ) as { id: string; data: Record<string, unknown> };
    const logs = await logsDuring(() =>
      fetch(fn().url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'ce-id': 'redelivered-1',
          'ce-source': `//storage.googleapis.com/projects/_/buckets/${SAMPLE.bucket.name}`,
          'ce-specversion': '1.0',
          'ce-type': 'google.cloud.storage.object.v1.finalized',
          'ce-bucket': SAMPLE.bucket.name,
        },
        body: JSON.stringify({ ...redelivered.data, generation: older }),
      }).then((r) => expect(r.status).toBeLessThan(300)),
    );
    expect(logs.at(-1)).toMatchObject({ status: 'ignored', message: expect.stringMatching(/superseded/) });
    expect(await allowed()).toEqual(want);
  });

  it('leaves the policy alone when its label says a newer generation was already applied (it survives restarts)', async () => {
    const p = await policy();
    const live = String((await object().getMetadata())[0].generation);
    const newer = String(BigInt(live) + 1000n);
    await c.wait(
      await policies.setLabels({
        project: PROJECT,
        resource: POLICY,
        globalSetLabelsRequestResource: {
          labels: { ...p.labels, 'netreflex-allowlist-generation': newer },
          labelFingerprint: p.labelFingerprint,
        },
      }),
    );
    const logs = await watcher.nothingChangesDuring('a stale tick', () =>
      logsDuring(() => tick('2031-06-01T00:00:00Z')),
    );
    expect(logs.at(-1)).toMatchObject({ status: 'ignored', policies: [{ policy: POLICY, status: 'stale' }] });
    const q = await policy();
    await c.wait(
      await policies.setLabels({
        project: PROJECT,
        resource: POLICY,
        globalSetLabelsRequestResource: {
          labels: { ...q.labels, 'netreflex-allowlist-generation': live },
          labelFingerprint: q.labelFingerprint,
        },
      }),
    );
  });

  it('converges to the last of three concurrent uploads', async () => {
    const versions = ['203.0.113.16/28', '203.0.113.32/28', '203.0.113.48/28'].map((cidr) =>
      withPartners(
        `      - cidr: ${cidr}\n        description: Partner ${cidr}\n      - cidr: 198.51.100.0/25\n        description: Partner A\n`,
      ),
    );
    const files = versions.map(() => object());
    const logs = await logsDuring(async () => {
      await Promise.all(files.map((f, i) => f.save(versions[i]!, { contentType: 'text/yaml', resumable: false })));
      await stack.emulator.events.idle();
    });
    // Each earlier upload is either superseded by the time its event is handled, or applied and then replaced.
    expect(logs).toHaveLength(3);
    expect(logs.map((l) => l.status).every((s) => s === 'ignored' || s === 'ok')).toBe(true);
    expect(logs.at(-1)).toMatchObject({ status: 'ok' });
    const generations = files.map((f) => BigInt(String(f.metadata.generation)));
    const last = generations.indexOf(generations.reduce((a, b) => (a > b ? a : b)));
    expect(String((await object().getMetadata())[0].generation)).toBe(String(generations[last]));
    expect((await policy()).labels).toMatchObject({ 'netreflex-allowlist-generation': String(generations[last]) });
    expect(await allowed()).toEqual(
      [
        '198.51.100.0/25',
        ['203.0.113.16/28', '203.0.113.32/28', '203.0.113.48/28'][last]!,
        '203.0.113.5/32',
        V6,
      ].sort(),
    );
    watcher.assertHolds();
  });

  it('two syncs racing on one policy: one claims it, the other stops, the result is the file', async () => {
    // The upload's event is lost (Eventarc down), so both syncs below find the work to do.
    stack.emulator.events.injectFault({ kind: 'drop', type: 'google.cloud.storage.object.v1.finalized', count: 1 });
    await upload(
      withPartners(
        Array.from({ length: 25 }, (_, i) => `      - ip: 192.0.2.${i * 2}\n        description: host ${i}\n`).join(
          '',
        ) + '      - cidr: 198.51.100.0/25\n        description: Partner A\n',
      ),
    );
    const cfg = loadArmorAllowlistConfig(stack.env);
    const race = await Promise.all(
      [1, 2].map(() =>
        reconcileAllowlist(new Transport({ emulatorHost: stack.emulator.url }), cfg, {
          now: new Date('2026-01-01T00:00:00Z'),
        }),
      ),
    );
    expect(race.map((r) => r.policies[0]!.status).sort()).toEqual(['ok', 'superseded']);
    expect(race.find((r) => r.policies[0]!.status === 'superseded')!.policies[0]!.reason).toMatch(
      /claimed (inference-policy|the policy)/,
    );
    const after = await reconcileAllowlist(new Transport({ emulatorHost: stack.emulator.url }), cfg, {
      now: new Date('2026-01-01T00:00:00Z'),
      dryRun: true,
    });
    expect(after.policies[0]).toMatchObject({ status: 'unchanged', verify: { converged: true } });
    watcher.assertHolds();
  });

  it('netreflex plan allowlist --object shows the steps a local file would take, changing nothing', async () => {
    const path = join(dir, 'sample.yaml');
    writeFileSync(path, SAMPLE_FILE);
    const before = await policy();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bin/netreflex.js', 'plan', 'allowlist', '--object', path],
      {
        env: { ...process.env, NETREFLEX_EMULATOR_HOST: stack.emulator.url },
        cwd: new URL('../..', import.meta.url).pathname,
        timeout: 30_000,
      },
    );
    expect(stdout).toMatch(/Policy inference-policy \(sync(, holds #\d+)?\): planned/);
    expect(stdout).toMatch(/#\s+step\s+priority\s+list\s+ranges\s+added\s+removed/);
    expect(stdout).toMatch(/patchRule\s+\d+\s+partners/);
    expect(stdout).toMatch(
      /Rules in the project \(all security policies\): \d+ now, \d+ at the peak, \d+ after; budget 200/,
    );
    expect(stdout).toMatch(/Status: planned: .*sample\.yaml \(dry run\)/);
    // The policy as the plan would leave it: the file held, nothing said to be missing or overruled.
    expect(stdout).toContain('After this plan the policy holds the file: a fresh plan on it would be empty.');
    expect(stdout).not.toMatch(/overruled|denied by rule/);
    expect((await policy()).fingerprint).toBe(before.fingerprint);
  });
});
