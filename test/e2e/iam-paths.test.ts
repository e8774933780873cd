/**
 * The paths of natRoutes, natRoutesSync and peeringRanges that the everyday end-to-end tests do
 * not take — an insert whose answer was lost (the retry meets 409 and reads what it made), a NAT VM
 * gone from the MIG (instances.get answers 404, its routes are deleted), the internal load balancer
 * as next hop — run as the deployed functions, each as its own service account under iam.tf's roles. So the
 * permissions these paths need are held to real calls (test/iam/usage.test.ts): a role without
 * one fails here, a role keeping one no path needs fails there.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { spawnFunction, type FunctionProcess } from '../../local/functions-host.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';

const MIG = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };
const ILB_ENV = { NETREFLEX_ROUTE_MODE: 'ilb', NETREFLEX_ILB_FORWARDING_RULE: SAMPLE.nat.ilb };
const ILB = `projects/${PROJECT}/regions/${REGION}/forwardingRules/${SAMPLE.nat.ilb}`;

async function ownedRoutes(c: ComputeClients) {
  const [routes] = await c.routes.list({ project: PROJECT });
  return routes.filter((r) => r.description?.startsWith('netreflex:nat-routes'));
}

/** Every destination has a route to each of `hops` (resource paths), and nothing else is ours. */
async function routesTo(c: ComputeClients, hops: readonly string[]) {
  const routes = await ownedRoutes(c);
  const hop = (r: (typeof routes)[number]) =>
    (r.nextHopInstance ?? r.nextHopIlb ?? '').replace(/^https:\/\/www\.googleapis\.com\/compute\/v1\//, '');
  const ok = routes.length === SAMPLE.destinations.length * hops.length && routes.every((r) => hops.includes(hop(r)));
  return ok ? routes : false;
}

async function instancePaths(c: ComputeClients): Promise<string[]> {
  const [mis] = await c.migs.listManagedInstances(MIG);
  return mis
    .filter((m) => m.instanceStatus === 'RUNNING' && m.currentAction === 'NONE')
    .map((m) => m.instance!.replace(/^https:\/\/www\.googleapis\.com\/compute\/v1\//, ''));
}

/** The checks the local Google Cloud made for `email`, as `permission allowed`. */
const checked = (stack: Stack, email: string) =>
  stack.emulator.iamChecks
    .filter((x) => x.member === `serviceAccount:${email}`)
    .map((x) => `${x.permission} ${x.allowed}`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function sync(fn: FunctionProcess): Promise<number> {
  return (await fetch(fn.url, { method: 'POST' })).status;
}

async function tick(fn: FunctionProcess, id: string): Promise<number> {
  const res = await fetch(fn.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-id': id,
      'ce-source': `//pubsub.googleapis.com/projects/${PROJECT}/topics/netreflex-tick`,
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
    },
    body: JSON.stringify({ message: { data: Buffer.from('{"kind":"tick"}').toString('base64'), messageId: id } }),
  });
  return res.status;
}

describe('natRoutesSync as netreflex-nat-routes-sync', () => {
  let stack: Stack;
  let c: ComputeClients;
  let email: string;

  beforeAll(async () => {
    stack = await startStack({
      functions: ['natRoutesSync'],
      tickMs: 0,
      emulator: { natInstances: ['nat-p1a1', 'nat-p2b2'], settings: { operationLatencyMs: 5, instanceStepMs: 10 } },
    });
    c = computeClients(stack.emulator.port);
    email = stack.identity('natRoutesSync').email;
  }, 60_000);
  afterAll(() => stack?.stop());

  it('an insert whose answer was lost: the retry meets 409 and reads the route it made', async () => {
    await stack.emulator.faults.failNext('compute.routes.insert', 1, 'lost-response');
    expect(await sync(stack.functions.get('natRoutesSync')!)).toBe(200);
    await waitFor('a route to each NAT VM per destination', async () => routesTo(c, await instancePaths(c)));
    expect(checked(stack, email)).toContain('compute.routes.get true');
  });

  it('a NAT VM gone from the MIG: Compute says it no longer exists, and its routes go', async () => {
    const [gone, stays] = await instancePaths(c);
    await c.wait(
      await c.migs.deleteInstances({
        ...MIG,
        regionInstanceGroupManagersDeleteInstancesRequestResource: {
          instances: [`https://www.googleapis.com/compute/v1/${gone}`],
        },
      }),
    );
    await waitFor(
      'the MIG down to one VM',
      async () => (await instancePaths(c)).length === 1 && (await c.migs.listManagedInstances(MIG))[0].length === 1,
    );
    expect(await sync(stack.functions.get('natRoutesSync')!)).toBe(200);
    await waitFor('routes only to the remaining VM', () => routesTo(c, [stays!]));
    expect(checked(stack, email)).toEqual(
      expect.arrayContaining(['compute.instances.get true', 'compute.routes.delete true']),
    );
  });

  it('ilb mode: one route per destination to the load balancer, after reading its health', async () => {
    const fn = await spawnFunction({
      target: 'natRoutesSync',
      signatureType: 'http',
      port: await freePort(),
      env: { ...stack.env, ...ILB_ENV },
      identity: stack.identity('natRoutesSync'),
    });
    try {
      expect(await sync(fn)).toBe(200);
      await waitFor('the routes to the load balancer', () => routesTo(c, [ILB]));
    } finally {
      await fn.stop();
    }
    expect(checked(stack, email)).toEqual(
      expect.arrayContaining([
        'compute.forwardingRules.get true',
        'compute.regionBackendServices.get true',
        'compute.forwardingRules.use true',
      ]),
    );
    expect(checked(stack, email).filter((x) => x.endsWith('false'))).toEqual([]);
  });
});

describe('natRoutes as netreflex-nat-routes', () => {
  let stack: Stack;
  let c: ComputeClients;
  let email: string;

  beforeAll(async () => {
    stack = await startStack({
      functions: ['natRoutes'],
      tickMs: 0,
      emulator: { natInstances: ['nat-q1a1', 'nat-q2b2'], settings: { operationLatencyMs: 5, instanceStepMs: 10 } },
    });
    c = computeClients(stack.emulator.port);
    email = stack.identity('natRoutes').email;
  }, 60_000);
  afterAll(() => stack?.stop());

  it('an insert whose answer was lost: the retry meets 409 and reads the route it made', async () => {
    await stack.emulator.faults.failNext('compute.routes.insert', 1, 'lost-response');
    expect(await tick(stack.functions.get('natRoutes')!, 'lost-1')).toBeLessThan(300);
    await waitFor('a route to each NAT VM per destination', async () => routesTo(c, await instancePaths(c)));
    expect(checked(stack, email)).toContain('compute.routes.get true');
  });

  it('ilb mode: one route per destination to the load balancer, after reading its health', async () => {
    const fn = await spawnFunction({
      target: 'natRoutes',
      signatureType: 'cloudevent',
      port: await freePort(),
      env: { ...stack.env, ...ILB_ENV, NETREFLEX_RESULT_TOPIC: 'netreflex-route-results' },
      identity: stack.identity('natRoutes'),
    });
    try {
      expect(await tick(fn, 'ilb-1')).toBeLessThan(300);
      await waitFor('the routes to the load balancer', () => routesTo(c, [ILB]));
    } finally {
      await fn.stop();
    }
    expect(checked(stack, email)).toEqual(
      expect.arrayContaining([
        'compute.forwardingRules.get true',
        'compute.regionBackendServices.get true',
        'compute.forwardingRules.use true',
      ]),
    );
    expect(checked(stack, email).filter((x) => x.endsWith('false'))).toEqual([]);
  });
});

describe('peeringRanges as netreflex-peering-ranges', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      functions: ['peeringRanges'],
      tickMs: 0,
      env: { NETREFLEX_LOG_LEVEL: 'warn' },
      emulator: { natInstances: ['nat-r1a1', 'nat-r2b2'], settings: { operationLatencyMs: 5, instanceStepMs: 10 } },
    });
  }, 60_000);
  afterAll(() => stack?.stop());

  it('a range insert whose answer was lost: the retry meets 409 and reads the range it made', async () => {
    await stack.emulator.faults.failNext('compute.globalAddresses.insert', 1, 'lost-response');
    const res = await fetch(stack.functions.get('peeringRanges')!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parallelJobs: 40, nodesPerJob: 8 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', allocated: [{ cidr: '10.99.0.0/16' }], verified: true });
    expect(checked(stack, stack.identity('peeringRanges').email)).toContain('compute.globalAddresses.get true');
  });
});
