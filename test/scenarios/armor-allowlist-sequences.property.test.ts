/**
 * The allowlist's promise over time, as a property on the local Google Cloud: for any sequence of
 * uploads (valid, invalid, over the project's rule quota), deletions, ticks of the clock and failing
 * rule operations, on two policies under a low project-wide quota, no address is ever allowed that
 * the last applied file does not allow, past its expiry by more than one tick.
 *
 * The model is deliberately plain: a file is lists of /32s (neighbours merge into wider rules) with
 * expiry hours, targeting `edge`, `api` or both; "allowed at t" is the entries whose expiry is
 * after t. Each policy has a last applied file (none at first, none again once a file stops
 * targeting it). Every step is judged per policy against that file and the sync's target — the
 * live file when it applies, nothing when it stops targeting the policy, the last applied file's
 * unexpired entries while the live file is refused or gone:
 * - a sync no fault touched ends with exactly the target (only part of it during a stall after a
 *   sync that failed half-way: the stall applies revocations only) and the target's generation
 *   label;
 * - a sync whose adds fail (an operation error, or Cloud Armor's own QUOTA_EXCEEDED) still allows
 *   nothing outside the target: no revoked or expired address stays allowed;
 * - a sync whose removals or label writes fail allows nothing outside the target and what the last
 *   applied file allowed at the previous sync (expiry at most one tick late: the next sync is clean);
 * - a generation label always names a file the policy holds: when a faulty sync labels the target,
 *   the policy is exactly the target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { aggregateCidrs, subtractCidrs } from '../../shared/net/cidr.js';
import { allowlistFile, GEN, policiesClient, scene, type PoliciesClient } from '../helpers/allowlist.js';
import { watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';

let emu: Emulator;
let client: PoliciesClient;
let watcher: InvariantWatcher;

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const POOL = 24;
const POLICIES = ['edge', 'api'] as const;
type Policy = (typeof POLICIES)[number];
/**
 * Cloud Armor's SECURITY_POLICY_RULES for the whole project, and the budget the sync plans with:
 * the two default rules and 4 more, so a file with two long lists on both policies does not fit.
 */
const QUOTA = 6;
const host = (i: number) => `192.0.2.${i}`;

interface Entry {
  readonly host: number;
  /** Hours after T0 at which it expires; undefined = never. */
  readonly expires?: number;
}

interface File {
  readonly policies: readonly Policy[];
  /** List name → entries: a new file often drops a list (its rules go) and starts another (new rules). */
  readonly lists: readonly (readonly [string, readonly Entry[]])[];
}

type Fault =
  | { readonly kind: 'operation'; readonly method: string; readonly count: number; readonly code: 400 | 500 }
  | { readonly kind: 'quota'; readonly count: number };

type Action =
  | { readonly kind: 'upload'; readonly file: File }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'delete' }
  | { readonly kind: 'tick' };

type Command = Action & { readonly fault?: Fault };

const entryArb: fc.Arbitrary<Entry> = fc.record(
  {
    host: fc.integer({ min: 0, max: POOL - 1 }),
    expires: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  },
  { requiredKeys: ['host'] },
);
const fileArb: fc.Arbitrary<File> = fc.record({
  policies: fc.constantFrom<readonly Policy[]>(['edge', 'api'], ['edge', 'api'], ['edge'], ['api']),
  lists: fc.uniqueArray(
    fc.tuple(fc.constantFrom('partners', 'vendors', 'ops'), fc.array(entryArb, { minLength: 1, maxLength: 14 })),
    { minLength: 1, maxLength: 2, selector: ([name]) => name },
  ),
});
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fileArb.map((file): Action => ({ kind: 'upload', file })) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'invalid' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'delete' }) },
  { weight: 4, arbitrary: fc.constant<Action>({ kind: 'tick' }) },
);
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('operation' as const),
      method: fc.constantFrom('addRule', 'addRule', 'addRule', 'patchRule', 'removeRule', 'setLabels'),
      count: fc.integer({ min: 1, max: 3 }),
      code: fc.constantFrom(400 as const, 500 as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('quota' as const), count: fc.integer({ min: 1, max: 2 }) }) },
);
/** Faults mostly hit uploads (where there are rules to add and revoke); never two faulty syncs in a row. */
const commandsArb: fc.Arbitrary<Command[]> = fc
  .array(
    actionArb.chain((action) =>
      fc
        .option(faultArb, { nil: undefined, freq: action.kind === 'upload' ? 2 : 5 })
        .map((fault): Command => (fault ? { ...action, fault } : action)),
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((steps) => steps.map((c, i): Command => (c.fault && steps[i - 1]?.fault ? { ...c, fault: undefined } : c)));

function yaml(file: File): string {
  const lists = Object.fromEntries(
    file.lists.map(([name, entries]) => [
      name,
      entries.map(
        (e, i) =>
          `{ ip: ${host(e.host)}, description: "${name} ${i}"${e.expires === undefined ? '' : `, expires: "${new Date(T0 + e.expires * HOUR).toISOString()}"`} }`,
      ),
    ]),
  );
  return allowlistFile(lists, { policies: file.policies, safety: '{ maxRemovalShare: 1 }' });
}

/** What `file` allows at `t` on `policy`, aggregated as the policy read-back is. */
function allowedAt(file: File | undefined, policy: Policy, t: number): string[] {
  if (!file || !file.policies.includes(policy)) return [];
  const live = file.lists
    .flatMap(([, entries]) => entries)
    .filter((e) => e.expires === undefined || T0 + e.expires * HOUR > t);
  return aggregateCidrs(live.map((e) => `${host(e.host)}/32`)).sort();
}

const outside = (allowed: readonly string[], ...bounds: (readonly string[])[]) => subtractCidrs(allowed, bounds.flat());

/** What each policy was last verified to hold, and whether a faulty sync left it part-way since. */
interface Held {
  readonly generation?: string;
  readonly file?: File;
  readonly dirty: boolean;
}

/** Across all runs: the property must have seen files applied, refused for the quota, and faults bite. */
const seen = { applied: 0, quotaRefused: 0, faultyLabelled: 0, faultyBehind: 0, stalls: 0 };

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 0, securityPolicyRulesQuota: QUOTA } });
  client = policiesClient(emu.port);
  watcher = watchInvariants(emu);
});

