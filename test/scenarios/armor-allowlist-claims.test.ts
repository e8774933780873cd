/**
 * Claims that serve the newest file, with two writers at once on the local Google Cloud: a foreign
 * `setLabels` between the sync's read and its claim is re-read and retried (not "superseded"); a
 * sync of an older generation that claimed first is taken over and the newer file ends applied in
 * the same sync; an older sync never takes a newer one's claim; a crashed claim expires; and the
 * generation label only ever names a file the policy holds at that moment.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Request } from '../../emulator/http.js';
import { allowedByPolicy } from '../helpers/invariants.js';
import { allowlistCloud, allowlistFile, GEN, hostEntries, type Scene } from '../helpers/allowlist.js';
import { CLAIM_LABEL, LEASE_MS, newerThan, RUN_LABEL } from '../../shared/plan/allowlist-claim.js';
import { rangeSetOf, toCidrs } from '../../shared/net/cidr.js';
import type { PolicyRule } from '../../shared/plan/allowlist.js';
import { newFingerprint } from '../../emulator/compute/security-policies.js';

type Hold = { methodId: string; project: string; after?: string; reached: Promise<void>; release: () => void };
const holds: Hold[] = [];
const seen = new Map<string, Set<string>>();

/** Holds the next call of `methodId` in `project` (after a call of `after` there, if given) until released. */
function hold(methodId: string, project: string, after?: string): Hold {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  const released = new Promise<void>((r) => (release = r));
  const h: Hold & { gate: Promise<void>; arrive: () => void } = {
    methodId,
    project,
    ...(after ? { after } : {}),
    reached: reachedP,
    release,
    gate: released,
    arrive: reached,
  };
  holds.push(h);
  return h;
}

const cloud = allowlistCloud();

beforeAll(async () => {
  cloud.emu.router.addHook(async (methodId, req: Request) => {
    const project = /projects\/([^/]+)\//.exec(req.path)?.[1] ?? '';
    const calls = seen.get(project) ?? new Set<string>();
    const i = holds.findIndex(
      (h) => h.methodId === methodId && h.project === project && (!h.after || calls.has(h.after)),
    );
    calls.add(methodId);
    seen.set(project, calls);
    if (i < 0) return 'continue';
    const [h] = holds.splice(i, 1) as [Hold & { gate: Promise<void>; arrive: () => void }];
    h.arrive();
    await h.gate;
    return 'continue';
  });
});

/**
 * Watches one policy's labels: whenever the generation label changes, the policy must at that
 * moment allow exactly what that generation's file allows.
 */
function labelHonesty(
  s: Scene,
  policy: string,
  files: Map<string, readonly string[]>,
): { lies: string[]; stop: () => void } {
  const lies: string[] = [];
  const stop = cloud.emu.store.onMutation((m) => {
    if (m.collection !== `projects/${s.project}/global/securityPolicies` || m.name !== policy || !m.after) return;
    const before = (m.before?.labels as Record<string, string> | undefined)?.[GEN];
    const after = (m.after.labels as Record<string, string> | undefined)?.[GEN];
    if (!after || after === before) return;
    const allowed = toCidrs(allowedByPolicy(m.after.rules as PolicyRule[]));
    const want = toCidrs(rangeSetOf(files.get(after) ?? []));
    if (JSON.stringify(allowed) !== JSON.stringify(want))
      lies.push(`labelled ${after} while allowing ${allowed.join(' ')} (the file allows ${want.join(' ')})`);
  });
  return { lies, stop };
}

const hostsOf = (n: number, block: number) => hostEntries(n, block).map((e) => /ip: ([\d.]+)/.exec(e)![1]!);

