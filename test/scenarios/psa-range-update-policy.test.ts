/**
 * The update-policy outage, replayed on the local MIG's update-policy model: peeringRanges adds a
 * PSA range by patching the NAT MIG's all-instances metadata right before a pipeline run. With the
 * policy terraform-bootstrap/nat.tf deploys (minimal action REFRESH) the NAT VMs take the range in
 * place — no VM replaced, restarted or recreated, no route removed while natRoutes keeps
 * reconciling. With the policy nat.tf used to have (minimal action REPLACE) the same patch
 * replaces every NAT VM: the outage.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { sampleEnv } from '../../local/stack.js';
import { TERRAFORM_DIR } from '../../local/terraform/reader.js';
import { natUpdatePolicy } from '../../local/nat-policy.js';
import { loadPeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { applyRangeChanges } from '../../shared/peering-ranges/apply.js';
import { reconcileRoutes } from '../../shared/nat-routes/reconcile.js';
import { convergenceProblem, fastTransport, MIG, natEmulator, ROUTES_COL } from './nat-support.js';

let emu: Emulator | undefined;
afterEach(async () => emu?.close());

interface Outcome {
  before: { name: string; id: string }[];
  after: { name: string; id: string }[];
  routeDeletes: number;
  disruptive: string[];
}

/** Converges the routes, adds a PSA range the way peeringRanges does, and reconciles until the MIG is stable again. */
async function addPsaRange(natUpdatePolicy?: Record<string, unknown>): Promise<Outcome> {
  const started = await natEmulator(natUpdatePolicy ? { natUpdatePolicy } : {});
  emu = started.emu;
  const t = fastTransport(emu);
  await reconcileRoutes(t, started.cfg);
  expect(convergenceProblem(emu, started.cfg, 2)).toBeUndefined();
  const ids = () => emu!.migs.managedInstances(MIG).map((m) => ({ name: m.name, id: String(m.id) }));
  const before = ids();
  let routeDeletes = 0;
  const stop = emu.store.onMutation(
    (m) => void (m.collection === ROUTES_COL && m.action === 'delete' && routeDeletes++),
  );
  const from = emu.audit.entries.length;
  const ranges = loadPeeringRangesConfig({ ...sampleEnv(emu.url), NETREFLEX_LOG_LEVEL: 'silent' });
  const [step] = await applyRangeChanges(t, ranges, ranges.network, [
    {
      kind: 'setMigMetadata',
      key: 'netreflex-psa-ranges',
      value: '10.98.0.0/21,10.99.0.0/16',
      ranges: ['10.98.0.0/21', '10.99.0.0/16'],
      added: ['10.99.0.0/16'],
    },
  ]);
  expect(step).toMatchObject({ ok: true });
  // natRoutes wakes on the patch's audit log and keeps reconciling while the MIG is busy.
  const deadline = Date.now() + 30_000;
  do {
    await reconcileRoutes(t, started.cfg);
    await new Promise((r) => setTimeout(r, 20));
  } while (Date.now() < deadline && (emu.migs.view(MIG).status as { isStable: boolean }).isStable !== true);
  await reconcileRoutes(t, started.cfg);
  stop();
  const disruptive = emu.audit.entries
    .slice(from)
    .map((e) => e.protoPayload.methodName)
    .filter((m) => /\.compute\.instances\.(insert|delete|stop|start|reset)$/.test(m));
  return { before, after: ids(), routeDeletes, disruptive };
}

describe('adding a PSA range under the NAT MIG update policy', () => {
  it("with nat.tf's policy no NAT VM is replaced, restarted or recreated, and no route is removed", async () => {
    const outcome = await addPsaRange();
    expect(outcome.after).toEqual(outcome.before);
    expect(outcome.disruptive).toEqual([]);
    expect(outcome.routeDeletes).toBe(0);
    const metadata = emu!.migs.list(MIG).map((m) => m.config.allInstances.metadata['netreflex-psa-ranges']);
    expect(metadata).toEqual(['10.98.0.0/21,10.99.0.0/16', '10.98.0.0/21,10.99.0.0/16']);
  });

  it('with the policy nat.tf had (minimal_action = "REPLACE") the same patch replaces every NAT VM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netreflex-tf-'));
    try {
      cpSync(TERRAFORM_DIR, dir, { recursive: true });
      const nat = readFileSync(join(dir, 'nat.tf'), 'utf8');
      const planted = nat.replace(/minimal_action(\s*)= "REFRESH"/, 'minimal_action$1= "REPLACE"');
      expect(planted).not.toBe(nat);
      writeFileSync(join(dir, 'nat.tf'), planted);
      const outcome = await addPsaRange(await natUpdatePolicy(dir));
      expect(outcome.after.some((a) => outcome.before.some((b) => b.name === a.name || b.id === a.id))).toBe(false);
      expect(outcome.disruptive.filter((m) => m.endsWith('.delete')).length).toBeGreaterThanOrEqual(4);
      expect(outcome.routeDeletes).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
