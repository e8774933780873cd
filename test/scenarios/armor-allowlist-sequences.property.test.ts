/**
 * The allowlist's promise over time, as a property on the local Google Cloud: for any sequence of
 * uploads (valid or not), deletions, ticks of the clock and failing rule operations, no address is
 * ever allowed that the last applied file does not allow, past its expiry by more than one tick.
 *
 * The model is deliberately plain: files are sets of /32s with expiry hours, "allowed at t" is the
 * entries whose expiry is after t. After each sync the policy must allow
 * - nothing that no valid file allowed at the time of the last sync no fault touched, and
 * - after a sync no fault touched: exactly the live file (and carry its generation) when the live
 *   file is valid, or no more than the file its label names when the live file is refused or gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { allowlistFile, GEN, policiesClient, scene, type PoliciesClient } from '../helpers/allowlist.js';
import { watchInvariants, type InvariantWatcher } from '../helpers/invariants.js';

let emu: Emulator;
let client: PoliciesClient;
let watcher: InvariantWatcher;

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const POOL = 12;
const host = (i: number) => `192.0.2.${i * 2}`;

interface Entry {
  readonly host: number;
  /** Hours after T0 at which it expires; undefined = never. */
  readonly expires?: number;
}

type Command =
  | { readonly kind: 'upload'; readonly entries: readonly Entry[] }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'delete' }
  | { readonly kind: 'tick' }
  | { readonly kind: 'fault'; readonly method: string; readonly count: number; readonly code: 400 | 500 };

const entryArb: fc.Arbitrary<Entry> = fc.record(
  {
    host: fc.integer({ min: 0, max: POOL - 1 }),
    expires: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
  },
  { requiredKeys: ['host'] },
);
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(entryArb, { minLength: 1, maxLength: 8 })
      .map((entries): Command => ({ kind: 'upload', entries })),
  },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'invalid' }) },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'delete' }) },
  { weight: 4, arbitrary: fc.constant<Command>({ kind: 'tick' }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      method: fc.constantFrom('addRule', 'patchRule', 'removeRule', 'setLabels'),
      count: fc.integer({ min: 1, max: 3 }),
      code: fc.constantFrom(400 as const, 500 as const),
    }),
  },
);

function yaml(entries: readonly Entry[]): string {
  const lines = entries.map(
    (e, i) =>
      `{ ip: ${host(e.host)}, description: "e${i}"${e.expires === undefined ? '' : `, expires: "${new Date(T0 + e.expires * HOUR).toISOString()}"`} }`,
  );
  return allowlistFile({ partners: lines }, { policies: ['edge'], safety: '{ maxRemovalShare: 1 }' });
}

/** The /32s a file allows at `t`, sorted as the policy read-back is. */
function allowedAt(entries: readonly Entry[], t: number): Set<string> {
  return new Set(
    entries.filter((e) => e.expires === undefined || T0 + e.expires * HOUR > t).map((e) => `${host(e.host)}/32`),
  );
}

beforeAll(async () => {
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 0 } });
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
      fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 9 }), async (commands) => {
        emu.faults.clear();
        const s = scene(emu, client, { policies: ['edge'] });
        const files = new Map<string, readonly Entry[]>();
        let live: { generation: string; entries: readonly Entry[] } | 'invalid' | 'missing' = 'missing';
        let now = T0;
        let lastClean = T0;
        let pendingFault = false;
        for (const command of commands) {
          if (command.kind === 'fault') {
            emu.faults.failOperations(
              `compute.securityPolicies.${command.method}`,
              command.count,
              'injected by the property test',
              command.code,
            );
            pendingFault = true;
            continue;
          }
          if (command.kind === 'upload') {
            const generation = s.upload(yaml(command.entries));
            files.set(generation, command.entries);
            live = { generation, entries: command.entries };
          } else if (command.kind === 'invalid') {
            s.upload(
              'version: 1\npolicies: [edge]\nlists:\n  partners:\n    entries:\n      - { ip: 192.0.2.1, description: typo, expire: 2030-01-01 }\n',
            );
            live = 'invalid';
          } else if (command.kind === 'delete') {
            if (live !== 'missing') s.remove();
            live = 'missing';
          } else {
            now += HOUR;
          }
          const faulty = pendingFault;
          try {
            await s.sync({ now: new Date(now) });
          } catch (err) {
            // A label write that fails by injection surfaces as an error: the function fails the event.
            if (!faulty) throw err;
          }
          emu.faults.clear();
          pendingFault = false;
          if (!faulty) lastClean = now;
          const allowed = await s.allowed('edge');
          const everAllowed = new Set([...files.values()].flatMap((f) => [...allowedAt(f, lastClean)]));
          expect(allowed.filter((a) => !everAllowed.has(a))).toEqual([]);
          if (faulty) continue;
          const label = (await s.labels('edge'))[GEN];
          if (typeof live === 'object') {
            expect(allowed).toEqual([...allowedAt(live.entries, now)].sort());
            expect(label).toBe(live.generation);
          } else if (label) {
            const held = allowedAt(files.get(label)!, now);
            expect(allowed.filter((a) => !held.has(a))).toEqual([]);
          } else {
            expect(allowed).toEqual([]);
          }
        }
        watcher.assertHolds();
      }),
      { numRuns: 20 },
    );
  }, 120_000);
});