describe('a foreign label change is not a rival sync', () => {
  it('a cost-label script writing labels between the read and the claim: the sync re-reads, claims, applies, and keeps the foreign label', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const generation = s.upload(allowlistFile({ partners: hostEntries(12) }, { policies: ['edge'] }));
    // The other writer: right as netreflex sends its claim, the script's setLabels lands first.
    let fired = false;
    cloud.emu.router.addHook(async (methodId, req: Request) => {
      if (fired || methodId !== 'compute.securityPolicies.setLabels' || !req.path.includes(`/${s.project}/`))
        return 'continue';
      fired = true;
      cloud.emu.store.update(`projects/${s.project}/global/securityPolicies`, 'edge', (p) => {
        p.labels = { ...(p.labels as Record<string, string>), 'cost-center': 'ml-platform' };
        p.labelFingerprint = newFingerprint();
      });
      return 'continue';
    });
    const report = await s.sync();
    expect(fired).toBe(true);
    expect(report.policies[0]).toMatchObject({ status: 'ok', holds: generation });
    expect(await s.labels('edge')).toMatchObject({ 'cost-center': 'ml-platform', [GEN]: generation });
    expect(await s.allowed('edge')).toHaveLength(12);
    cloud.watcher.assertHolds();
  });
});

describe('two syncs of different generations at once', () => {
  it('an older sync that claimed first is taken over: the newer upload ends applied by its own sync, the older one stops without a change', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const files = new Map<string, readonly string[]>();
    const g1 = s.upload(allowlistFile({ partners: hostEntries(12, 1) }, { policies: ['edge'] }));
    files.set(g1, hostsOf(12, 1));
    const honesty = labelHonesty(s, 'edge', files);
    // The older sync (a tick that read generation 1) is slow right after its claim.
    const slow = hold('compute.securityPolicies.get', s.project, 'compute.securityPolicies.setLabels');
    const older = s.sync();
    await slow.reached;
    const g2 = s.upload(allowlistFile({ partners: hostEntries(12, 2) }, { policies: ['edge'] }));
    files.set(g2, hostsOf(12, 2));
    const newer = await s.sync({ eventGeneration: g2 });
    expect(newer).toMatchObject({ status: 'ok', policies: [{ status: 'ok', holds: g2 }] });
    slow.release();
    expect((await older).policies[0]).toMatchObject({ status: 'superseded' });
    expect(await s.allowed('edge')).toEqual(toCidrs(rangeSetOf(hostsOf(12, 2))).sort());
    expect((await s.labels('edge'))[GEN]).toBe(g2);
    honesty.stop();
    expect(honesty.lies).toEqual([]);
    cloud.watcher.assertHolds();
  });

  it('a sync of an older generation never takes the claim of a newer one in flight: it stops as stale and changes nothing', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const g1 = s.upload(allowlistFile({ partners: hostEntries(5, 3) }, { policies: ['edge'] }));
    // The older sync has read generation 1 and is slow before it looks at the policies.
    const slowOlder = hold('compute.securityPolicies.list', s.project);
    const older = s.sync();
    await slowOlder.reached;
    const g2 = s.upload(allowlistFile({ partners: hostEntries(5, 4) }, { policies: ['edge'] }));
    // The newer one claims and is slow right after.
    const slowNewer = hold('compute.securityPolicies.get', s.project, 'compute.securityPolicies.setLabels');
    const newer = s.sync({ eventGeneration: g2 });
    await slowNewer.reached;
    const claimed = await s.labels('edge');
    expect(claimed[CLAIM_LABEL]).toBe(g2);
    slowOlder.release();
    const stale = await older;
    expect(stale).toMatchObject({ status: 'ignored', generation: g1, policies: [{ status: 'stale' }] });
    expect(await s.labels('edge')).toEqual(claimed);
    slowNewer.release();
    expect((await newer).policies[0]).toMatchObject({ status: 'ok', holds: g2 });
    expect(await s.allowed('edge')).toEqual(toCidrs(rangeSetOf(hostsOf(5, 4))).sort());
    cloud.watcher.assertHolds();
  });

  it('a claim left by a crashed sync of a newer generation expires with its lease', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const generation = s.upload(allowlistFile({ partners: hostEntries(3, 5) }, { policies: ['edge'] }));
    const crashedAt = Math.floor((Date.now() - LEASE_MS - 60_000) / 1000);
    cloud.emu.store.update(`projects/${s.project}/global/securityPolicies`, 'edge', (p) => {
      p.labels = { [CLAIM_LABEL]: String(BigInt(generation) + 1000n), [RUN_LABEL]: `r-deadbeef0000-${crashedAt}` };
      p.labelFingerprint = newFingerprint();
    });
    expect((await s.sync()).policies[0]).toMatchObject({ status: 'ok', holds: generation });
    const live = {
      labels: {
        [CLAIM_LABEL]: String(BigInt(generation) + 1000n),
        [RUN_LABEL]: `r-deadbeef0000-${Math.floor(Date.now() / 1000)}`,
      },
    };
    expect(newerThan(live, generation, Date.now())).toBe(String(BigInt(generation) + 1000n));
    expect(newerThan(live, generation, Date.now() + LEASE_MS + 1000)).toBeUndefined();
  });
});

