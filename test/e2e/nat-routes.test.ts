/**
 * natRoutes end to end: the real Functions Framework process, the local Google Cloud and its
 * event router; the test acts only through the official Compute client, as an operator would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';
import { SAMPLE } from '../../local/topology.js';

let stack: Stack;
let c: ComputeClients;

const MIG = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };

async function ownedRoutes() {
  const [routes] = await c.routes.list({ project: PROJECT });
  return routes.filter((r) => r.description?.startsWith('netreflex:nat-routes'));
}

async function healthyInstances() {
  const [mis] = await c.migs.listManagedInstances(MIG);
  return mis.filter((m) => m.instanceStatus === 'RUNNING' && m.currentAction === 'NONE');
}

/** Routes converged: one per destination × healthy instance, all pointing at healthy instances. */
async function converged(expectedInstances: number) {
  const healthy = await healthyInstances();
  if (healthy.length !== expectedInstances) return false;
  const routes = await ownedRoutes();
  const hops = new Set(healthy.map((m) => m.instance));
  const ok =
    routes.length === SAMPLE.destinations.length * expectedInstances &&
    routes.every((r) => hops.has(r.nextHopInstance!));
  return ok ? routes : false;
}

async function tick() {
  stack.emulator.topics.publish(`projects/${PROJECT}/topics/netreflex-tick`, [{ data: '{"kind":"tick"}' }]);
  await stack.emulator.events.idle();
}

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutes'],
    emulator: { natInstances: ['nat-a1b2', 'nat-c3d4'], settings: { operationLatencyMs: 20, instanceStepMs: 60 } },
  });
  c = computeClients(stack.emulator.port);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

// An explicitly ordered story on one stack: the first sync builds the routes the recreate, the resize
// and the repeated tick then start from. The steps run in this order, never shuffled or concurrently;
// a stack per step would multiply this file's time.
describe('natRoutes under the Functions Framework', { sequential: true, shuffle: false }, () => {
  it('builds one route per destination and NAT VM on the first sync, and exports them over the PSA peering', async () => {
    await tick();
    const routes = await waitFor('initial routes', () => converged(2));
    expect(routes.every((r) => !r.tags?.length && r.priority === 900)).toBe(true);
    const [peered] = await c.networks.listPeeringRoutes({
      project: PROJECT,
      network: 'vpc-a',
      peeringName: SAMPLE.psa.peering,
      region: REGION,
      direction: 'OUTGOING',
    });
    expect(peered.map((r) => r.destRange)).toEqual(expect.arrayContaining([...SAMPLE.destinations]));
  });

  it('rebuilds the routes when a NAT instance is recreated (same name, new id)', async () => {
    const before = await ownedRoutes();
    const [mis] = await c.migs.listManagedInstances(MIG);
    const victim = mis.find((m) => m.name === 'nat-a1b2')!;
    await c.wait(
      await c.migs.recreateInstances({
        ...MIG,
        regionInstanceGroupManagersRecreateRequestResource: { instances: [victim.instance!] },
      }),
    );
    await waitFor('routes to nat-a1b2 removed while it is recreated', async () =>
      (await ownedRoutes()).every((r) => !r.nextHopInstance!.endsWith('/nat-a1b2')),
    );
    const after = await waitFor('routes back on the recreated instance', () => converged(2));
    expect(after.map((r) => r.name).sort()).toEqual(before.map((r) => r.name).sort());
    const [newMis] = await c.migs.listManagedInstances(MIG);
    expect(newMis.find((m) => m.name === 'nat-a1b2')!.id).not.toBe(victim.id);
  });

  it('follows a resize 2 → 3 → 1', async () => {
    await c.wait(await c.migs.resize({ ...MIG, size: 3 }));
    await waitFor('routes for three instances', () => converged(3));
    await c.wait(await c.migs.resize({ ...MIG, size: 1 }));
    const routes = await waitFor('routes for one instance', () => converged(1));
    expect(routes).toHaveLength(SAMPLE.destinations.length);
  });

  it('leaves unowned and tagged routes alone and plans nothing on a repeated tick', async () => {
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: {
          name: 'onprem-by-hand',
          network: 'global/networks/vpc-a',
          destRange: '192.168.0.0/16',
          nextHopIp: '10.95.0.50',
          priority: 900,
        },
      }),
    );
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: {
          name: 'tagged-by-hand',
          network: 'global/networks/vpc-a',
          destRange: '198.51.100.10/32',
          nextHopIp: '10.95.0.51',
          tags: ['nat'],
          priority: 900,
        },
      }),
    );
    const mutationsBefore = ['compute.routes.insert', 'compute.routes.delete'].map(
      (m) => stack.emulator.router.calls.get(m) ?? 0,
    );
    await tick();
    await tick();
    const mutationsAfter = ['compute.routes.insert', 'compute.routes.delete'].map(
      (m) => stack.emulator.router.calls.get(m) ?? 0,
    );
    expect(mutationsAfter).toEqual(mutationsBefore);
    const [all] = await c.routes.list({ project: PROJECT });
    expect(all.map((r) => r.name)).toEqual(expect.arrayContaining(['onprem-by-hand', 'tagged-by-hand']));
  });
});