afterAll(async () => {
  watcher?.stop();
  await emu?.close();
});

describe('allowlist over any sequence of uploads, refusals, expiries and faults', () => {
  it('never allows what the last applied file does not, past its expiry by more than one tick', async () => {
    await fc.assert(
      fc.asyncProperty(commandsArb, async (commands) => {
        emu.faults.clear();
        const s = scene(emu, client, { policies: POLICIES, ruleQuota: QUOTA });
        const held = new Map<Policy, Held>(POLICIES.map((p) => [p, { dirty: false }]));
        let live: { generation: string; file: File } | 'invalid' | 'missing' = 'missing';
        let now = T0;
        let previous = T0;
        for (const command of commands) {
          if (command.kind === 'upload') {
            live = { generation: s.upload(yaml(command.file)), file: command.file };
          } else if (command.kind === 'invalid') {
            s.upload(
              'version: 1\npolicies: [edge, api]\nlists:\n  partners:\n    entries:\n      - { ip: 192.0.2.1, description: typo, expire: 2030-01-01 }\n',
            );
            live = 'invalid';
          } else if (command.kind === 'delete') {
            if (live !== 'missing') s.remove();
            live = 'missing';
          } else {
            now += HOUR;
          }
          const fault = command.fault;
          if (fault?.kind === 'operation')
            emu.faults.failOperations(
              `compute.securityPolicies.${fault.method}`,
              fault.count,
              'injected by the property test',
              fault.code,
            );
          // Cloud Armor's own quota answer, as the emulator gives it (security-policies-quota.ts).
          if (fault?.kind === 'quota')
            emu.faults.failOperations(
              'compute.securityPolicies.addRule',
              fault.count,
              `Quota 'SECURITY_POLICY_RULES' exceeded.  Limit: ${QUOTA}.0 globally.`,
              403,
            );
          let report;
          try {
            report = await s.sync({ now: new Date(now) });
          } catch (err) {
            // A label write that fails by injection surfaces as an error: the function fails the event.
            if (!fault) throw err;
          }
          emu.faults.clear();
          const applies = typeof live === 'object' && report?.status !== 'refused';
          if (report?.refusal?.kind === 'quota') seen.quotaRefused += 1;
          if (!fault && report) {
            if (typeof live === 'object') expect(['ok', 'unchanged', 'refused']).toContain(report.status);
            if (report.status === 'refused')
              expect(report.refusal?.kind).toBe(
                typeof live === 'object' ? 'quota' : live === 'invalid' ? 'invalid-file' : 'missing-file',
              );
          }
          for (const policy of POLICIES) {
            const last = held.get(policy)!;
            const allowed = await s.allowed(policy);
            const label = (await s.labels(policy))[GEN];
            const context = `${policy} after ${command.kind}${fault ? ` with ${JSON.stringify(fault)}` : ''}`;
            const targets = applies && typeof live === 'object' && live.file.policies.includes(policy);
            // What this sync must end with: the live file, nothing (no longer targeted), or the last applied file's unexpired entries.
            const target = applies
              ? {
                  generation: targets ? (live as { generation: string }).generation : undefined,
                  file: targets ? (live as { file: File }).file : undefined,
                }
              : { generation: last.generation, file: last.file };
            const want = allowedAt(target.file, policy, now);
            if (!fault) {
              if (applies || !last.dirty) expect(allowed, context).toEqual(want);
              else expect(outside(allowed, want), context).toEqual([]);
              expect(label, context).toBe(target.generation);
              held.set(policy, { ...target, dirty: applies ? false : last.dirty });
              if (applies && targets) seen.applied += 1;
              if (!applies && last.generation) seen.stalls += 1;
              continue;
            }
            // A faulty sync: the label names the target (then the policy holds exactly it) or is still the last one.
            if (applies && label === target.generation && target.generation !== last.generation) {
              expect(allowed, context).toEqual(want);
              held.set(policy, { ...target, dirty: false });
              seen.faultyLabelled += 1;
              continue;
            }
            expect(label, context).toBe(last.generation);
            const adds = fault.kind === 'quota' || fault.method === 'addRule';
            const late = adds ? [] : allowedAt(last.file, policy, previous);
            expect(outside(allowed, want, late), context).toEqual([]);
            const exact = applies
              ? allowed.join() === want.join()
              : allowed.join() === allowedAt(last.file, policy, now).join();
            if (!exact) seen.faultyBehind += 1;
            held.set(policy, { ...last, dirty: last.dirty || !exact });
          }
          previous = now;
        }
        watcher.assertHolds();
      }),
      { numRuns: 25, seed: 20261202 },
    );
    // The property saw every path it judges (else it would pass by never reaching them).
    expect(seen.applied).toBeGreaterThan(20);
    expect(seen.quotaRefused).toBeGreaterThan(0);
    expect(seen.faultyLabelled).toBeGreaterThan(0);
    expect(seen.faultyBehind).toBeGreaterThan(0);
    expect(seen.stalls).toBeGreaterThan(0);
  }, 120_000);
});
