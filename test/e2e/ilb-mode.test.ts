/**
 * The README's pipeline in ilb mode: the whole local stack (every function, as Terraform deploys
 * them with route_mode = "ilb": NETREFLEX_ROUTE_MODE=ilb, NETREFLEX_ILB_FORWARDING_RULE=nat-ilb),
 * the pipeline block run as the README says it (examples/run-pipeline.ts through the official
 * Workflows client, then `netreflex status` as the CLI), and `netreflex status` on what only ilb
 * mode can show: a dead backend the load balancer routes around (routes OK, the NAT VM BROKEN) and
 * a load balancer with no healthy backend (routes BROKEN, naming it, with the fix).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { statusCommand, type StatusJson } from '../../cli/commands/status.js';
import { cliEnv } from '../../cli/env.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const ILB_PATH = `projects/${PROJECT}/regions/${REGION}/forwardingRules/${SAMPLE.nat.ilb}`;
const GROUP = `https://www.googleapis.com/compute/v1/projects/${PROJECT}/regions/${REGION}/instanceGroups/${SAMPLE.nat.mig}`;
const MIG = { project: PROJECT, region: REGION, name: SAMPLE.nat.mig };

let stack: Stack;
let c: ComputeClients;

async function status(): Promise<StatusJson> {
  const result = await statusCommand(
    await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url, NETREFLEX_ROUTE_MODE: 'ilb' }),
    { json: true },
  );
  return JSON.parse(result.output) as StatusJson;
}
const link = (s: StatusJson, id: string) => s.links.find((l) => l.id === id)!;
const backendStates = async () => {
  const [res] = await c.backendServices.getHealth({
    project: PROJECT,
    region: REGION,
    backendService: SAMPLE.nat.ilb,
    resourceGroupReferenceResource: { group: GROUP },
  });
  return (res.healthStatus ?? []).map((h) => h.healthState);
};

beforeAll(async () => {
  stack = await startStack({
    tickMs: 0,
    env: { NETREFLEX_ROUTE_MODE: 'ilb', NETREFLEX_ILB_FORWARDING_RULE: SAMPLE.nat.ilb },
    emulator: {
      natInstances: ['nat-l1', 'nat-l2'],
      settings: {
        operationLatencyMs: 20,
        instanceStepMs: 50,
        pipelineStepMs: 20,
        pipelineRunMs: 200,
        healthCheckSecondMs: 10,
      },
    },
  });
  stack.emulator.workflows.timeScale = 0.01;
  c = computeClients(stack.emulator.port);
  // As after npm start's first tick: natRoutes has built its routes and armorAllowlist applied the sample allowlist.
  stack.emulator.topics.publish(`projects/${PROJECT}/topics/netreflex-tick`, [{ data: '{}' }]);
  await stack.emulator.events.idle();
  await waitFor(
    'the sample allowlist in force and the routes built',
    async () => {
      const s = await status();
      return link(s, 'allowlists').state === 'ok' && link(s, 'routes').state === 'ok';
    },
    30_000,
    200,
  );
}, 90_000);

afterAll(() => stack?.stop());

describe('ilb mode end to end', () => {
  it("runs the README's pipeline block: the run succeeds with one route per destination to the load balancer, and status is all OK", async () => {
    const env = { ...process.env, NETREFLEX_EMULATOR_HOST: stack.emulator.url, NETREFLEX_ROUTE_MODE: 'ilb' };
    const pipeline = await run('npx', ['tsx', 'examples/run-pipeline.ts', '40', '8'], {
      env,
      cwd: root,
      timeout: 90_000,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`run-pipeline failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    expect(pipeline.stdout).toMatch(/SUCCEEDED/);
    const routes = stack.emulator.compute.store
      .list(`projects/${PROJECT}/global/routes`)
      .filter((r) => (SAMPLE.destinations as readonly string[]).includes(String(r.destRange)));
    expect(routes.map((r) => String(r.nextHopIlb ?? r.nextHopInstance))).toEqual(
      SAMPLE.destinations.map(() => expect.stringMatching(new RegExp(`${ILB_PATH}$`))),
    );
    const cli = await run(process.execPath, ['bin/netreflex.js', 'status'], { env, cwd: root, timeout: 30_000 });
    expect(cli.stdout).toMatch(/egress path OK/);
    expect(cli.stdout).toMatch(/Routes to the destinations: .*load balancer nat-ilb: 2 of 2 backend\(s\) healthy/);
  }, 180_000);

  it('a stopped NAT VM: the load balancer routes around it (routes OK once its probes fail), the NAT VM link is BROKEN naming it', async () => {
    const victim = stack.emulator.migs.list(MIG)[0]!;
    await c.wait(await c.instances.stop({ project: PROJECT, zone: victim.zone, instance: victim.name }));
    await waitFor(
      'the load balancer to mark it UNHEALTHY',
      async () => (await backendStates()).includes('UNHEALTHY'),
      20_000,
      20,
    );
    const s = await status();
    expect(link(s, 'routes')).toMatchObject({
      state: 'ok',
      reason: expect.stringMatching(/load balancer nat-ilb: 1 of 2 backend\(s\) healthy/),
    });
    expect(link(s, 'routes').details).toContain(`nat-ilb backend ${victim.name}: UNHEALTHY`);
    expect(link(s, 'nat-vms')).toMatchObject({
      state: 'broken',
      reason: expect.stringMatching(
        new RegExp(`1 of 2 NAT VM\\(s\\) not healthy \\(${victim.name}\\); egress continues on the others`),
      ),
    });
    await c.wait(await c.instances.start({ project: PROJECT, zone: victim.zone, instance: victim.name }));
    await waitFor(
      'both backends healthy again',
      async () => (await backendStates()).every((h) => h === 'HEALTHY'),
      20_000,
      20,
    );
  });

  it('no healthy backend: routes BROKEN naming the load balancer, with the fix, exit 1', async () => {
    const names = stack.emulator.migs.list(MIG).map((m) => m.name);
    for (const n of names) stack.emulator.migs.setHealth(MIG, n, 'UNHEALTHY');
    try {
      await waitFor(
        'every backend UNHEALTHY',
        async () => (await backendStates()).every((h) => h === 'UNHEALTHY'),
        20_000,
        20,
      );
      const s = await status();
      expect(s.exitCode).toBe(1);
      expect(link(s, 'routes')).toMatchObject({
        state: 'broken',
        reason: expect.stringMatching(/load balancer nat-ilb has no healthy backend \(2 UNHEALTHY\)/),
        fix: expect.stringMatching(/make a NAT VM healthy again.*the routes need no change/),
      });
    } finally {
      for (const n of names) stack.emulator.migs.setHealth(MIG, n, 'HEALTHY');
    }
  });
});
