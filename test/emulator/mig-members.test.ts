/**
 * A MIG member changes as a whole: every state a store listener sees (the invariant watcher, the
 * event router, a list running in between) is one the member can really be in — never a new action
 * with the old health, a VM verified but not yet healthy, or a standby VM still serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { membersCol, type MemberRecord, type MigRef } from '../../emulator/compute/migs.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';

let emu: Emulator;
let c: ComputeClients;
const REF: MigRef = { project: PROJECT, region: REGION, name: SAMPLE.nat.mig };

/**
 * The whole states of a member: idle and serving (or failing its health check); busy with an
 * action whose health follows from it; queued to leave or be recreated while still serving; or
 * kept stopped/suspended by the group.
 */
function legal(r: MemberRecord): boolean {
  if (r.standby)
    return (
      r.health === 'UNKNOWN' &&
      (r.currentAction === 'NONE' || r.currentAction === (r.standby === 'STOPPED' ? 'STOPPING' : 'SUSPENDING'))
    );
  switch (r.currentAction) {
    case 'NONE':
      return r.health === 'HEALTHY' || r.health === 'UNHEALTHY';
    case 'REFRESHING':
      return r.health === 'HEALTHY';
    case 'CREATING':
    case 'VERIFYING':
    case 'RESTARTING':
    case 'STARTING':
    case 'RESUMING':
      return r.health === 'UNKNOWN';
    case 'RECREATING':
    case 'DELETING':
    case 'ABANDONING':
      return true; // queued while still serving, then draining, then (recreating) building again
    default:
      return false;
  }
}

const seen: { state: string; legal: boolean }[] = [];
const col = membersCol(REF);

beforeAll(async () => {
  emu = await startSampleEmulator({
    natInstances: ['nat-aaaa', 'nat-bbbb'],
    settings: { operationLatencyMs: 5, instanceStepMs: 5, autohealDelayMs: 0 },
  });
  c = computeClients(emu.port);
  emu.store.onMutation((m) => {
    if (m.collection !== col || !m.after) return;
    const r = m.after as unknown as MemberRecord;
    const { currentAction, health, standby, replacing } = r;
    seen.push({ state: JSON.stringify({ name: r.name, currentAction, health, standby, replacing }), legal: legal(r) });
  });
});
afterAll(() => emu?.close());

const idle = () =>
  waitFor(
    'the group idle',
    async () =>
      (emu.migs.view(REF).status as { isStable?: boolean } | undefined)?.isStable === true &&
      emu.migs.list(REF).every((m) => m.currentAction === 'NONE' && m.health !== 'UNKNOWN'),
    15_000,
    5,
  );

/** Runs `drive`, then checks every member state the store showed meanwhile. */
async function watched(drive: () => Promise<void>): Promise<string[]> {
  const from = seen.length;
  await drive();
  await idle();
  const states = seen.slice(from);
  expect(states.length, 'the members changed').toBeGreaterThan(0);
  expect(states.filter((s) => !s.legal).map((s) => s.state)).toEqual([]);
  return states.map((s) => s.state);
}

describe('every member state a store listener sees is a whole one', () => {
  it('a recreate: queued, draining, building, verifying, healthy', async () => {
    await idle();
    await watched(async () => void (await Promise.all(emu.migs.recreate(REF, ['nat-aaaa']))));
  });

  it('resize up and down: a new member is created and verified, a removed one drains', async () => {
    await watched(async () => {
      emu.migs.resize(REF, 3);
      await idle();
      emu.migs.resize(REF, 2);
    });
  });

  it('the group stops and starts, suspends and resumes a VM itself', async () => {
    const [first] = emu.migs.list(REF);
    const states = await watched(async () => {
      emu.migs.standby(REF, [first!.name], 'stop');
      await waitFor('stopped', async () => first!.standby === 'STOPPED' && first!.currentAction === 'NONE', 5_000, 5);
      emu.migs.standby(REF, [first!.name], 'start');
      await idle();
      emu.migs.standby(REF, [first!.name], 'suspend');
      await waitFor('suspended', async () => first!.currentAction === 'NONE', 5_000, 5);
      emu.migs.standby(REF, [first!.name], 'resume');
    });
    expect(states.some((s) => s.includes('"standby":"SUSPENDED"'))).toBe(true);
  });

  it('a VM stopped, started and deleted by someone else: marked unhealthy, verified, created again', async () => {
    await watched(async () => {
      const m = emu.migs.list(REF)[0]!;
      await c.wait(await c.instances.stop({ project: PROJECT, zone: m.zone, instance: m.name }));
      await c.wait(await c.instances.start({ project: PROJECT, zone: m.zone, instance: m.name }));
      await idle();
      await c.wait(await c.instances.delete({ project: PROJECT, zone: m.zone, instance: m.name }));
    });
  });

  it('a configuration rolled out in place (REFRESH) and by substitution (REPLACE)', async () => {
    const patch = async (resource: Record<string, unknown>) => {
      const [{ fingerprint }] = await c.migs.get({ project: PROJECT, region: REGION, instanceGroupManager: REF.name });
      await c.wait(
        await c.migs.patch({
          project: PROJECT,
          region: REGION,
          instanceGroupManager: REF.name,
          instanceGroupManagerResource: { fingerprint, ...resource },
        }),
      );
    };
    const states = await watched(async () => {
      await patch({ allInstancesConfig: { properties: { metadata: { 'members-test': 'one' } } } });
      await idle();
      await patch({ updatePolicy: { minimalAction: 'REPLACE' } });
      await patch({ allInstancesConfig: { properties: { metadata: { 'members-test': 'two' } } } });
    });
    expect(states.some((s) => s.includes('REFRESHING'))).toBe(true);
    expect(states.some((s) => s.includes('"replacing":true'))).toBe(true);
  });
});
