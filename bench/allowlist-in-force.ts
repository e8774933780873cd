/**
 * (c″) Upload → rules in force: a 2,000-entry allowlist (2,000 disjoint /32s, 200 rules), then 20
 * uploads that each add one entry at a random place; for each, the time from the upload until the
 * policy allows exactly the new file, as the armorAllowlist sync does it on the finalized event
 * (read, parse, observe the project, plan, claim, apply) — beside a naive sync of the same file on the
 * same local Google Cloud: re-chunk the sorted list into rules of 10 and patch every rule whose
 * content moved, one call after the other. Compute operations take 10 ms here; the ratio is the figure.
 *
 * 2,000 unmergeable ranges need 201 rules with the default rule: both projects get a rule quota of
 * 1,000 (the emulator's and netreflex's budget alike).
 */
import type { Emulator } from '../emulator/server.js';
import { startSampleEmulator } from '../local/seed.js';
import { buildPolicy } from '../emulator/compute/security-policies.js';
import { defaultRule } from '../emulator/compute/security-policy-rules.js';
import { SAMPLE } from '../local/topology.js';
import { Transport } from '../shared/gcp/transport.js';
import {
  addSecurityPolicyRule,
  getSecurityPolicy,
  patchSecurityPolicyRule,
  removeSecurityPolicyRule,
} from '../shared/gcp/security-policies.js';
import { readAllowlistObject } from '../shared/armor-allowlist/source.js';
import { reconcileAllowlist } from '../shared/armor-allowlist/reconcile.js';
import type { ArmorAllowlistConfig } from '../shared/config/armor-allowlist.js';
import { parseAllowlist } from '../shared/allowlist/parse.js';
import { allowedBy, allowRule, type PolicyRule } from '../shared/plan/allowlist-rules.js';
import { rangeSetOf, toCidrs } from '../shared/net/cidr.js';
import { figure, type BenchModule } from './types.js';

const POLICY = 'edge';
const BASE = (100 << 24) >>> 0; // 100.0.0.0: shared address space, never a real caller
const addr = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const UPLOADS = 20;

function file(hosts: readonly number[]): string {
  const lines = hosts.map((n, i) => `      - { ip: ${addr(n)}, description: host ${i} }`);
  return `version: 1\npolicies: [${POLICY}]\nsafety: { maxRemovalShare: 1 }\nlists:\n  partners:\n    entries:\n${lines.join('\n')}\n`;
}

interface Side {
  readonly cfg: ArmorAllowlistConfig;
  readonly t: Transport;
  /** Makes the policy allow the live file; resolves when the sync is done. */
  sync(generation: string): Promise<unknown>;
}

function side(
  emu: Emulator,
  name: string,
  sync: (cfg: ArmorAllowlistConfig, t: Transport, generation: string) => Promise<unknown>,
): Side {
  const project = `netreflex-bench-${name}`;
  emu.store.insert(
    `projects/${project}/global/securityPolicies`,
    buildPolicy(emu.store, project, { name: POLICY, rules: [defaultRule('deny(403)')] }),
  );
  const cfg: ArmorAllowlistConfig = {
    project,
    region: SAMPLE.region,
    emulatorHost: emu.url,
    logLevel: 'silent',
    bucket: SAMPLE.bucket.name,
    object: `allowlists/bench-${name}.yaml`,
    policy: 'sync',
    ruleQuota: 1000,
  };
  const t = new Transport({ emulatorHost: emu.url });
  return { cfg, t, sync: (generation) => sync(cfg, t, generation) };
}

