/**
 * (c′) Allowlist calls per change as the function makes them: the armorAllowlist sync run against
 * the local Google Cloud on a 2,000-entry file, then one entry added, then one removed. Counts
 * every mutating call the emulator received — rule changes plus the two `setLabels`: the claim that
 * keeps concurrent syncs apart, and the record of the generation once the policy verifies — beside
 * the planner's own floor (the rule steps alone), so the price of the labels is visible, not hidden.
 *
 * The 2,000 entries are 1,000 pairs of neighbouring addresses (1,000 ranges after merging, 100
 * rules): 2,000 unmergeable ranges need 200 rules plus the default rule, over Cloud Armor's default
 * quota of 200 rules per project (SECURITY_POLICY_RULES), which the local Google Cloud enforces.
 */
import { startSampleEmulator } from '../local/seed.js';
import { SAMPLE } from '../local/topology.js';
import { Transport } from '../shared/gcp/transport.js';
import { reconcileAllowlist } from '../shared/armor-allowlist/reconcile.js';
import type { ArmorAllowlistConfig } from '../shared/config/armor-allowlist.js';
import { figure, type BenchModule } from './types.js';

const RULE_CALLS = [
  'compute.securityPolicies.addRule',
  'compute.securityPolicies.patchRule',
  'compute.securityPolicies.removeRule',
];
const CLAIM_CALLS = ['compute.securityPolicies.setLabels'];
/** Entry i: pairs (2k, 2k+1) are neighbours; pairs are 4 addresses apart, so they never merge with each other. */
const ip = (i: number) => `100.${64 + (i >> 15)}.${(i >> 7) & 255}.${((i >> 1) & 63) * 4 + (i & 1)}`;

function file(entries: readonly number[]): string {
  const lines = entries.map((i) => `      - { ip: ${ip(i)}, description: host ${i} }`);
  return `version: 1\npolicies: [${SAMPLE.armor.policy}]\nsafety: { maxRemovalShare: 1 }\nlists:\n  partners:\n    entries:\n${lines.join('\n')}\n`;
}

export const allowlistAppliedBench: BenchModule = {
  id: 'allowlist-applied',
  title: 'Allowlist calls per change through the armorAllowlist sync (local Google Cloud)',
  async run(ctx) {
    const emu = await startSampleEmulator({ settings: { operationLatencyMs: 0 } });
    try {
      const cfg: ArmorAllowlistConfig = {
        project: SAMPLE.project,
        region: SAMPLE.region,
        emulatorHost: emu.url,
        logLevel: 'silent',
        bucket: SAMPLE.bucket.name,
        object: SAMPLE.bucket.allowlistObject,
        policy: 'sync',
        ruleQuota: 200,
      };
      const t = new Transport({ emulatorHost: emu.url });
      const count = (methods: readonly string[]) => methods.reduce((n, m) => n + (emu.router.calls.get(m) ?? 0), 0);
      const sync = async (entries: number[]) => {
        emu.storage.writeObject(
          cfg.bucket,
          cfg.object,
          Buffer.from(file(entries)),
          { contentType: 'text/yaml' },
          {},
          false,
        );
        const [rules, claims] = [count(RULE_CALLS), count(CLAIM_CALLS)];
        const report = await reconcileAllowlist(t, cfg, { now: new Date() });
        if (report.status !== 'ok')
          throw new Error(
            `sync ${report.status}: ${report.refusal?.message ?? report.policies.map((p) => p.reason).join('; ')}`,
          );
        return { rules: count(RULE_CALLS) - rules, claims: count(CLAIM_CALLS) - claims };
      };
      const base = Array.from({ length: 2000 }, (_, i) => i);
      await sync(base);
      const added = await sync([...base, 4000]);
      const removed = await sync([...base, 4000].filter((i) => i !== 1001));
      ctx.log(
        `allowlist-applied: +1 entry ${added.rules} rule calls + ${added.claims} label writes; −1 entry ${removed.rules} + ${removed.claims}`,
      );
      return [
        figure({
          id: 'allowlist-applied.add',
          what: 'armorAllowlist sync, 2,000 entries, +1 entry: mutating calls (rules + label writes)',
          unit: 'calls',
          samples: [added.rules + added.claims],
          baseline: { what: 'rule calls alone (floor 1)', samples: [added.rules] },
          target: { text: '1 rule call + claim + record', test: (v, b) => b <= 1 && v <= 3 },
        }),
        figure({
          id: 'allowlist-applied.remove',
          what: 'armorAllowlist sync, 2,000 entries, −1 entry: mutating calls (rules + label writes)',
          unit: 'calls',
          samples: [removed.rules + removed.claims],
          baseline: { what: 'rule calls alone (floor 1)', samples: [removed.rules] },
          target: { text: '1 rule call + claim + record', test: (v, b) => b <= 1 && v <= 3 },
        }),
      ];
    } finally {
      await emu.close();
    }
  },
};
