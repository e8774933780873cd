/**
 * A working destroy: natRoutes' routes and peeringRanges' ranges (made by the functions, unknown to
 * Terraform) keep the network from being deleted; `netreflex teardown` removes exactly those, so
 * once Terraform has removed its own resources the network goes. Played on the local Google Cloud:
 * what the seeded topology puts on VPC A stands for Terraform's resources.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { cliEnv } from '../../cli/env.js';
import { teardownCommand } from '../../cli/commands/teardown.js';
import { computeClients, PROJECT, REGION, waitFor, type ComputeClients } from '../helpers/compute.js';

let stack: Stack;
let c: ComputeClients;
const VPC_A = `projects/${PROJECT}/global/networks/${SAMPLE.vpcA.network}`;
/** Resource paths on VPC A at start: the Terraform-made part of the topology. */
let terraformMade: string[];

function usersOfVpcA(): string[] {
  const store = stack.emulator.store;
  const out: string[] = [];
  for (const col of store.collectionsMatching(
    new RegExp(
      `^projects/${PROJECT}/(global/(routes|firewalls|addresses)|regions/[^/]+/(subnetworks|addresses|forwardingRules)|zones/[^/]+/instances)$`,
    ),
  )) {
    for (const r of store.list(col)) {
      const nets = [
        r.network,
        ...((r.networkInterfaces as { network?: string }[] | undefined) ?? []).map((n) => n.network),
      ];
      if (nets.some((n) => typeof n === 'string' && n.endsWith(`/global/networks/${SAMPLE.vpcA.network}`)))
        out.push(`${col}/${r.name}`);
    }
  }
  return out.sort();
}

/**
 * What `terraform destroy` removes before the network: its own resources on it (the NAT MIG first,
 * so it does not recreate the VMs it loses); answers an undo for everything but the VMs.
 */
async function destroyTerraformMade(options: { keepVms?: boolean } = {}): Promise<() => void> {
  const vm = (path: string) => /\/instances\//.test(path);
  if (!options.keepVms) {
    const ref = { project: PROJECT, region: REGION, name: SAMPLE.nat.mig };
    stack.emulator.migs.abandonInstances(
      ref,
      stack.emulator.migs.list(ref).map((m) => m.name),
    );
    await waitFor('the MIG to let go of its VMs', async () => stack.emulator.migs.list(ref).length === 0);
  }
  const removed = terraformMade
    .filter((p) => !(options.keepVms && vm(p)))
    .map((path) => {
      const i = path.lastIndexOf('/');
      const [col, name] = [path.slice(0, i), path.slice(i + 1)];
      return { col, resource: stack.emulator.store.remove(col, name) };
    });
  return () => removed.forEach(({ col, resource }) => resource && stack.emulator.store.insert(col, resource));
}

async function deleteNetwork(): Promise<{ ok: boolean; error?: string }> {
  // The operation ends DONE either way; a refusal is its error (what Terraform reports as "Error waiting for Deleting Network").
  const op = (await c.wait(await c.networks.delete({ project: PROJECT, network: SAMPLE.vpcA.network }))) as {
    error?: { errors?: { code?: string; message?: string }[] } | null;
  };
  const failure = op.error?.errors?.[0];
  return failure ? { ok: false, error: `${failure.code}: ${failure.message}` } : { ok: true };
}

const env = () => cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url });

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutesSync', 'peeringRanges'],
    emulator: { natInstances: ['nat-t1', 'nat-t2'], settings: { operationLatencyMs: 10, instanceStepMs: 20 } },
  });
  c = computeClients(stack.emulator.port);
  terraformMade = usersOfVpcA();
  expect((await fetch(stack.functions.get('natRoutesSync')!.url, { method: 'POST' })).status).toBe(200);
  expect(
    (
      await fetch(stack.functions.get('peeringRanges')!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ parallelJobs: 40, nodesPerJob: 8 }),
      })
    ).status,
  ).toBe(200);
  // The new range's return path rolls out to the NAT VMs (a MIG update); let it finish, so the MIG
  // does not bring an instance back while the test plays terraform destroy.
  await waitFor(
    'the NAT MIG to settle',
    async () => {
      const [mis] = await c.migs.listManagedInstances({
        project: PROJECT,
        region: REGION,
        instanceGroupManager: SAMPLE.nat.mig,
      });
      return mis.length === 2 && mis.every((mi) => String(mi.currentAction) === 'NONE');
    },
    30_000,
  );
}, 60_000);
afterAll(() => stack?.stop());