/** The naive sync: the sorted ranges cut into rules of 10 at priorities 1000…, each rule compared by position and rewritten when it differs. */
async function naiveSync(cfg: ArmorAllowlistConfig, t: Transport, generation: string): Promise<void> {
  const read = await readAllowlistObject(t, cfg.bucket, cfg.object, generation);
  if (read.kind !== 'file') throw new Error(`naive sync: ${read.kind}`);
  const parsed = parseAllowlist(read.bytes, read.source);
  if (!parsed.ok) throw new Error('naive sync: invalid file');
  const cidrs = toCidrs(
    rangeSetOf(parsed.allowlist.lists.flatMap((l) => l.entries.flatMap((e) => (e.kind === 'static' ? e.cidrs : [])))),
  );
  const policy = await getSecurityPolicy(t, cfg.project, POLICY);
  const current = new Map(policy.rules.map((r) => [r.priority, r.match?.config?.srcIpRanges?.join(',')]));
  const chunks = Array.from({ length: Math.ceil(cidrs.length / 10) }, (_, i) => cidrs.slice(i * 10, i * 10 + 10));
  for (const [i, chunk] of chunks.entries()) {
    const priority = 1000 + i;
    const rule = allowRule(priority, 'partners', chunk, false);
    if (!current.has(priority)) await addSecurityPolicyRule(t, cfg.project, POLICY, rule);
    else if (current.get(priority) !== chunk.join(','))
      await patchSecurityPolicyRule(t, cfg.project, POLICY, priority, rule);
  }
  for (const priority of current.keys())
    if (priority >= 1000 + chunks.length && priority < 2000)
      await removeSecurityPolicyRule(t, cfg.project, POLICY, priority);
}

/** Milliseconds from the upload until the policy first allows exactly `want`. */
async function inForce(emu: Emulator, s: Side, hosts: readonly number[]): Promise<number> {
  const want = toCidrs(rangeSetOf(hosts.map((n) => `${addr(n)}/32`))).join(' ');
  const collection = `projects/${s.cfg.project}/global/securityPolicies`;
  let at: number | undefined;
  const stop = emu.store.onMutation((m) => {
    if (at !== undefined || m.collection !== collection || !m.after) return;
    if (
      toCidrs(allowedBy((m.after.rules as PolicyRule[]).filter((r) => r.priority >= 1000 && r.priority < 2000))).join(
        ' ',
      ) === want
    )
      at = performance.now();
  });
  const started = performance.now();
  try {
    const generation = emu.storage.writeObject(
      SAMPLE.bucket.name,
      s.cfg.object,
      Buffer.from(file(hosts)),
      { contentType: 'text/yaml' },
      {},
      false,
    ).generation;
    await s.sync(generation);
  } finally {
    stop();
  }
  if (at === undefined) throw new Error(`${s.cfg.project}: the policy never allowed exactly the file`);
  return at - started;
}

export const allowlistInForceBench: BenchModule = {
  id: 'allowlist-in-force',
  title: 'Allowlist upload → rules in force, 1-entry changes on a 2,000-entry file (local Google Cloud)',
  async run(ctx) {
    const emu = await startSampleEmulator({ settings: { operationLatencyMs: 10, securityPolicyRulesQuota: 1000 } });
    try {
      const ours = side(emu, 'netreflex', async (cfg, t, generation) => {
        const report = await reconcileAllowlist(t, cfg, { now: new Date(), eventGeneration: generation });
        if (report.status !== 'ok')
          throw new Error(
            `sync ${report.status}: ${report.refusal?.message ?? report.policies.map((p) => p.reason).join('; ')}`,
          );
      });
      const naive = side(emu, 'naive', naiveSync);
      let hosts = Array.from({ length: 2000 }, (_, i) => BASE + i * 4);
      await inForce(emu, ours, hosts);
      await inForce(emu, naive, hosts);
      const [a, b]: [number[], number[]] = [[], []];
      for (let i = 0; i < UPLOADS; i++) {
        let fresh: number;
        do fresh = BASE + Math.floor(Math.random() * 2000) * 4 + 2;
        while (hosts.includes(fresh));
        hosts = [...hosts, fresh];
        a.push(await inForce(emu, ours, hosts));
        b.push(await inForce(emu, naive, hosts));
      }
      ctx.log(
        `allowlist-in-force: netreflex ${a.map(Math.round).join(', ')} ms; naive ${b.map(Math.round).join(', ')} ms`,
      );
      return [
        figure({
          id: 'allowlist-in-force.p50',
          what: `allowlist upload → rules in force, 2,000 entries, 1-entry change (p50 of ${UPLOADS}, 10 ms operations)`,
          unit: 'ms',
          samples: a,
          baseline: { what: 'naive re-chunking sync, same uploads', samples: b },
        }),
      ];
    } finally {
      await emu.close();
    }
  },
};
