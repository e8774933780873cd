/**
 * The local Compute Engine, seen only through the official @google-cloud/compute client:
 * if these pass, netreflex's users can point their own tooling at `npm start` unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';

let emu: Emulator;
let c: ComputeClients;
const MIG = { project: PROJECT, region: REGION, instanceGroupManager: 'nat-mig' };
const natUrl = (name: string, zone = 'asia-northeast1-a') => `projects/${PROJECT}/zones/${zone}/instances/${name}`;
const route = (over: Record<string, unknown>) => ({
  network: 'global/networks/vpc-a',
  destRange: '198.51.100.10/32',
  priority: 900,
  nextHopIp: '10.95.0.9',
  ...over,
});

async function expectApiError(call: Promise<unknown>, code: number, message: RegExp) {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: number; message?: string } | undefined;
  expect(err, 'expected the call to fail').toBeDefined();
  expect(err!.code).toBe(code);
  expect(err!.message).toMatch(message);
}

beforeAll(async () => {
  emu = await startSampleEmulator({
    natInstances: ['nat-aaaa', 'nat-bbbb'],
    settings: { operationLatencyMs: 30, instanceStepMs: 40 },
  });
  c = computeClients(emu.port);
});
afterAll(() => emu.close());

describe('routes', () => {
  it('insert answers a RUNNING operation; the route exists only once it is DONE', async () => {
    emu.settings.operationLatencyMs = 1_000; // wide enough that a loaded machine still reads before DONE
    const [res] = await c.routes.insert({ project: PROJECT, routeResource: route({ name: 'op-demo' }) });
    expect((res.latestResponse as unknown as { status: string }).status).toBe('RUNNING');
    await expectApiError(c.routes.get({ project: PROJECT, route: 'op-demo' }), 404, /was not found/);
    expect((await c.wait(res))?.status).toBe('DONE');
    emu.settings.operationLatencyMs = 30;
    const [got] = await c.routes.get({ project: PROJECT, route: 'op-demo' });
    expect(got.network).toBe(`https://www.googleapis.com/compute/v1/projects/${PROJECT}/global/networks/vpc-a`);
  });

  it('rejects duplicates (409), bad names, CIDRs, priorities and next hops (400) in Google error JSON', async () => {
    await expectApiError(
      c.routes.insert({ project: PROJECT, routeResource: route({ name: 'op-demo' }) }),
      409,
      /already exists/,
    );
    await expectApiError(
      c.routes.insert({ project: PROJECT, routeResource: route({ name: 'Bad_Name' }) }),
      400,
      /resource.name/,
    );
    await expectApiError(
      c.routes.insert({ project: PROJECT, routeResource: route({ name: 'cidr', destRange: '10.0.0.1/24' }) }),
      400,
      /destRange/,
    );
    // ipaddr.js alone would store this as 8.0.0.0/8 (octal); Google reads octets as decimal.
    await expectApiError(
      c.routes.insert({ project: PROJECT, routeResource: route({ name: 'octal', destRange: '010.0.0.0/8' }) }),
      400,
      /destRange.*'010\.0\.0\.0\/8'/,
    );
    await expectApiError(
      c.routes.insert({ project: PROJECT, routeResource: route({ name: 'prio', priority: 70000 }) }),
      400,
      /priority/,
    );
    await expectApiError(
      c.routes.insert({
        project: PROJECT,
        routeResource: route({ name: 'two-hops', nextHopInstance: natUrl('nat-aaaa') }),
      }),
      400,
      /exactly one/,
    );
    await expectApiError(
      c.routes.insert({
        project: PROJECT,
        routeResource: route({ name: 'no-vm', nextHopIp: undefined, nextHopInstance: natUrl('nat-zzzz') }),
      }),
      400,
      /cannot be found/,
    );
    await expectApiError(c.routes.delete({ project: PROJECT, route: 'never-was' }), 404, /was not found/);
  });

  it('pages with maxResults and pageToken', async () => {
    for (const n of [1, 2, 3])
      await c.wait(
        await c.routes.insert({
          project: PROJECT,
          routeResource: route({ name: `page-${n}`, destRange: `198.51.100.${n}/32` }),
        }),
      );
    const [first, next] = await c.routes.list({ project: PROJECT, maxResults: 2 }, { autoPaginate: false });
    expect(first).toHaveLength(2);
    expect(next?.pageToken).toBeTruthy();
    const [all] = await c.routes.list({ project: PROJECT });
    expect(all.map((r) => r.name)).toEqual(
      expect.arrayContaining(['page-1', 'page-2', 'page-3', 'default-route-vpc-a']),
    );
    await expectApiError(
      c.routes.list({ project: PROJECT, maxResults: 501 }, { autoPaginate: false }),
      400,
      /maxResults/,
    );
  });

  it('derives warnings from the next-hop instance: NOT_RUNNING while stopped', async () => {
    const [mis] = await c.migs.listManagedInstances(MIG);
    const zone = mis
      .find((m) => m.name === 'nat-aaaa')!
      .instance!.split('/zones/')[1]!
      .split('/')[0]!;
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: route({ name: 'to-aaaa', nextHopIp: undefined, nextHopInstance: natUrl('nat-aaaa', zone) }),
      }),
    );
    const [before] = await c.routes.get({ project: PROJECT, route: 'to-aaaa' });
    expect(before.warnings ?? []).toEqual([]);
    await c.wait(await c.instances.stop({ project: PROJECT, zone, instance: 'nat-aaaa' }));
    const codes = await waitFor('NEXT_HOP_NOT_RUNNING', async () => {
      const [r] = await c.routes.get({ project: PROJECT, route: 'to-aaaa' });
      return r.warnings?.some((w) => w.code === 'NEXT_HOP_NOT_RUNNING') ? r.warnings.map((w) => w.code) : false;
    });
    expect(codes).toContain('NEXT_HOP_NOT_RUNNING');
    await c.wait(await c.instances.start({ project: PROJECT, zone, instance: 'nat-aaaa' }));
  });
});

describe('peering export (listPeeringRoutes OUTGOING)', () => {
  const peering = {
    project: PROJECT,
    network: 'vpc-a',
    peeringName: 'servicenetworking-googleapis-com',
    region: REGION,
    direction: 'OUTGOING',
  };
  it('exports nothing custom while exportCustomRoutes is false, then untagged non-gateway statics only', async () => {
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: route({ name: 'tagged', destRange: '203.0.113.128/25', tags: ['nat'] }),
      }),
    );
    const [off] = await c.networks.listPeeringRoutes(peering);
    expect(off.map((r) => r.type)).toEqual(['SUBNET_PEERING_ROUTE']);
    await c.wait(
      await c.networks.updatePeering({
        project: PROJECT,
        network: 'vpc-a',
        networksUpdatePeeringRequestResource: {
          networkPeering: { name: 'servicenetworking-googleapis-com', exportCustomRoutes: true },
        },
      }),
    );
    const [on] = await c.networks.listPeeringRoutes(peering);
    const ranges = on.map((r) => r.destRange);
    expect(ranges).toContain('198.51.100.10/32');
    expect(ranges).not.toContain('203.0.113.128/25');
    expect(ranges).not.toContain('0.0.0.0/0');
  });

  it('names a missing peering and missing parameters', async () => {
    await expectApiError(c.networks.listPeeringRoutes({ ...peering, peeringName: 'nope' }), 404, /nope/);
    await expectApiError(
      c.networks.updatePeering({
        project: PROJECT,
        network: 'vpc-a',
        networksUpdatePeeringRequestResource: { networkPeering: { name: 'nope', exportCustomRoutes: true } },
      }),
      400,
      /does not exist/,
    );
  });
});

describe('regional MIG', () => {
  it('recreate keeps the name, passes through RECREATING and STOPPING, gets a new id, and writes first/last audit logs', async () => {
    const [before] = await c.migs.listManagedInstances(MIG);
    const victim = before.find((m) => m.name === 'nat-bbbb')!;
    const published = emu.events.published.length;
    emu.settings.instanceStepMs = 500; // wide enough that a loaded machine still reads the VM mid-recreate
    const [during] = await (async () => {
      await c.wait(
        await c.migs.recreateInstances({
          ...MIG,
          regionInstanceGroupManagersRecreateRequestResource: { instances: [victim.instance!] },
        }),
      );
      return c.migs.listManagedInstances(MIG);
    })().finally(() => (emu.settings.instanceStepMs = 40));
    expect(during.find((m) => m.name === 'nat-bbbb')!.currentAction).toBe('RECREATING');
    const back = await waitFor('recreated instance back', async () => {
      const [now] = await c.migs.listManagedInstances(MIG);
      const m = now.find((x) => x.name === 'nat-bbbb');
      return m?.currentAction === 'NONE' && m.instanceStatus === 'RUNNING' ? m : false;
    });
    expect(back.id).not.toBe(victim.id);
    const audit = emu.events.published
      .slice(published)
      .map((e) => `${e.extensions?.methodname}:${JSON.stringify((e.data as { operation: object }).operation)}`);
    for (const method of [
      'v1.compute.instances.delete',
      'v1.compute.instances.insert',
      'v1.compute.regionInstanceGroupManagers.recreateInstances',
    ]) {
      expect(audit.some((a) => a.startsWith(`${method}:`) && a.includes('"first":true'))).toBe(true);
      expect(audit.some((a) => a.startsWith(`${method}:`) && a.includes('"last":true'))).toBe(true);
    }
  });

  it('resize adds and removes instances and updates targetSize', async () => {
    await c.wait(await c.migs.resize({ ...MIG, size: 3 }));
    await waitFor('three running instances', async () => {
      const [now] = await c.migs.listManagedInstances(MIG);
      return now.length === 3 && now.every((m) => m.currentAction === 'NONE');
    });
    await c.wait(await c.migs.resize({ ...MIG, size: 1 }));
    await waitFor('one instance left', async () => (await c.migs.listManagedInstances(MIG))[0].length === 1);
    const [mig] = await c.migs.get(MIG);
    expect(mig.targetSize).toBe(1);
    expect(mig.status?.isStable).toBe(true);
  });

  it('answers 404 for an unknown MIG and 400 for a non-member instance', async () => {
    await expectApiError(c.migs.get({ ...MIG, instanceGroupManager: 'other' }), 404, /other/);
    await expectApiError(
      c.migs.recreateInstances({
        ...MIG,
        regionInstanceGroupManagersRecreateRequestResource: { instances: [natUrl('stranger')] },
      }),
      400,
      /not a member/,
    );
  });
});

describe('instances.aggregatedList', () => {
  it('lists every zone of the project through the official client, filtered and paged as one list', async () => {
    const byZone = async (request: Record<string, unknown> = {}) => {
      const found: Record<string, string[]> = {};
      for await (const [scope, list] of c.instances.aggregatedListAsync({ project: PROJECT, ...request }))
        if (list.instances?.length) found[scope] = list.instances.map((i) => i.name!).sort();
      return found;
    };
    // The truth: each zone's own list.
    const perZone: Record<string, string[]> = {};
    for (const zone of ['asia-northeast1-a', 'asia-northeast1-b', 'asia-northeast1-c']) {
      const [list] = await c.instances.list({ project: PROJECT, zone });
      if (list.length) perZone[`zones/${zone}`] = list.map((i) => i.name!).sort();
    }
    expect(Object.keys(perZone).length).toBeGreaterThan(0);
    const all = await byZone();
    expect(all).toEqual(perZone);
    // Paged one instance at a time, the client still sees every instance once.
    expect(await byZone({ maxResults: 1 })).toEqual(all);
    const one = Object.values(all).flat()[0]!;
    expect(Object.values(await byZone({ filter: `name = "${one}"` })).flat()).toEqual([one]);
  });

  it('is checked as compute.instances.list on the project: a caller without it is refused', async () => {
    const token = emu.iam.mintToken('serviceAccount:nobody@netreflex-demo.iam.gserviceaccount.com').accessToken;
    const res = await fetch(`${emu.url}/compute/v1/projects/${PROJECT}/aggregated/instances`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toContain(`compute.instances.list`);
  });
});
