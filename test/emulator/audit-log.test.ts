/**
 * Audit logs as Compute Engine writes them, seen from the emulator's log and its Eventarc: who did
 * it (the caller with the project id, the MIG itself with the project number and the Google APIs
 * Service Agent, Google's system for an autoheal), which API version, and what is delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuth2Client } from 'google-auth-library';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';

let emu: Emulator;
let c: ComputeClients;
const MIG = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };
const REF = { project: PROJECT, region: REGION, name: SAMPLE.nat.mig };
const AGENT = `${SAMPLE.projectNumber}@cloudservices.gserviceaccount.com`;

const since = (from: number) => emu.audit.entries.slice(from);
const delivered = (insertId: unknown) =>
  emu.events.published.some((e) => (e.data as { insertId?: unknown }).insertId === insertId);

async function vm(name: string) {
  const m = emu.migs.list(REF).find((x) => x.name === name)!;
  return { project: PROJECT, zone: m.zone, instance: name };
}

async function status(name: string): Promise<string> {
  const [inst] = await c.instances.get(await vm(name));
  return String(inst.status);
}

beforeAll(async () => {
  emu = await startSampleEmulator({
    natInstances: ['nat-aaaa', 'nat-bbbb'],
    settings: { operationLatencyMs: 20, instanceStepMs: 20 },
  });
  c = computeClients(emu.port);
});
afterAll(() => emu.close());

describe('Compute Engine audit logs', () => {
  it('stop, start, suspend, resume and reset are Admin Activity entries, first and last, by the caller with the project id', async () => {
    const v = await vm('nat-aaaa');
    const from = emu.audit.entries.length;
    const [op] = await c.instances.stop(v);
    expect((op.latestResponse as { user?: string }).user).toBe(SAMPLE.owner);
    await c.wait(op);
    await waitFor('TERMINATED', async () => (await status('nat-aaaa')) === 'TERMINATED');
    await c.wait(await c.instances.start(v));
    await waitFor('RUNNING', async () => (await status('nat-aaaa')) === 'RUNNING');
    await c.wait(await c.instances.suspend(v));
    await waitFor('SUSPENDED', async () => (await status('nat-aaaa')) === 'SUSPENDED');
    await c.wait(await c.instances.resume(v));
    await waitFor('RUNNING again', async () => (await status('nat-aaaa')) === 'RUNNING');
    await c.wait(await c.instances.reset(v));
    await waitFor('the reset logged as done', async () =>
      since(from).some((e) => e.protoPayload.methodName === 'v1.compute.instances.reset' && e.operation.last),
    );
    const entries = since(from).filter((e) =>
      /instances\.(stop|start|suspend|resume|reset)$/.test(e.protoPayload.methodName),
    );
    for (const verb of ['stop', 'start', 'suspend', 'resume', 'reset']) {
      const mine = entries.filter((e) => e.protoPayload.methodName === `v1.compute.instances.${verb}`);
      expect(
        mine.map((e) => (e.operation.first ? 'first' : 'last')),
        verb,
      ).toEqual(['first', 'last']);
      for (const e of mine) {
        expect(e.protoPayload.authenticationInfo.principalEmail).toBe(SAMPLE.owner);
        expect(e.protoPayload.resourceName).toBe(`projects/${PROJECT}/zones/${v.zone}/instances/nat-aaaa`);
        expect(e.logName).toBe(`projects/${PROJECT}/logs/cloudaudit.googleapis.com%2Factivity`);
        expect(delivered(e.insertId)).toBe(true);
      }
    }
  });

  it('a caller with a token of its own is logged, and named on the operation, as the member the token stands for', async () => {
    const sa = `netreflex-operator@${PROJECT}.iam.gserviceaccount.com`;
    emu.iam.defineRole(`projects/${PROJECT}/roles/vmOperator`, [
      'compute.instances.reset',
      'compute.zoneOperations.get',
      'compute.instanceGroupManagers.update',
      'compute.regionOperations.get',
    ]);
    emu.iam.grant({
      member: `serviceAccount:${sa}`,
      role: `projects/${PROJECT}/roles/vmOperator`,
      resource: `projects/${PROJECT}`,
    });
    const auth = new OAuth2Client();
    auth.setCredentials({
      access_token: emu.iam.mintToken(`serviceAccount:${sa}`).accessToken,
      expiry_date: Date.now() + 3_600_000,
    });
    const mine = computeClients(emu.port, auth);
    const v = await vm('nat-bbbb');
    const from = emu.audit.entries.length;
    const [op] = await mine.instances.reset(v);
    expect((op.latestResponse as { user?: string }).user).toBe(sa);
    await mine.wait(op);
    await waitFor('the reset logged as done', async () =>
      since(from).some((e) => e.protoPayload.methodName === 'v1.compute.instances.reset' && e.operation.last),
    );
    const [resize] = await mine.migs.resize({ ...MIG, size: 2 });
    expect((resize.latestResponse as { user?: string }).user).toBe(sa);
    await mine.wait(resize);
    const entries = since(from).filter((e) =>
      /\.(instances\.reset|regionInstanceGroupManagers\.resize)$/.test(e.protoPayload.methodName),
    );
    expect(entries.map((e) => [e.protoPayload.methodName, e.protoPayload.authenticationInfo.principalEmail])).toEqual([
      ['v1.compute.instances.reset', sa],
      ['v1.compute.instances.reset', sa],
      ['v1.compute.regionInstanceGroupManagers.resize', sa],
      ['v1.compute.regionInstanceGroupManagers.resize', sa],
    ]);
  });

  it('resume needs a SUSPENDED VM, suspend and reset a RUNNING one (400 resourceNotReady)', async () => {
    const err = (await c.instances.resume(await vm('nat-aaaa')).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: number; message?: string };
    expect(err?.code).toBe(400);
    expect(err.message).toMatch(/SUSPENDED/);
  });

  it('a call on /compute/beta/ is logged as beta.compute.*', async () => {
    const v = await vm('nat-bbbb');
    const from = emu.audit.entries.length;
    const res = await fetch(`${emu.url}/compute/beta/projects/${PROJECT}/zones/${v.zone}/instances/nat-bbbb/reset`, {
      method: 'POST',
    });
    expect(res.status).toBe(200);
    expect(since(from).map((e) => e.protoPayload.methodName)).toContain('beta.compute.instances.reset');
  });

  it("the MIG's own VM changes name the project by number and run as the Google APIs Service Agent; the call that asked for them does not", async () => {
    const from = emu.audit.entries.length;
    await c.wait(await c.migs.resize({ ...MIG, size: 3 }));
    await waitFor('the third VM logged as inserted', async () =>
      since(from).some((e) => e.protoPayload.methodName === 'v1.compute.instances.insert' && e.operation.last),
    );
    const resize = since(from).filter(
      (e) => e.protoPayload.methodName === 'v1.compute.regionInstanceGroupManagers.resize',
    );
    expect(resize.map((e) => [e.protoPayload.authenticationInfo.principalEmail, e.protoPayload.resourceName])).toEqual([
      [SAMPLE.owner, `projects/${PROJECT}/regions/${REGION}/instanceGroupManagers/${SAMPLE.nat.mig}`],
      [SAMPLE.owner, `projects/${PROJECT}/regions/${REGION}/instanceGroupManagers/${SAMPLE.nat.mig}`],
    ]);
    const inserts = since(from).filter((e) => e.protoPayload.methodName === 'v1.compute.instances.insert');
    expect(inserts).toHaveLength(2);
    for (const e of inserts) {
      expect(e.protoPayload.authenticationInfo.principalEmail).toBe(AGENT);
      expect(e.protoPayload.resourceName).toMatch(
        new RegExp(`^projects/${SAMPLE.projectNumber}/zones/${REGION}-[abc]/instances/nat-[a-z0-9]{4}$`),
      );
      expect((e.resource as { labels: { project_id: string } }).labels.project_id).toBe(PROJECT);
      expect(delivered(e.insertId)).toBe(true);
    }
    await c.wait(await c.migs.resize({ ...MIG, size: 2 }));
    await waitFor('back to two', async () => emu.migs.list(REF).length === 2);
  });

  it('an autoheal is a System Event entry by system@google.com, written but never delivered to Eventarc', async () => {
    emu.settings.autohealDelayMs = 20;
    try {
      await waitFor('the MIG idle', async () =>
        emu.migs.list(REF).every((m) => m.currentAction === 'NONE' && m.health === 'HEALTHY'),
      );
      const from = emu.audit.entries.length;
      const published = emu.events.published.length;
      const victim = emu.migs.list(REF)[0]!;
      emu.migs.setHealth(REF, victim.name, 'UNHEALTHY');
      await waitFor(
        'the repair done',
        async () =>
          since(from).length > 0 &&
          emu.migs.list(REF).every((m) => m.currentAction === 'NONE' && m.health === 'HEALTHY'),
      );
      const entries = since(from);
      expect(
        entries.map((e) => [e.protoPayload.methodName, e.protoPayload.authenticationInfo.principalEmail, e.logName]),
      ).toEqual([
        [
          'compute.instances.repair.recreateInstance',
          'system@google.com',
          `projects/${PROJECT}/logs/cloudaudit.googleapis.com%2Fsystem_event`,
        ],
      ]);
      expect(entries[0]!.protoPayload.resourceName).toBe(
        `projects/${SAMPLE.projectNumber}/zones/${victim.zone}/instances/${victim.name}`,
      );
      expect(emu.events.published.length).toBe(published);
    } finally {
      emu.settings.autohealDelayMs = 0;
    }
  });
});
