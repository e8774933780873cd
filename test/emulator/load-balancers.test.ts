/**
 * The local internal passthrough Network Load Balancer — health checks, regional backend services
 * with the NAT MIG as backend, INTERNAL forwarding rules, and routes whose next hop is one —
 * seen only through the official @google-cloud/compute clients, with the refusals Google gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { activeBackends, backendGroups, getBackendService, lbHealth } from '../../emulator/compute/backend-services.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';

let emu: Emulator;
let c: ComputeClients;
const BASE = `https://www.googleapis.com/compute/v1/projects/${PROJECT}`;
const GROUP = `${BASE}/regions/${REGION}/instanceGroups/${SAMPLE.nat.mig}`;
const ILB = `${BASE}/regions/${REGION}/forwardingRules/${SAMPLE.nat.ilb}`;
const MIG = { project: PROJECT, region: REGION, name: SAMPLE.nat.mig };

async function expectApiError(call: Promise<unknown>, code: number, message: RegExp) {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: number; message?: string } | undefined;
  expect(err, 'expected the call to fail').toBeDefined();
  expect(err!.code).toBe(code);
  expect(err!.message).toMatch(message);
}

const health = async () => {
  const [res] = await c.backendServices.getHealth({
    project: PROJECT,
    region: REGION,
    backendService: SAMPLE.nat.ilb,
    resourceGroupReferenceResource: { group: GROUP },
  });
  return Object.fromEntries((res.healthStatus ?? []).map((h) => [h.instance!.split('/').pop()!, h.healthState]));
};

beforeAll(async () => {
  emu = await startSampleEmulator({
    natInstances: ['nat-lb01', 'nat-lb02'],
    settings: { operationLatencyMs: 20, instanceStepMs: 30 },
  });
  c = computeClients(emu.port);
});
afterAll(() => emu.close());

describe('the seeded load balancer in front of the NAT MIG', () => {
  it('is an INTERNAL L3_DEFAULT forwarding rule on subnet A to a backend service over the MIG with its health check', async () => {
    const [rule] = await c.forwardingRules.get({ project: PROJECT, region: REGION, forwardingRule: SAMPLE.nat.ilb });
    expect(rule).toMatchObject({
      loadBalancingScheme: 'INTERNAL',
      IPProtocol: 'L3_DEFAULT',
      allPorts: true,
      IPAddress: SAMPLE.nat.ilbIp,
    });
    const [bs] = await c.backendServices.get({ project: PROJECT, region: REGION, backendService: SAMPLE.nat.ilb });
    expect(bs.backends?.map((b) => b.group)).toEqual([GROUP]);
    const [hc] = await c.healthChecks.get({ project: PROJECT, healthCheck: SAMPLE.nat.healthCheck });
    expect(bs.healthChecks).toEqual([hc.selfLink]);
    expect(hc).toMatchObject({ checkIntervalSec: 10, unhealthyThreshold: 3 });
  });

  it('getHealth follows the VMs: a stopped VM is UNHEALTHY, and then it alone is out of the active pool', async () => {
    expect(await health()).toEqual({ 'nat-lb01': 'HEALTHY', 'nat-lb02': 'HEALTHY' });
    const [inst] = await c.instances
      .get({ project: PROJECT, zone: `${REGION}-a`, instance: 'nat-lb01' })
      .catch(() => c.instances.get({ project: PROJECT, zone: `${REGION}-b`, instance: 'nat-lb01' }));
    await c.wait(
      await c.instances.stop({ project: PROJECT, zone: inst.zone!.split('/').pop()!, instance: 'nat-lb01' }),
    );
    await waitFor('nat-lb01 unhealthy for the load balancer', async () => (await health())['nat-lb01'] === 'UNHEALTHY');
    const bs = getBackendService(emu.compute, PROJECT, REGION, SAMPLE.nat.ilb);
    expect(activeBackends(backendGroups(emu.compute, emu.migs, bs)).instances.map((u) => u.split('/').pop())).toEqual([
      'nat-lb02',
    ]);
    await c.wait(
      await c.instances.start({ project: PROJECT, zone: inst.zone!.split('/').pop()!, instance: 'nat-lb01' }),
    );
    await waitFor('nat-lb01 running', async () =>
      emu.migs.managedInstances(MIG).some((m) => m.name === 'nat-lb01' && m.instanceStatus === 'RUNNING'),
    );
    emu.migs.setHealth(MIG, 'nat-lb01', 'HEALTHY'); // its health check passes again
    await waitFor('nat-lb01 healthy again', async () => (await health())['nat-lb01'] === 'HEALTHY');
  });

  it('a VM the MIG deletes leaves the group at once', async () => {
    emu.migs.resize(MIG, 3);
    await waitFor(
      'three healthy backends',
      async () => Object.values(await health()).filter((h) => h === 'HEALTHY').length === 3,
    );
    emu.migs.resize(MIG, 2);
    expect(Object.keys(await health())).toHaveLength(2);
  });
});

describe('activeBackends: which VMs new connections go to', () => {
  const g = (failover: boolean, ...members: [string, boolean][]) => ({
    group: failover ? 'backup' : 'primary',
    failover,
    members: members.map(([instance, healthy]) => ({ instance, healthy })),
  });

  it('healthy VMs only while one is healthy; every VM as a last resort when none is; nothing when told to drop', () => {
    expect(activeBackends([g(false, ['a', true], ['b', false])]).instances).toEqual(['a']);
    expect(activeBackends([g(false, ['a', false], ['b', false])])).toMatchObject({
      instances: ['a', 'b'],
      why: expect.stringMatching(/last resort/),
    });
    expect(activeBackends([g(false, ['a', false])], { dropTrafficIfUnhealthy: true }).instances).toEqual([]);
  });

  it('failover backends take over when the healthy share of primaries falls below the ratio', () => {
    const groups = [g(false, ['p1', true], ['p2', false], ['p3', false]), g(true, ['b1', true])];
    expect(activeBackends(groups).instances).toEqual(['p1']);
    expect(activeBackends(groups, { failoverRatio: 0.5 }).instances).toEqual(['b1']);
    expect(activeBackends([g(false, ['p1', false]), g(true, ['b1', false])]).instances).toEqual(['p1']);
  });
});

describe('creating a load balancer, and the refusals', () => {
  it('builds health check → backend service → forwarding rule, allocating the address from the subnet', async () => {
    await c.wait(
      await c.healthChecks.insert({
        project: PROJECT,
        healthCheckResource: { name: 'hc-2', type: 'TCP', tcpHealthCheck: { port: 22 } },
      }),
    );
    await c.wait(
      await c.backendServices.insert({
        project: PROJECT,
        region: REGION,
        backendServiceResource: {
          name: 'bs-2',
          loadBalancingScheme: 'INTERNAL',
          protocol: 'TCP',
          healthChecks: [`${BASE}/global/healthChecks/hc-2`],
          backends: [{ group: GROUP, balancingMode: 'CONNECTION' }],
          network: `${BASE}/global/networks/vpc-a`,
        },
      }),
    );
    await c.wait(
      await c.forwardingRules.insert({
        project: PROJECT,
        region: REGION,
        forwardingRuleResource: {
          name: 'fr-2',
          loadBalancingScheme: 'INTERNAL',
          IPProtocol: 'TCP',
          ports: ['22'],
          backendService: `${BASE}/regions/${REGION}/backendServices/bs-2`,
          subnetwork: `regions/${REGION}/subnetworks/subnet-a`,
        },
      }),
    );
    const [rule] = await c.forwardingRules.get({ project: PROJECT, region: REGION, forwardingRule: 'fr-2' });
    expect(rule.IPAddress).toMatch(/^10\.95\./);
    expect(rule.IPAddress).not.toBe(SAMPLE.nat.ilbIp);
    const [hc] = await c.healthChecks.get({ project: PROJECT, healthCheck: 'hc-2' });
    expect(hc).toMatchObject({ checkIntervalSec: 5, timeoutSec: 5, healthyThreshold: 2, unhealthyThreshold: 2 });
  });

  it('refuses bad health checks, backend services and forwarding rules (400)', async () => {
    const bs = (over: Record<string, unknown>) =>
      c.backendServices.insert({
        project: PROJECT,
        region: REGION,
        backendServiceResource: {
          name: 'bad-bs',
          loadBalancingScheme: 'INTERNAL',
          healthChecks: [`${BASE}/global/healthChecks/hc-2`],
          backends: [{ group: GROUP }],
          ...over,
        },
      });
    await expectApiError(
      c.healthChecks.insert({
        project: PROJECT,
        healthCheckResource: { name: 'bad-hc', type: 'TCP', httpHealthCheck: { port: 80 } },
      }),
      400,
      /tcpHealthCheck/,
    );
    await expectApiError(
      c.healthChecks.insert({
        project: PROJECT,
        healthCheckResource: {
          name: 'bad-hc',
          type: 'TCP',
          tcpHealthCheck: { port: 22 },
          checkIntervalSec: 5,
          timeoutSec: 10,
        },
      }),
      400,
      /timeoutSec/,
    );
    await expectApiError(
      bs({ healthChecks: [`${BASE}/global/healthChecks/hc-2`, `${BASE}/global/healthChecks/nat-health`] }),
      400,
      /at most one health check/,
    );
    await expectApiError(bs({ healthChecks: [] }), 400, /must have a health check/);
    await expectApiError(
      bs({ backends: [{ group: `regions/${REGION}/instanceGroups/${SAMPLE.nat.mig}` }] }),
      400,
      /fully-qualified URL/,
    );
    await expectApiError(bs({ loadBalancingScheme: 'EXTERNAL' }), 400, /loadBalancingScheme/);
    const fr = (over: Record<string, unknown>) =>
      c.forwardingRules.insert({
        project: PROJECT,
        region: REGION,
        forwardingRuleResource: {
          name: 'bad-fr',
          loadBalancingScheme: 'INTERNAL',
          backendService: `${BASE}/regions/${REGION}/backendServices/bs-2`,
          subnetwork: `regions/${REGION}/subnetworks/subnet-a`,
          ...over,
        },
      });
    await expectApiError(fr({ IPProtocol: 'L3_DEFAULT' }), 400, /allPorts/);
    await expectApiError(fr({ backendService: `${BASE}/regions/${REGION}/backendServices/nope` }), 400, /not found/);
    await expectApiError(fr({ subnetwork: undefined }), 400, /subnetwork/);
    await expectApiError(fr({ IPAddress: '10.97.0.9' }), 400, /not in subnetwork/);
  });

  it('refuses to delete what a load balancer still uses (400 resourceInUseByAnotherResource)', async () => {
    await expectApiError(
      c.backendServices.delete({ project: PROJECT, region: REGION, backendService: 'bs-2' }),
      400,
      /already being used by .*forwardingRules\/fr-2/,
    );
    await expectApiError(
      c.healthChecks.delete({ project: PROJECT, healthCheck: 'hc-2' }),
      400,
      /already being used by .*backendServices\/bs-2/,
    );
    await c.wait(await c.forwardingRules.delete({ project: PROJECT, region: REGION, forwardingRule: 'fr-2' }));
    await c.wait(await c.backendServices.delete({ project: PROJECT, region: REGION, backendService: 'bs-2' }));
    await c.wait(await c.healthChecks.delete({ project: PROJECT, healthCheck: 'hc-2' }));
  });
});

describe('routes with a load balancer as next hop', () => {
  const route = (over: Record<string, unknown>) => ({
    network: 'global/networks/vpc-a',
    destRange: '198.51.100.10/32',
    priority: 900,
    ...over,
  });

  it('takes the forwarding rule by URL or by IP, carries no warnings, and is exported over the PSA peering', async () => {
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: route({ name: 'ilb-by-url', nextHopIlb: `regions/${REGION}/forwardingRules/${SAMPLE.nat.ilb}` }),
      }),
    );
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: route({ name: 'ilb-by-ip', destRange: '198.51.100.64/27', nextHopIlb: SAMPLE.nat.ilbIp }),
      }),
    );
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: route({
          name: 'ilb-tagged',
          destRange: '198.51.100.128/26',
          nextHopIlb: ILB,
          tags: ['only-some'],
        }),
      }),
    );
    const [byUrl] = await c.routes.get({ project: PROJECT, route: 'ilb-by-url' });
    const [byIp] = await c.routes.get({ project: PROJECT, route: 'ilb-by-ip' });
    expect(byUrl.nextHopIlb).toBe(ILB);
    expect(byIp.nextHopIlb).toBe(SAMPLE.nat.ilbIp);
    expect(byUrl.warnings ?? []).toEqual([]);
    await c.wait(
      await c.networks.updatePeering({
        project: PROJECT,
        network: 'vpc-a',
        networksUpdatePeeringRequestResource: {
          networkPeering: { name: SAMPLE.psa.peering, exportCustomRoutes: true },
        },
      }),
    );
    const [sent] = await c.networks.listPeeringRoutes({
      project: PROJECT,
      network: 'vpc-a',
      peeringName: SAMPLE.psa.peering,
      region: REGION,
      direction: 'OUTGOING',
    });
    const statics = sent.filter((r) => r.type === 'STATIC_PEERING_ROUTE').map((r) => r.destRange);
    expect(statics).toEqual(expect.arrayContaining(['198.51.100.10/32', '198.51.100.64/27']));
    expect(statics).not.toContain('198.51.100.128/26');
  });

  it("refuses a next hop that is not an internal forwarding rule of the route's network", async () => {
    await expectApiError(
      c.routes.insert({
        project: PROJECT,
        routeResource: route({ name: 'ilb-none', nextHopIlb: `regions/${REGION}/forwardingRules/nope` }),
      }),
      400,
      /nextHopIlb.*not found/,
    );
    await expectApiError(
      c.routes.insert({ project: PROJECT, routeResource: route({ name: 'ilb-ip-none', nextHopIlb: '10.95.9.9' }) }),
      400,
      /nextHopIlb.*No internal passthrough forwarding rule/,
    );
    await expectApiError(
      c.routes.insert({
        project: PROJECT,
        routeResource: route({ name: 'ilb-other-net', network: 'global/networks/vpc-b', nextHopIlb: ILB }),
      }),
      400,
      /not the route's network 'vpc-b'/,
    );
  });
});

describe('the health check probes: the load balancer learns of a dead VM only after unhealthyThreshold failed probes', () => {
  /** An emulator whose probe timer never fires during the test: the test runs the probe seconds itself. */
  async function probed() {
    const e = await startSampleEmulator({
      natInstances: ['nat-p1', 'nat-p2'],
      settings: { operationLatencyMs: 5, instanceStepMs: 5, healthCheckSecondMs: 3_600_000 },
    });
    const service = getBackendService(e.compute, PROJECT, REGION, SAMPLE.nat.ilb);
    const pool = () =>
      activeBackends(backendGroups(e.compute, e.migs, service))
        .instances.map((u) => u.split('/').pop())
        .sort();
    const seconds = (n: number) => {
      for (let i = 0; i < n; i++) lbHealth(e.compute, e.migs).tickSecond();
    };
    return { e, pool, seconds };
  }

  it('a VM whose probes fail stays in the pool for 2 intervals, leaves at the 3rd failed probe, and returns after 2 good ones (nat.tf: every 10 s, 3 down, 2 up)', async () => {
    const { e, pool, seconds } = await probed();
    try {
      expect(pool()).toEqual(['nat-p1', 'nat-p2']);
      e.migs.setHealth(MIG, 'nat-p1', 'UNHEALTHY');
      seconds(29);
      expect(pool()).toEqual(['nat-p1', 'nat-p2']);
      seconds(1);
      expect(pool()).toEqual(['nat-p2']);
      e.migs.setHealth(MIG, 'nat-p1', 'HEALTHY');
      seconds(19);
      expect(pool()).toEqual(['nat-p2']);
      seconds(1);
      expect(pool()).toEqual(['nat-p1', 'nat-p2']);
    } finally {
      await e.close();
    }
  });

  it('a VM back before the threshold never left; a new VM waits for its good probes; a VM the MIG deletes leaves at once', async () => {
    const { e, pool, seconds } = await probed();
    try {
      e.migs.setHealth(MIG, 'nat-p1', 'UNHEALTHY');
      seconds(20);
      e.migs.setHealth(MIG, 'nat-p1', 'HEALTHY');
      seconds(40);
      expect(pool()).toEqual(['nat-p1', 'nat-p2']);
      e.migs.resize(MIG, 3);
      await waitFor(
        'the third VM healthy for its MIG',
        async () =>
          e.migs.list(MIG).length === 3 &&
          e.migs.list(MIG).every((m) => m.health === 'HEALTHY' && m.currentAction === 'NONE'),
      );
      const third = e.migs
        .list(MIG)
        .map((m) => m.name)
        .find((n) => !['nat-p1', 'nat-p2'].includes(n))!;
      expect(pool()).toEqual(['nat-p1', 'nat-p2']);
      seconds(20);
      expect(pool()).toEqual(['nat-p1', 'nat-p2', third].sort());
      e.migs.resize(MIG, 2);
      expect(pool()).toHaveLength(2);
    } finally {
      await e.close();
    }
  });

  it('on its own timer: a stopped VM is still HEALTHY for getHealth until at least 2 probe intervals have passed', async () => {
    const scale = 20; // one health-check second = 20 ms: 10 s interval = 200 ms
    const e = await startSampleEmulator({
      natInstances: ['nat-t1', 'nat-t2'],
      settings: { operationLatencyMs: 5, instanceStepMs: 5, healthCheckSecondMs: scale },
    });
    const cc = computeClients(e.port);
    const state = async () => {
      const [res] = await cc.backendServices.getHealth({
        project: PROJECT,
        region: REGION,
        backendService: SAMPLE.nat.ilb,
        resourceGroupReferenceResource: { group: GROUP },
      });
      return Object.fromEntries((res.healthStatus ?? []).map((h) => [h.instance!.split('/').pop()!, h.healthState]));
    };
    try {
      const zone = e.migs.list(MIG).find((m) => m.name === 'nat-t1')!.zone;
      const stopped = Date.now();
      await cc.wait(await cc.instances.stop({ project: PROJECT, zone, instance: 'nat-t1' }));
      await waitFor(
        'nat-t1 unhealthy for the load balancer',
        async () => (await state())['nat-t1'] === 'UNHEALTHY',
        20_000,
        10,
      );
      expect(Date.now() - stopped).toBeGreaterThanOrEqual(2 * 10 * scale);
      expect((await state())['nat-t2']).toBe('HEALTHY');
    } finally {
      await e.close();
    }
  });
});