describe('natRoutes with bad input', () => {
  const computeCalls = () =>
    [...stack.emulator.router.calls].filter(([m]) => m.startsWith('compute.')).reduce((sum, [, n]) => sum + n, 0);
  const post = (
    type: string,
    data: unknown,
    source = '//cloudaudit.googleapis.com/projects/netreflex-demo/logs/activity',
  ) =>
    fetch(stack.functions.get('natRoutes')!.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-id': `bad-${Math.random()}`,
        'ce-source': source,
        'ce-specversion': '1.0',
        'ce-type': type,
      },
      body: JSON.stringify(data),
    });

  it.each([
    ['no data', 'google.cloud.audit.log.v1.written', {}, /without protoPayload/],
    ['the wrong type', 'com.example.unknown', { x: 1 }, /unsupported event type/],
    [
      'another MIG',
      'google.cloud.audit.log.v1.written',
      {
        protoPayload: {
          methodName: 'v1.compute.regionInstanceGroupManagers.resize',
          resourceName: 'projects/netreflex-demo/regions/asia-northeast1/instanceGroupManagers/other-mig',
        },
      },
      /not projects\/netreflex-demo\/regions\/asia-northeast1\/instanceGroupManagers\/nat-mig/,
    ],
    [
      'another region',
      'google.cloud.audit.log.v1.written',
      {
        protoPayload: {
          methodName: 'v1.compute.instances.insert',
          resourceName: 'projects/netreflex-demo/zones/us-central1-a/instances/nat-zz',
        },
      },
      /outside region/,
    ],
    [
      'a non-JSON Pub/Sub payload',
      'google.cloud.pubsub.topic.v1.messagePublished',
      { message: { data: Buffer.from('not json').toString('base64'), messageId: '9' } },
      /not a JSON object/,
    ],
  ])('acknowledges an event with %s: 2xx, one clear log line, no API call', async (_what, type, data, logLine) => {
    const fn = stack.functions.get('natRoutes')!;
    const before = computeCalls();
    const linesBefore = fn.output.length;
    const res = await post(type, data);
    expect(res.status).toBeLessThan(300);
    expect(computeCalls()).toBe(before);
    const lines = fn.output.slice(linesBefore).filter((l) => l.includes('event ignored'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ severity: 'INFO', message: expect.stringMatching(logLine) });
  });

  it('refuses to start with a bad variable, naming it', async () => {
    const { spawnFunction } = await import('../../local/functions-host.js');
    const err = await spawnFunction({
      target: 'natRoutes',
      signatureType: 'cloudevent',
      port: 0,
      env: { ...stack.env, NETREFLEX_DESTINATIONS: '198.51.100.10/33', NETREFLEX_ROUTE_PRIORITY: 'high' },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/exited with code 78/);
    expect(err?.message).toMatch(/NETREFLEX_DESTINATIONS/);
    expect(err?.message).toMatch(/NETREFLEX_ROUTE_PRIORITY/);
  });
});
