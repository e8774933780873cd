/**
 * The local regional MIG as Google documents it, seen through the official @google-cloud/compute
 * client: the fingerprint lock on updates, the update policy that rolls every configuration change
 * out to the VMs (or does not), and what the group and its instances show while it runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';
import { SAMPLE } from '../../local/topology.js';
import { ManualClock } from '../helpers/emulator-clock.js';

let emu: Emulator;
let c: ComputeClients;
const MIG = { project: PROJECT, region: REGION, instanceGroupManager: 'nat-mig' };

async function apiError(call: Promise<unknown>): Promise<{ code?: number; message?: string }> {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: number; message?: string } | undefined;
  expect(err, 'expected the call to fail').toBeDefined();
  return err!;
}

beforeAll(async () => {
  emu = await startSampleEmulator({
    natInstances: ['nat-aaaa', 'nat-bbbb'],
    settings: { operationLatencyMs: 20, instanceStepMs: 20 },
  });
  c = computeClients(emu.port);
});
afterAll(() => emu.close());

describe('MIG fingerprint', () => {
  const patch = (fingerprint: string | undefined, value: string) =>
    c.migs.patch({
      ...MIG,
      instanceGroupManagerResource: {
        ...(fingerprint === undefined ? {} : { fingerprint }),
        allInstancesConfig: { properties: { metadata: { 'fp-test': value } } },
      },
    });

  it('a patch with the fingerprint just read is applied and changes the fingerprint', async () => {
    const [before] = await c.migs.get(MIG);
    await c.wait(await patch(before.fingerprint!, 'one'));
    const [after] = await c.migs.get(MIG);
    expect(after.allInstancesConfig?.properties?.metadata?.['fp-test']).toBe('one');
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it('a stale fingerprint is 412 conditionNotMet and changes nothing', async () => {
    const [before] = await c.migs.get(MIG);
    await c.wait(await patch(before.fingerprint!, 'two'));
    const err = await apiError(patch(before.fingerprint!, 'three'));
    expect(err.code).toBe(412);
    expect(err.message).toMatch(/fingerprint/);
    const [after] = await c.migs.get(MIG);
    expect(after.allInstancesConfig?.properties?.metadata?.['fp-test']).toBe('two');
  });

  it('a missing fingerprint is refused the same way (compute.proto: "must be provided")', async () => {
    const err = await apiError(patch(undefined, 'four'));
    expect(err.code).toBe(412);
    expect(err.message).toMatch(/fingerprint must be provided/);
  });
});

describe('two patches on one fingerprint', () => {
  // Both calls are accepted on the same fingerprint before either operation lands, however slowly
  // the machine answers them: on an emulator whose clock only the test moves, no operation lands
  // until both answers are in.
  const clock = new ManualClock();
  let held: Emulator;
  beforeAll(async () => {
    held = await startSampleEmulator({
      clock,
      natInstances: ['nat-aaaa', 'nat-bbbb'],
      settings: { operationLatencyMs: 20, instanceStepMs: 20 },
    });
  });
  afterAll(() => held?.close());

  it('the second fails when it lands, with 412 on its operation', async () => {
    const h = computeClients(held.port);
    const patchHeld = (fingerprint: string, value: string) =>
      h.migs.patch({
        ...MIG,
        instanceGroupManagerResource: {
          fingerprint,
          allInstancesConfig: { properties: { metadata: { 'fp-test': value } } },
        },
      });
    const [{ fingerprint }] = await h.migs.get(MIG);
    const [first, second] = await Promise.all([patchHeld(fingerprint!, 'five'), patchHeld(fingerprint!, 'six')]);
    const waits = [h.wait(first), h.wait(second)];
    await clock.advance(20);
    const [a, b] = await Promise.all(waits);
    expect(a?.error).toBeFalsy();
    expect(b?.httpErrorStatusCode).toBe(412);
    const [after] = await h.migs.get(MIG);
    expect(after.allInstancesConfig?.properties?.metadata?.['fp-test']).toBe('five');
  });
});

type Managed = { name: string; id: string; zone: string; action: string; status: string; template: string };

async function members(): Promise<Managed[]> {
  const [list] = await c.migs.listManagedInstances(MIG);
  return list.map((m) => ({
    name: m.name!,
    id: String(m.id),
    zone: m.instance!.split('/zones/')[1]!.split('/')[0]!,
    action: String(m.currentAction),
    status: String(m.instanceStatus),
    template: String(m.version?.instanceTemplate ?? ''),
  }));
}

async function stable(): Promise<Managed[]> {
  await waitFor(
    'the MIG stable',
    async () => {
      const [mig] = await c.migs.get(MIG);
      return (
        mig.status?.isStable === true && (await members()).every((m) => m.action === 'NONE' && m.status === 'RUNNING')
      );
    },
    30_000,
    25,
  );
  return members();
}

async function patchMig(resource: Record<string, unknown>): Promise<void> {
  const [{ fingerprint }] = await c.migs.get(MIG);
  await c.wait(await c.migs.patch({ ...MIG, instanceGroupManagerResource: { fingerprint, ...resource } }));
}

const setMetadata = (value: string) =>
  patchMig({ allInstancesConfig: { properties: { metadata: { 'netreflex-psa-ranges': value } } } });

/** Audit entries written since `from`: method, principal and resource project of each. */
function entriesSince(from: number) {
  return emu.audit.entries.slice(from).map((e) => ({
    method: e.protoPayload.methodName,
    principal: e.protoPayload.authenticationInfo.principalEmail,
    resource: e.protoPayload.resourceName,
    log: e.logName,
    last: e.operation.last === true,
  }));
}