describe('an older sync overtaken after its last step', () => {
  it("reads back the newer sync's claim and rules: it is superseded, not refused (the newer file would fail its removal share)", async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const g1 = s.upload(allowlistFile({ partners: hostEntries(4, 1) }, { policies: ['edge'] }));
    expect((await s.sync()).policies[0]).toMatchObject({ status: 'ok', holds: g1 });
    s.upload(allowlistFile({ partners: hostEntries(5, 1) }, { policies: ['edge'] }));
    // The older sync is slow on its read-back, right after its only step.
    const slow = hold('compute.securityPolicies.get', s.project, 'compute.securityPolicies.patchRule');
    const older = s.sync();
    await slow.reached;
    const g3 = s.upload(
      allowlistFile({ partners: hostEntries(5, 1), more: hostEntries(30, 2) }, { policies: ['edge'] }),
    );
    expect((await s.sync({ eventGeneration: g3 })).policies[0]).toMatchObject({ status: 'ok', holds: g3 });
    slow.release();
    const o = await older;
    expect(o.policies[0]).toMatchObject({
      status: 'superseded',
      reason: expect.stringMatching(new RegExp(`^another sync \\(run r-[0-9a-f]+, generation ${g3}\\) claimed edge`)),
    });
    expect(o.status).toBe('ignored');
    expect((await s.labels('edge'))[GEN]).toBe(g3);
    cloud.watcher.assertHolds();
  });
});

describe('the generation label names only a file the policy holds', () => {
  it('stays on the previous generation while steps fail, is written once the policy verifies, and a file that changes no rule is recorded too', async () => {
    const s = cloud.scene({ policies: ['edge'] });
    const files = new Map<string, readonly string[]>();
    const g1 = s.upload(allowlistFile({ partners: hostEntries(4, 6) }, { policies: ['edge'] }));
    files.set(g1, hostsOf(4, 6));
    const honesty = labelHonesty(s, 'edge', files);
    expect((await s.sync()).policies[0]).toMatchObject({ status: 'ok', holds: g1 });
    const g2 = s.upload(allowlistFile({ partners: hostEntries(25, 6) }, { policies: ['edge'] }));
    files.set(g2, hostsOf(25, 6));
    cloud.emu.faults.failOperations('compute.securityPolicies.addRule', 2, 'backend refused the rule', 400);
    const failed = await s.sync();
    expect(failed.policies[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/addRule at \d+ failed: .*backend refused the rule/),
    });
    expect(await s.labels('edge')).toMatchObject({ [GEN]: g1, [CLAIM_LABEL]: g2 });
    expect((await s.sync()).policies[0]).toMatchObject({ status: 'ok', holds: g2 });
    // Same entries, new wording: nothing to change, but the policy now holds generation 3.
    const g3 = s.upload(allowlistFile({ partners: hostEntries(25, 6, ' (renamed)') }, { policies: ['edge'] }));
    files.set(g3, hostsOf(25, 6));
    const recorded = await s.sync();
    expect(recorded.policies[0]).toMatchObject({ status: 'ok', holds: g3, results: [], mutations: 2 });
    expect((await s.sync()).policies[0]).toMatchObject({ status: 'unchanged', mutations: 0 });
    honesty.stop();
    expect(honesty.lies).toEqual([]);
    cloud.watcher.assertHolds();
  });
});
