/**
 * `netreflex status` against the local stack: every link OK once the routes are synced and the
 * egress IP is allowlisted (set up through the official clients, as an operator would), and the
 * broken links named after a NAT VM is stopped.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { startStack, type Stack } from '../../emulator/stack.js';
import { SAMPLE } from '../../emulator/topology.js';
import { statusCommand } from '../../cli/commands/status.js';
import { cliEnv } from '../../cli/env.js';
import type { StatusReport } from '../../shared/status/types.js';
import { computeClients, PROJECT, REGION, type ComputeClients } from '../helpers/compute.js';

let stack: Stack;
let c: ComputeClients;

async function status(): Promise<StatusReport> {
  const result = await statusCommand(cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url }), { json: true });
  return JSON.parse(result.output) as StatusReport;
}

const stateOf = (r: StatusReport) => Object.fromEntries(r.links.map((l) => [l.id, l.state]));

beforeAll(async () => {
  stack = await startStack({ functions: ['natRoutesSync'], emulator: { natInstances: ['nat-s1', 'nat-s2'], settings: { operationLatencyMs: 20, instanceStepMs: 40 } } });
  c = computeClients(stack.emulator.port);
  const policies = new compute.SecurityPoliciesClient({ apiEndpoint: '127.0.0.1', port: stack.emulator.port, protocol: 'http', authClient: new PassThroughClient() } as unknown as ConstructorParameters<typeof compute.SecurityPoliciesClient>[0]);
  await c.wait(await policies.addRule({ project: PROJECT, securityPolicy: SAMPLE.armor.policy, securityPolicyRuleResource: { priority: 1000, action: 'allow', match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/28'] } } } }));
  const sync = await fetch(stack.functions.get('natRoutesSync')!.url, { method: 'POST' });
  expect(sync.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('netreflex status', () => {
  it('shows every link OK on the synced sample topology', async () => {
    const report = await status();
    expect(stateOf(report)).toEqual({ 'psa-ranges': 'ok', 'peering-export': 'ok', routes: 'ok', 'nat-vms': 'ok', 'nat-ips': 'ok', allowlists: 'ok' });
    expect(report.ok).toBe(true);
    expect(report.links.find((l) => l.id === 'allowlists')!.details).toEqual(['inference-policy: 203.0.113.5 allowed by rule 1000 (allow)']);
  });

  it('runs as the CLI, readable in a terminal, exit code 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/netreflex.js', 'status'], { cwd: `${import.meta.dirname}/../..`, env: { ...process.env, NETREFLEX_EMULATOR_HOST: stack.emulator.url } });
    expect(stdout).toMatch(/egress path OK/);
    expect(stdout).toMatch(/6\. \[OK {4}\] Allowlists \(Cloud Armor\): 1 IP\(s\) allowed by 1 policy/);
  }, 20_000);

  it('flags the routes and the NAT VMs after a NAT instance is stopped, naming the instance', async () => {

    const z = await zoneOf('nat-s1');
    await c.wait(await c.instances.stop({ project: PROJECT, zone: z, instance: 'nat-s1' }));
    const report = await status();
    expect(stateOf(report)).toMatchObject({ routes: 'broken', 'nat-vms': 'broken', 'nat-ips': 'ok', allowlists: 'ok', 'psa-ranges': 'ok' });
    expect(report.ok).toBe(false);
    expect(report.links.find((l) => l.id === 'routes')!.reason).toMatch(/→ nat-s1: next hop is (STOPPING|TERMINATED)/);
    expect(report.links.find((l) => l.id === 'nat-vms')!.reason).toMatch(/1 of 2 NAT VM\(s\) not healthy \(nat-s1\); egress continues on the others/);
    const cli = await statusCommand(cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url }));
    expect(cli.exitCode).toBe(1);
    expect(cli.output).toMatch(/\[BROKEN\] Routes to the destinations/);
  });
});

async function zoneOf(name: string): Promise<string> {
  const [mis] = await c.migs.listManagedInstances({ project: PROJECT, region: REGION, instanceGroupManager: SAMPLE.nat.mig });
  return mis.find((m) => m.name === name)!.instance!.split('/zones/')[1]!.split('/')[0]!;
}