async function metadataOf(m: Managed): Promise<string | undefined> {
  const [inst] = await c.instances.get({ project: PROJECT, zone: m.zone, instance: m.name });
  return inst.metadata?.items?.find((i) => i.key === 'netreflex-psa-ranges')?.value ?? undefined;
}

describe('MIG update policy (seeded from terraform-bootstrap/nat.tf)', () => {
  it("the seeded policy is nat.tf's: PROACTIVE, minimal REFRESH, most disruptive REPLACE", async () => {
    const [mig] = await c.migs.get(MIG);
    expect(mig.updatePolicy).toMatchObject({
      type: 'PROACTIVE',
      minimalAction: 'REFRESH',
      mostDisruptiveAllowedAction: 'REPLACE',
      replacementMethod: 'SUBSTITUTE',
      maxSurge: { fixed: 3 },
      maxUnavailable: { fixed: 0 },
    });
  });

  it('REFRESH: a metadata change reaches every VM in place — same names, same ids, no stop — after the patch operation is DONE', async () => {
    const before = await stable();
    const from = emu.audit.entries.length;
    const order: string[] = [];
    const stop = emu.store.onMutation((m) => {
      if (m.collection.endsWith('/operations') && m.after?.status === 'DONE' && m.after.operationType === 'patch')
        order.push('patch DONE');
      if (
        m.collection.endsWith('/instances') &&
        m.action === 'update' &&
        JSON.stringify(m.after?.metadata).includes('10.98.0.0/21,10.99.0.0/16')
      )
        order.push(`refreshed ${m.name}`);
    });
    emu.settings.instanceStepMs = 1_500; // long enough to see REFRESHING from here
    try {
      await setMetadata('10.98.0.0/21,10.99.0.0/16');
      await waitFor(
        'a VM REFRESHING while the group is not stable',
        async () => {
          const [mig] = await c.migs.get(MIG);
          return (
            mig.status?.isStable === false &&
            (await members()).some((m) => m.action === 'REFRESHING' && m.status === 'RUNNING')
          );
        },
        20_000,
        25,
      );
    } finally {
      emu.settings.instanceStepMs = 20;
    }
    const after = await stable();
    stop();
    expect(after.map((m) => [m.name, m.id])).toEqual(before.map((m) => [m.name, m.id]));
    for (const m of after) expect(await metadataOf(m)).toBe('10.98.0.0/21,10.99.0.0/16');
    expect(order[0]).toBe('patch DONE');
    expect(order.filter((o) => o.startsWith('refreshed')).length).toBe(before.length);
    const methods = entriesSince(from).map((e) => e.method);
    expect(methods.filter((m) => /instances\.(insert|delete|stop|start)$/.test(m))).toEqual([]);
    const [mig] = await c.migs.get(MIG);
    expect(mig.status?.allInstancesConfig?.effective).toBe(true);
  });

  it('minimal REPLACE (the policy nat.tf had): the same metadata change substitutes every VM — new names, new ids — logged as the MIG with the project number', async () => {
    await patchMig({ updatePolicy: { minimalAction: 'REPLACE' } });
    const before = await stable();
    const from = emu.audit.entries.length;
    await setMetadata('10.98.0.0/21,10.100.0.0/16');
    await waitFor(
      'every VM substituted',
      async () => {
        const now = await members();
        return (
          now.length === before.length &&
          now.every((m) => m.action === 'NONE' && !before.some((b) => b.name === m.name))
        );
      },
      30_000,
      25,
    );
    const after = await stable();
    expect(after.some((m) => before.some((b) => b.id === m.id))).toBe(false);
    for (const m of after) expect(await metadataOf(m)).toBe('10.98.0.0/21,10.100.0.0/16');
    const mine = entriesSince(from).filter((e) => /^v1\.compute\.instances\.(insert|delete)$/.test(e.method));
    expect(mine.length).toBe(4 * before.length); // first + last of one delete and one insert per VM
    expect(
      mine.every(
        (e) =>
          e.principal === `${SAMPLE.projectNumber}@cloudservices.gserviceaccount.com` &&
          e.resource.startsWith(`projects/${SAMPLE.projectNumber}/zones/`),
      ),
    ).toBe(true);
    await patchMig({ updatePolicy: { minimalAction: 'REFRESH' } });
  });

  it('REPLACE with replacementMethod RECREATE keeps the names, gives new ids', async () => {
    await patchMig({
      updatePolicy: {
        minimalAction: 'REPLACE',
        replacementMethod: 'RECREATE',
        maxSurge: { fixed: 0 },
        maxUnavailable: { fixed: 1 },
      },
    });
    const before = await stable();
    await setMetadata('10.98.0.0/21,10.101.0.0/16');
    await waitFor(
      'every VM recreated',
      async () => {
        const now = await members();
        return now.every((m) => m.action === 'NONE' && m.status === 'RUNNING' && !before.some((b) => b.id === m.id));
      },
      30_000,
      25,
    );
    const after = await stable();
    expect(after.map((m) => m.name).sort()).toEqual(before.map((m) => m.name).sort());
    await patchMig({
      updatePolicy: {
        minimalAction: 'REFRESH',
        replacementMethod: 'SUBSTITUTE',
        maxSurge: { fixed: 3 },
        maxUnavailable: { fixed: 0 },
      },
    });
  });

  it('a template that needs a new disk is not rolled out beyond mostDisruptiveAllowedAction REFRESH, and applyUpdatesToInstances says why', async () => {
    await patchMig({ updatePolicy: { mostDisruptiveAllowedAction: 'REFRESH' } });
    const before = await stable();
    const [current] = await c.templates.get({ project: PROJECT, instanceTemplate: 'nat-template' });
    await c.wait(
      await c.templates.insert({
        project: PROJECT,
        instanceTemplateResource: {
          name: 'nat-template-disk',
          properties: {
            ...current.properties,
            disks: [
              { boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } },
            ],
          },
        },
      }),
    );
    await c.wait(
      await c.migs.setInstanceTemplate({
        ...MIG,
        regionInstanceGroupManagersSetTemplateRequestResource: {
          instanceTemplate: `global/instanceTemplates/nat-template-disk`,
        },
      }),
    );
    const after = await stable();
    expect(after.map((m) => [m.name, m.id, m.template])).toEqual(before.map((m) => [m.name, m.id, m.template]));
    const [mig] = await c.migs.get(MIG);
    expect(mig.status?.versionTarget?.isReached).toBe(false);
    const err = await apiError(
      c.migs.applyUpdatesToInstances({
        ...MIG,
        regionInstanceGroupManagersApplyUpdatesRequestResource: {
          allInstances: true,
          mostDisruptiveAllowedAction: 'REFRESH',
        },
      }),
    );
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/requires REPLACE/);
  });

  it('OPPORTUNISTIC waits: the new template reaches a VM only when it is recreated or targeted by applyUpdatesToInstances', async () => {
    await patchMig({ updatePolicy: { type: 'OPPORTUNISTIC', mostDisruptiveAllowedAction: 'REPLACE' } });
    const before = await stable();
    expect(before.every((m) => m.template.endsWith('/nat-template'))).toBe(true);
    const [first, second] = before as [Managed, Managed];
    await c.wait(
      await c.migs.recreateInstances({
        ...MIG,
        regionInstanceGroupManagersRecreateRequestResource: {
          instances: [`zones/${first.zone}/instances/${first.name}`],
        },
      }),
    );
    await waitFor(
      'the recreated VM on the new template',
      async () =>
        (await members()).some(
          (m) =>
            m.name === first.name &&
            m.id !== first.id &&
            m.action === 'NONE' &&
            m.template.endsWith('/nat-template-disk'),
        ),
      30_000,
      25,
    );
    expect((await members()).find((m) => m.name === second.name)).toMatchObject({
      id: second.id,
      template: second.template,
    });
    await c.wait(
      await c.migs.applyUpdatesToInstances({
        ...MIG,
        regionInstanceGroupManagersApplyUpdatesRequestResource: {
          instances: [`zones/${second.zone}/instances/${second.name}`],
          minimalAction: 'NONE',
          mostDisruptiveAllowedAction: 'REPLACE',
        },
      }),
    );
    await waitFor(
      'the targeted VM on the new template',
      async () =>
        (await members()).some(
          (m) => m.template.endsWith('/nat-template-disk') && m.action === 'NONE' && m.name !== first.name,
        ),
      30_000,
      25,
    );
    const after = await stable();
    expect(after.every((m) => m.template.endsWith('/nat-template-disk'))).toBe(true);
    const [mig] = await c.migs.get(MIG);
    expect(mig.status?.versionTarget?.isReached).toBe(true);
  });

  it('RESTART: a new machine type restarts each VM in place — same name, same id — one at a time within maxUnavailable', async () => {
    await patchMig({ updatePolicy: { type: 'PROACTIVE', minimalAction: 'REFRESH', maxUnavailable: { fixed: 1 } } });
    const before = await stable();
    const [current] = await c.templates.get({ project: PROJECT, instanceTemplate: 'nat-template-disk' });
    await c.wait(
      await c.templates.insert({
        project: PROJECT,
        instanceTemplateResource: {
          name: 'nat-template-medium',
          properties: { ...current.properties, machineType: 'e2-medium' },
        },
      }),
    );
    const from = emu.audit.entries.length;
    const down = new Set<string>();
    let mostDown = 0;
    const stop = emu.store.onMutation((m) => {
      if (!m.collection.endsWith('/instances') || m.action !== 'update') return;
      if (m.after?.status === 'RUNNING') down.delete(m.name);
      else down.add(m.name);
      mostDown = Math.max(mostDown, down.size);
    });
    await c.wait(
      await c.migs.setInstanceTemplate({
        ...MIG,
        regionInstanceGroupManagersSetTemplateRequestResource: {
          instanceTemplate: 'global/instanceTemplates/nat-template-medium',
        },
      }),
    );
    await waitFor(
      'every VM on the new template',
      async () => (await members()).every((m) => m.template.endsWith('/nat-template-medium') && m.action === 'NONE'),
      30_000,
      25,
    );
    const after = await stable();
    stop();
    expect(mostDown).toBe(1);
    expect(after.map((m) => [m.name, m.id])).toEqual(before.map((m) => [m.name, m.id]));
    for (const m of after)
      expect((await c.instances.get({ project: PROJECT, zone: m.zone, instance: m.name }))[0].machineType).toMatch(
        /\/machineTypes\/e2-medium$/,
      );
    const entries = entriesSince(from).filter((e) => /instances\.(stop|start|insert|delete)$/.test(e.method));
    expect(entries.filter((e) => e.method === 'v1.compute.instances.stop').length).toBe(2 * before.length);
    expect(entries.some((e) => /instances\.(insert|delete)$/.test(e.method))).toBe(false);
    expect(entries.every((e) => e.principal === `${SAMPLE.projectNumber}@cloudservices.gserviceaccount.com`)).toBe(
      true,
    );
    await patchMig({ updatePolicy: { maxUnavailable: { fixed: 0 } } });
  });

  it('refuses a policy Google refuses: bad enum, RECREATE with surge, no disruption budget at all (400)', async () => {
    for (const updatePolicy of [
      { minimalAction: 'REBOOT' },
      { replacementMethod: 'RECREATE', maxSurge: { fixed: 1 } },
      { maxSurge: { fixed: 0 }, maxUnavailable: { fixed: 0 } },
    ]) {
      const [{ fingerprint }] = await c.migs.get(MIG);
      const err = await apiError(c.migs.patch({ ...MIG, instanceGroupManagerResource: { fingerprint, updatePolicy } }));
      expect(err.code, JSON.stringify(updatePolicy)).toBe(400);
    }
  });
});