// An explicitly ordered story on one stack: the dry run sees what the functions made, Terraform's
// removal leaves only that, --yes removes it, and the second teardown finds nothing left. The steps
// run in this order, never shuffled or concurrently; a stack per step would multiply this file's time.
describe('netreflex teardown', { sequential: true, shuffle: false }, () => {
  it('without --yes shows what the functions created and changes nothing (exit 4)', async () => {
    const before = usersOfVpcA();
    const dry = await teardownCommand(await env());
    expect(dry.exitCode).toBe(4);
    expect(dry.output).toMatch(/would remove \(run with --yes\) on vpc-a:/);
    expect(dry.output.match(/route netreflex-/g)).toHaveLength(4);
    expect(dry.output).toContain('range netreflex-psa-vpc-a-10-99-0-0-16 (peeringRanges)');
    expect(dry.output).toMatch(/connection: drop netreflex-psa-vpc-a-10-99-0-0-16; keep vertex-psa-range/);
    expect(usersOfVpcA()).toEqual(before);
  });

  it('those resources are what blocks deleting the network once Terraform removed its own', async () => {
    // Routes are checked first, so the NAT VMs (still there) do not hide what blocks.
    const undo = await destroyTerraformMade({ keepVms: true });
    const attempt = await deleteNetwork();
    undo();
    expect(attempt.ok).toBe(false);
    expect(attempt.error).toMatch(
      new RegExp(
        `The network resource '${VPC_A}' is already being used by 'projects/${PROJECT}/global/(routes/netreflex-|addresses/netreflex-psa-)`,
      ),
    );
  });

  it('--yes removes exactly them (a hand-made route is left alone and named), and the network can go', async () => {
    await c.wait(
      await c.routes.insert({
        project: PROJECT,
        routeResource: {
          name: 'hand-made',
          network: VPC_A,
          destRange: '192.0.2.0/24',
          nextHopGateway: `projects/${PROJECT}/global/gateways/default-internet-gateway`,
          priority: 1000,
        },
      }),
    );
    const result = await teardownCommand(await env(), { yes: true, json: true });
    const report = JSON.parse(result.output) as {
      exitCode: number;
      steps: { ok: boolean }[];
      remaining: { routes: string[]; addresses: string[] };
      plan: { foreign: string[] };
    };
    expect(result.exitCode).toBe(0);
    expect(report.steps.length).toBe(4 + 1 + 1);
    expect(report.steps.every((s) => s.ok)).toBe(true);
    expect(report.remaining).toMatchObject({ routes: [], addresses: [] });
    expect(report.plan.foreign).toEqual(['route hand-made']);
    expect(usersOfVpcA()).toEqual([...terraformMade, `projects/${PROJECT}/global/routes/hand-made`].sort());
    await destroyTerraformMade();
    const blocked = await deleteNetwork();
    expect(blocked.error).toMatch(/is already being used by 'projects\/netreflex-demo\/global\/routes\/hand-made'/);
    await c.wait(await c.routes.delete({ project: PROJECT, route: 'hand-made' }));
    expect(await deleteNetwork()).toEqual({ ok: true });
  });

  it('runs as the CLI: a second teardown finds nothing (exit 0)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/netreflex.js', 'teardown', '--yes'], {
      cwd: `${import.meta.dirname}/../..`,
      env: { ...process.env, NETREFLEX_EMULATOR_HOST: stack.emulator.url },
    });
    expect(stdout).toMatch(/nothing netreflex created is left on vpc-a/);
  }, 30_000);
});
