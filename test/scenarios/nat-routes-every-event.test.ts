/**
 * Every event Google sends about the NAT MIG and its VMs wakes natRoutes, with the safety-net tick
 * switched off so that events alone must do it: stopping, starting, suspending, resuming,
 * resetting, deleting, recreating and resizing NAT VMs, and the group's createInstances,
 * abandonInstances and a proactive setInstanceTemplate rollout, with the official
 * @google-cloud/compute client (v1, and v1beta for a direct `beta.` call) move the routes within
 * seconds — each case also checks that a reconcile served that very method's event. The MIG's own
 * VM changes arrive named by project number (and here as `beta.` calls), and natRoutes follows
 * them too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import compute from '@google-cloud/compute';
import { clientOptions, computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';
import {
  callsSince,
  convergenceProblem,
  eligibleUrls,
  MIG,
  ownedRoutes,
  routeCalls,
  ROUTES_COL,
} from './nat-support.js';
import { loadNatRoutesConfig, type NatRoutesConfig } from '../../shared/config/nat-routes.js';
import { HOLD_MARKER, ownerMarker } from '../../shared/plan/routes.js';
import { migPath } from '../../shared/gcp/paths.js';

let stack: Stack;
let c: ComputeClients;
let cfg: NatRoutesConfig;
const lines: string[] = [];
const MIG_REQUEST = { project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig };
const nameOf = (r: Record<string, unknown>) => String(r.name);
/** Waits for a reconcile (not an ignored event) that served an event matching `method`, logged after line `from`. */
const served = (method: RegExp, from: number) =>
  waitFor(
    `a reconcile serving ${method.source}`,
    async () => lines.slice(from).some((l) => /"message":"natRoutes: (ok|degraded|failed):/.test(l) && method.test(l)),
    20_000,
    50,
  );
/** Routes to the VM called `name`, but for those named in `except`. */
const routesTo = (name: string, except: readonly string[] = []) =>
  stack.emulator.store
    .list(ROUTES_COL)
    .filter((r) => String(r.nextHopInstance ?? '').endsWith(`/instances/${name}`) && !except.includes(nameOf(r)));

/** Routes right for `instances` eligible NAT VMs (emulator view), within the seconds events take. */
const converged = (what: string, instances: number) =>
  waitFor(what, async () => convergenceProblem(stack.emulator, cfg, instances) === undefined, 20_000, 50);
const routeTo = (name: string) =>
  stack.emulator.store.list(ROUTES_COL).some((r) => String(r.nextHopInstance ?? '').endsWith(`/instances/${name}`));

async function vm(name: string) {
  const [mis] = await c.migs.listManagedInstances(MIG_REQUEST);
  const m = mis.find((x) => x.name === name)!;
  return { project: PROJECT, zone: m.instance!.split('/zones/')[1]!.split('/')[0]!, instance: name };
}

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutes'],
    tickMs: 0,
    onLine: (_t, line) => void lines.push(line),
    emulator: { natInstances: ['nat-a1b2', 'nat-c3d4'], settings: { operationLatencyMs: 20, instanceStepMs: 60 } },
  });
  c = computeClients(stack.emulator.port);
  cfg = loadNatRoutesConfig(stack.env);
  stack.emulator.topics.publish(`projects/${PROJECT}/topics/netreflex-tick`, [{ data: '{"kind":"tick"}' }]);
  await converged('the first routes', 2);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('natRoutes follows every event, with no tick', () => {
  it('stopping a NAT VM removes its routes; starting it brings them back', async () => {
    await c.wait(await c.instances.stop(await vm('nat-a1b2')));
    await waitFor(
      'routes to the stopped VM gone',
      async () => !routeTo('nat-a1b2') && convergenceProblem(stack.emulator, cfg, 1) === undefined,
      20_000,
      50,
    );
    await c.wait(await c.instances.start(await vm('nat-a1b2')));
    await converged('routes back after the start', 2);
  });

  it("deleting a NAT VM behind the MIG's back: routes leave, and return when the MIG has restored it", async () => {
    const deletesBefore = stack.emulator.router.calls.get('compute.routes.delete') ?? 0;
    await c.wait(await c.instances.delete(await vm('nat-c3d4')));
    await waitFor(
      'a route removed',
      async () => (stack.emulator.router.calls.get('compute.routes.delete') ?? 0) > deletesBefore,
      20_000,
      50,
    );
    await converged('routes to the restored VM', 2);
  });

  it('recreating a NAT VM through the MIG moves its routes to the new instance', async () => {
    const v = await vm('nat-a1b2');
    await c.wait(
      await c.migs.recreateInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersRecreateRequestResource: { instances: [`zones/${v.zone}/instances/${v.instance}`] },
      }),
    );
    await waitFor(
      'the recreated VM running again',
      async () => stack.emulator.migs.list(MIG).every((m) => m.currentAction === 'NONE' && m.health === 'HEALTHY'),
      20_000,
      50,
    );
    await converged('routes after the recreate', 2);
  });

  it("the MIG's own stopInstances takes a NAT VM's routes away; startInstances brings them back", async () => {
    const v = await vm('nat-c3d4');
    const url = `zones/${v.zone}/instances/${v.instance}`;
    await c.wait(
      await c.migs.stopInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersStopInstancesRequestResource: { instances: [url] },
      }),
    );
    await waitFor(
      'routes to the VM the group stopped gone',
      async () => !routeTo('nat-c3d4') && convergenceProblem(stack.emulator, cfg, 1) === undefined,
      20_000,
      50,
    );
    // The routes go as soon as the VM leaves RUNNING; startInstances takes only a stopped one.
    await waitFor(
      'the VM stopped',
      async () =>
        (await c.instances.get({ project: PROJECT, zone: v.zone, instance: v.instance }))[0].status === 'TERMINATED',
      20_000,
      50,
    );
    await c.wait(
      await c.migs.startInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersStartInstancesRequestResource: { instances: [url] },
      }),
    );
    await converged('routes back after the group started it', 2);
  });

  it('resizing the MIG up and down moves the routes', async () => {
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 3 }));
    await converged('routes for three NAT VMs', 3);
    await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 2 }));
    await converged('routes for two NAT VMs', 2);
  });

  it("the MIG's own VM events — project number, beta method names — wake natRoutes by themselves", async () => {
    stack.emulator.migs.auditVersion = 'beta';
    try {
      await c.wait(await c.migs.resize({ ...MIG_REQUEST, size: 3 }));
      await converged('routes for three NAT VMs', 3);
      const woke = new RegExp(`beta\\.compute\\.instances\\.insert on projects/${SAMPLE.projectNumber}/zones/`);
      await waitFor(
        "natRoutes reconciling on the MIG's own insert",
        async () => lines.some((l) => woke.test(l) && !/event ignored/.test(l)),
        20_000,
        50,
      );
    } finally {
      stack.emulator.migs.auditVersion = 'v1';
    }
    expect(
      stack.emulator.audit.entries.some(
        (e) =>
          e.protoPayload.authenticationInfo.principalEmail ===
          `${SAMPLE.projectNumber}@cloudservices.gserviceaccount.com`,
      ),
    ).toBe(true);
  });
  it('abandoning a NAT VM takes its routes away though the VM runs on; a marker copied onto a route to it is left alone', async () => {
    const [mis] = await c.migs.listManagedInstances(MIG_REQUEST);
    const victim = mis.at(-1)!;
    const members = eligibleUrls(stack.emulator).length;
    const v = await vm(victim.name!);
    expect(routesTo(v.instance)).not.toEqual([]);
    // someone copies netreflex's marker onto their own route to that VM: it fails the derived-name check
    const copied = {
      name: 'copied-to-nat-vm',
      network: 'global/networks/vpc-a',
      destRange: SAMPLE.destinations[0],
      priority: cfg.priority,
      nextHopInstance: victim.instance,
      description: `${ownerMarker(migPath(cfg))} dest=${SAMPLE.destinations[0]}`,
    };
    await c.wait(await c.routes.insert({ project: PROJECT, routeResource: copied }));
    const from = lines.length;
    await c.wait(
      await c.migs.abandonInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersAbandonInstancesRequestResource: {
          instances: [`zones/${v.zone}/instances/${v.instance}`],
        },
      }),
    );
    await waitFor(
      "netreflex's routes to the abandoned VM gone, the MIG's two VMs routed",
      async () =>
        routesTo(v.instance, [copied.name]).length === 0 &&
        eligibleUrls(stack.emulator).length === members - 1 &&
        ownedRoutes(stack.emulator, cfg).filter((r) => nameOf(r) !== copied.name).length ===
          (members - 1) * cfg.destinations.length,
      20_000,
      50,
    );
    expect((await c.instances.get(v))[0].status).toBe('RUNNING');
    expect(routesTo(v.instance).map(nameOf)).toEqual([copied.name]);
    await served(/compute\.regionInstanceGroupManagers\.abandonInstances on /, from);
    await waitFor(
      'the reconcile after the abandon, ok, naming the copy as a conflict',
      async () =>
        lines
          .slice(from)
          .some(
            (l) =>
              /natRoutes: ok: .*route copied-to-nat-vm carries netreflex's marker but is not netreflex's/.test(l) &&
              /abandonInstances/.test(l),
          ),
      20_000,
      50,
    );
    await c.wait(await c.routes.delete({ project: PROJECT, route: copied.name }));
    await c.wait(await c.instances.delete(v));
    await converged('the two VMs of the MIG routed, nothing else', 2);
  });
  it('suspending a NAT VM takes its routes away; resuming it brings them back', async () => {
    const v = await vm((await c.migs.listManagedInstances(MIG_REQUEST))[0][0]!.name!);
    const from = lines.length;
    await c.wait(await c.instances.suspend(v));
    await waitFor(
      'routes to the suspended VM gone',
      async () => !routeTo(v.instance) && convergenceProblem(stack.emulator, cfg, 1) === undefined,
      20_000,
      50,
    );
    // resume takes only a SUSPENDED VM (compute.proto Instances.Resume)
    await waitFor('the VM suspended', async () => (await c.instances.get(v))[0].status === 'SUSPENDED', 20_000, 50);
    await c.wait(await c.instances.resume(v));
    await converged('routes back after the resume', 2);
    await served(/v1\.compute\.instances\.suspend on /, from);
    await served(/v1\.compute\.instances\.resume on /, from);
  });

  it('resetting a NAT VM wakes natRoutes, which keeps its routes: the VM stays RUNNING through a reset', async () => {
    // What the resume before started (a late event, a hold marker) settles first: this test counts route calls.
    let seen = -1;
    await waitFor(
      'natRoutes quiet, no hold marker',
      async () => {
        const still = lines.length === seen;
        seen = lines.length;
        return still && !stack.emulator.store.list(ROUTES_COL).some((r) => String(r.description).includes(HOLD_MARKER));
      },
      20_000,
      1_000,
    );
    const v = await vm((await c.migs.listManagedInstances(MIG_REQUEST))[0][0]!.name!);
    const from = lines.length;
    const before = routeCalls(stack.emulator);
    await c.wait(await c.instances.reset(v));
    const woke = new RegExp(
      `v1\\.compute\\.instances\\.reset on projects/${PROJECT}/zones/${v.zone}/instances/${v.instance}`,
    );
    await waitFor(
      'natRoutes reconciling on the reset',
      async () => lines.slice(from).some((l) => woke.test(l) && /natRoutes: ok: \+0 -0 routes \(0 mutations/.test(l)),
      20_000,
      50,
    );
    expect(callsSince(stack.emulator, before).total).toBe(0);
    expect(convergenceProblem(stack.emulator, cfg, 2)).toBeUndefined();
  });

  it("the MIG's createInstances adds a NAT VM by name, and routes to it follow; deleteInstances takes them away", async () => {
    const from = lines.length;
    await c.wait(
      await c.migs.createInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersCreateInstancesRequestResource: { instances: [{ name: 'nat-made1' }] },
      }),
    );
    await converged('routes for the created VM too', 3);
    expect(routeTo('nat-made1')).toBe(true);
    await served(/compute\.regionInstanceGroupManagers\.createInstances on /, from);
    const v = await vm('nat-made1');
    await c.wait(
      await c.migs.deleteInstances({
        ...MIG_REQUEST,
        regionInstanceGroupManagersDeleteInstancesRequestResource: {
          instances: [`zones/${v.zone}/instances/nat-made1`],
        },
      }),
    );
    await waitFor(
      'routes to the deleted VM gone',
      async () => !routeTo('nat-made1') && convergenceProblem(stack.emulator, cfg, 2) === undefined,
      20_000,
      50,
    );
  });

  it('a new instance template rolled out proactively replaces every NAT VM, and the routes follow the new ones', async () => {
    const old = (await c.migs.listManagedInstances(MIG_REQUEST))[0].map((m) => m.name!);
    const from = lines.length;
    const [current] = await c.templates.get({ project: PROJECT, instanceTemplate: SAMPLE.nat.template });
    // a new boot disk needs REPLACE (mig-policy.ts); terraform-bootstrap/nat.tf's policy is PROACTIVE, SUBSTITUTE
    await c.wait(
      await c.templates.insert({
        project: PROJECT,
        instanceTemplateResource: {
          name: 'nat-template-2',
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
        ...MIG_REQUEST,
        regionInstanceGroupManagersSetTemplateRequestResource: {
          instanceTemplate: 'global/instanceTemplates/nat-template-2',
        },
      }),
    );
    await waitFor(
      'every NAT VM replaced, and routed instead of the old ones',
      async () => {
        const names = stack.emulator.migs.list(MIG).map((m) => m.name);
        return (
          names.length === 2 &&
          names.every((n) => !old.includes(n)) &&
          old.every((n) => !routeTo(n)) &&
          convergenceProblem(stack.emulator, cfg, 2) === undefined
        );
      },
      30_000,
      50,
    );
    await served(/compute\.regionInstanceGroupManagers\.setInstanceTemplate on /, from);
  });

  it('a direct beta.* call (the v1beta client) stopping and starting a NAT VM moves its routes like v1', async () => {
    const beta = new compute.v1beta.InstancesClient(clientOptions(stack.emulator.port));
    const v = await vm((await c.migs.listManagedInstances(MIG_REQUEST))[0][0]!.name!);
    const from = lines.length;
    await c.wait(await beta.stop(v));
    await waitFor(
      'routes to the VM stopped through beta gone',
      async () => !routeTo(v.instance) && convergenceProblem(stack.emulator, cfg, 1) === undefined,
      20_000,
      50,
    );
    await waitFor(
      'natRoutes reconciling on the beta stop',
      async () =>
        lines
          .slice(from)
          .some((l) => /beta\.compute\.instances\.stop on projects\//.test(l) && !/event ignored/.test(l)),
      20_000,
      50,
    );
    await waitFor('the VM stopped', async () => (await c.instances.get(v))[0].status === 'TERMINATED', 20_000, 50);
    await c.wait(await beta.start(v));
    await converged('routes back after the beta start', 2);
  });
});