describe('MIG stopInstances/startInstances and suspendInstances/resumeInstances', () => {
  const urlOf = (m: Managed) => `zones/${m.zone}/instances/${m.name}`;
  const sizes = async () => {
    const [mig] = await c.migs.get(MIG);
    return { targetSize: mig.targetSize, stopped: mig.targetStoppedSize ?? 0, suspended: mig.targetSuspendedSize ?? 0 };
  };

  it('the group stops a VM itself (targetSize → targetStoppedSize, logged as the MIG), keeps it stopped without autohealing it, and starts it again', async () => {
    const [first, second] = await stable();
    const from = emu.audit.entries.length;
    emu.settings.autohealDelayMs = 20;
    try {
      await c.wait(
        await c.migs.stopInstances({
          ...MIG,
          regionInstanceGroupManagersStopInstancesRequestResource: { instances: [urlOf(first!)] },
        }),
      );
      await waitFor('the VM stopped by the group', async () =>
        (await members()).some((m) => m.name === first!.name && m.status === 'TERMINATED' && m.action === 'NONE'),
      );
      expect(await sizes()).toEqual({ targetSize: 1, stopped: 1, suspended: 0 });
      await new Promise((r) => setTimeout(r, 200)); // ten autoheal delays: a standby VM is not repaired
      expect((await members()).find((m) => m.name === first!.name)).toMatchObject({
        id: first!.id,
        status: 'TERMINATED',
      });
      const entries = entriesSince(from);
      expect(entries.filter((e) => e.method.endsWith('.stopInstances')).map((e) => e.principal)).toEqual([
        SAMPLE.owner,
        SAMPLE.owner,
      ]);
      const stops = entries.filter((e) => e.method === 'v1.compute.instances.stop');
      expect(stops).toHaveLength(2);
      for (const e of stops)
        expect(e).toMatchObject({
          principal: `${SAMPLE.projectNumber}@cloudservices.gserviceaccount.com`,
          resource: `projects/${SAMPLE.projectNumber}/zones/${first!.zone}/instances/${first!.name}`,
        });
      expect(entries.some((e) => e.method.includes('repair'))).toBe(false);

      const running = await apiError(
        c.migs.startInstances({
          ...MIG,
          regionInstanceGroupManagersStartInstancesRequestResource: { instances: [urlOf(second!)] },
        }),
      );
      expect(running.code).toBe(400);
      expect(running.message).toMatch(/accepts only stopped instances/);
      const again = await apiError(
        c.migs.stopInstances({
          ...MIG,
          regionInstanceGroupManagersStopInstancesRequestResource: { instances: [urlOf(first!)] },
        }),
      );
      expect(again.code).toBe(400);

      await c.wait(
        await c.migs.startInstances({
          ...MIG,
          regionInstanceGroupManagersStartInstancesRequestResource: { instances: [urlOf(first!)] },
        }),
      );
      const after = await stable();
      expect(after.map((m) => [m.name, m.id])).toEqual([first, second].map((m) => [m!.name, m!.id]));
      expect(await sizes()).toEqual({ targetSize: 2, stopped: 0, suspended: 0 });
      expect(
        entriesSince(from)
          .filter((e) => e.method === 'v1.compute.instances.start')
          .map((e) => e.principal),
      ).toEqual([
        `${SAMPLE.projectNumber}@cloudservices.gserviceaccount.com`,
        `${SAMPLE.projectNumber}@cloudservices.gserviceaccount.com`,
      ]);
    } finally {
      emu.settings.autohealDelayMs = 0;
    }
  });

  it('suspend and resume the same way; resume accepts only suspended VMs', async () => {
    const [first, second] = await stable();
    await c.wait(
      await c.migs.suspendInstances({
        ...MIG,
        regionInstanceGroupManagersSuspendInstancesRequestResource: { instances: [urlOf(second!)] },
      }),
    );
    await waitFor('the VM suspended by the group', async () =>
      (await members()).some((m) => m.name === second!.name && m.status === 'SUSPENDED' && m.action === 'NONE'),
    );
    expect(await sizes()).toEqual({ targetSize: 1, stopped: 0, suspended: 1 });
    expect(
      (
        await apiError(
          c.migs.resumeInstances({
            ...MIG,
            regionInstanceGroupManagersResumeInstancesRequestResource: { instances: [urlOf(first!)] },
          }),
        )
      ).code,
    ).toBe(400);
    await c.wait(
      await c.migs.resumeInstances({
        ...MIG,
        regionInstanceGroupManagersResumeInstancesRequestResource: { instances: [urlOf(second!)] },
      }),
    );
    expect((await stable()).map((m) => m.id)).toEqual([first!.id, second!.id]);
    expect(await sizes()).toEqual({ targetSize: 2, stopped: 0, suspended: 0 });
  });
});
