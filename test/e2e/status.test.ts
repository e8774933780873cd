/**
 * `netreflex status` against the local stack: every link OK once the routes are synced and the
 * egress IP is allowlisted (set up through the official clients, as an operator would); UNKNOWN
 * (exit 3, never OK) whenever any read it makes cannot be done — the API unreachable, a 403, a
 * persistent 500 — with the fix on every link; and the broken links named after a NAT VM is stopped.
 */
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { type Collect, statusCommand, watchStatus, type StatusJson } from '../../cli/commands/status.js';
import { collectStatus } from '../../shared/status/collect.js';
import { cliEnv } from '../../cli/env.js';
import type { StatusReport } from '../../shared/status/types.js';
import { googleListed } from '../../emulator/iam/permissions.js';
import { computeClients, PROJECT, REGION, type ComputeClients } from '../helpers/compute.js';
import { Transport } from '../../shared/gcp/transport.js';
import { loadNatRoutesConfig } from '../../shared/config/nat-routes.js';
import { reconcileRoutes } from '../../shared/nat-routes/reconcile.js';
import { checkEgress } from '../../shared/status/egress-check.js';
import { loadPeeringRangesConfig } from '../../shared/config/peering-ranges.js';
import { reconcilePeeringRanges } from '../../shared/peering-ranges/reconcile.js';
import { inProcessFaults, type FaultControl } from '../helpers/faults.js';

let stack: Stack;
let c: ComputeClients;
let faults: FaultControl;

async function status(host = stack.emulator.url): Promise<StatusJson> {
  const result = await statusCommand(await cliEnv({ NETREFLEX_EMULATOR_HOST: host }), { json: true });
  const json = JSON.parse(result.output) as StatusJson;
  expect(json.exitCode).toBe(result.exitCode);
  return json;
}

/** What a page needs: every link that is not OK says what to do. */
function expectFixes(report: StatusReport): void {
  for (const link of report.links) {
    if (link.state === 'ok') expect(link.fix, link.id).toBeUndefined();
    else expect(link.fix, link.id).toMatch(/\w{3,}/);
  }
}

const root = `${import.meta.dirname}/../..`;

const stateOf = (r: StatusReport) => Object.fromEntries(r.links.map((l) => [l.id, l.state]));

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutesSync'],
    emulator: { natInstances: ['nat-s1', 'nat-s2'], settings: { operationLatencyMs: 20, instanceStepMs: 40 } },
  });
  c = computeClients(stack.emulator.port);
  faults = inProcessFaults(stack.emulator);
  const policies = computeClients(stack.emulator.port).securityPolicies;
  // Outside armorAllowlist's band (1000–1999): a hand-written rule inside it would be an ownership conflict, which stalls the allowlist sync.
  await c.wait(
    await policies.addRule({
      project: PROJECT,
      securityPolicy: SAMPLE.armor.policy,
      securityPolicyRuleResource: {
        priority: 900,
        action: 'allow',
        match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/28'] } },
      },
    }),
  );
  const sync = await fetch(stack.functions.get('natRoutesSync')!.url, { method: 'POST' });
  expect(sync.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('netreflex status', () => {
  it('shows every link OK on the synced sample topology', async () => {
    const report = await status();
    expect(stateOf(report)).toEqual({
      'psa-ranges': 'ok',
      'peering-export': 'ok',
      routes: 'ok',
      'nat-vms': 'ok',
      'nat-ips': 'ok',
      allowlists: 'ok',
    });
    expect(report.ok).toBe(true);
    expect(report.state).toBe('ok');
    expect(report.exitCode).toBe(0);
    expect(report.links.find((l) => l.id === 'allowlists')!.details).toContain(
      'inference-policy allows egress IP 203.0.113.5: rule 900 (allow) decides',
    );
    expectFixes(report);
  });

  it("judges each egress IP as the workflow's egress check does (armorAllowlistVerify), in its words", async () => {
    const t = new Transport({ emulatorHost: stack.emulator.url, region: REGION });
    const check = await checkEgress(t, PROJECT, { policy: SAMPLE.armor.policy, ips: [SAMPLE.cloudNat.ip] });
    expect(check.status).toBe('ok');
    const link = (await status()).links.find((l) => l.id === 'allowlists')!;
    expect(link.details).toEqual(expect.arrayContaining(check.results.map((v) => v.why)));
  });

  it('reads each fact once per reconciler that judges it: natRoutes for the MIG and the routes, peeringRanges for the PSA ranges', async () => {
    const before = await faults.calls();
    expect((await status()).state).toBe('ok');
    const after = await faults.calls();
    const delta = (m: string) => (after[m] ?? 0) - (before[m] ?? 0);
    expect({
      mig: delta('compute.regionInstanceGroupManagers.listManagedInstances'),
      routes: delta('compute.routes.list'),
      network: delta('compute.networks.get'),
      exported: delta('compute.networks.listPeeringRoutes'),
      // natRoutes' dry run reads the MIG, the routes, the network and what the peering exports (OUTGOING);
      // peeringRanges' reads the routes, the network and what it imports (INCOMING), to allocate around them.
    }).toEqual({ mig: 1, routes: 2, network: 2, exported: 2 });
  });

  it('runs as the CLI, readable in a terminal, exit code 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/netreflex.js', 'status'], {
      cwd: root,
      env: { ...process.env, NETREFLEX_EMULATOR_HOST: stack.emulator.url },
    });
    expect(stdout).toMatch(/egress path OK/);
    expect(stdout).toMatch(/6\. \[OK {5}\] Allowlists \(Cloud Armor\): 1 IP\(s\) allowed by 1 policy/);
  }, 20_000);
});

describe('netreflex status never reads OK while blind', () => {
  afterEach(() => faults.clear());

  /** The Google methods one status run calls, read from the emulator's call counts. */
  async function methodsStatusCalls(): Promise<string[]> {
    const before = await faults.calls();
    await status();
    const after = await faults.calls();
    return Object.keys(after)
      .filter((m) => !m.startsWith('emulator.') && (after[m] ?? 0) > (before[m] ?? 0))
      .sort();
  }

  /** A URL nothing listens on (not port 9 or 1: fetch refuses the Fetch standard's "bad ports" before connecting). */
  async function closedUrl(): Promise<string> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    return `http://127.0.0.1:${port}`;
  }

  it('an unreachable API: every link UNKNOWN with the fix, exit 3', async () => {
    const closed = await closedUrl();
    const report = await status(closed);
    expect(report).toMatchObject({ state: 'unknown', ok: false, exitCode: 3 });
    expect(report.links.map((l) => l.state)).toEqual(report.links.map(() => 'unknown'));
    for (const link of report.links.filter((l) => l.id !== 'allowlists')) {
      expect(link.reason, link.id).toMatch(/unreachable/);
      expect(link.fix, link.id).toContain('NETREFLEX_EMULATOR_HOST');
    }
    expect(report.links.find((l) => l.id === 'allowlists')).toMatchObject({
      reason: expect.stringMatching(/needs the Cloud NAT IPs, and "Cloud NAT IPs" is UNKNOWN/),
      fix: expect.stringContaining('npm start'),
    });
    expectFixes(report);
  });

  it('an API that takes the connection and never answers: every link UNKNOWN within the timeout, exit 3', async () => {
    // A hung API or a black-holed network: without a bound on each read, status would never answer
    // and a --watch frame would stay as the last check left it.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const result = await statusCommand(await cliEnv({ NETREFLEX_EMULATOR_HOST: host }), {
        json: true,
        timeoutSeconds: 0.3,
      });
      const report = JSON.parse(result.output) as StatusJson;
      expect(result.exitCode).toBe(3);
      expect(report).toMatchObject({ state: 'unknown', ok: false, exitCode: 3 });
      expect(report.links.map((l) => l.state)).toEqual(report.links.map(() => 'unknown'));
      for (const link of report.links.filter((l) => l.id !== 'allowlists'))
        expect(link.reason, link.id).toMatch(
          new RegExp(`unreachable \\(no answer from ${host} within 300 ms \\(ETIMEDOUT\\)\\)`),
        );
      expectFixes(report);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('exits 3 as the CLI and says UNKNOWN in the terminal, each link with its fix', async () => {
    const err = await promisify(execFile)(process.execPath, ['bin/netreflex.js', 'status'], {
      cwd: root,
      env: { ...process.env, NETREFLEX_EMULATOR_HOST: await closedUrl() },
    }).then(
      () => undefined,
      (e: { code?: number; stdout?: string }) => e,
    );
    expect(err?.code).toBe(3);
    expect(err?.stdout).toMatch(/egress path UNKNOWN: 6 link\(s\) could not be checked/);
    expect(err?.stdout).toMatch(
      /1\. \[UNKNOWN\] PSA ranges and capacity: could not check[^\n]*\n {6}fix: start the local Google Cloud \(npm start\)/,
    );
  }, 20_000);

  it('a persistent 500 on any one method status reads: UNKNOWN, exit 3, never OK', async () => {
    const methods = await methodsStatusCalls();
    expect(methods).toEqual(
      expect.arrayContaining([
        'compute.routes.list',
        'compute.securityPolicies.get',
        'compute.regionInstanceGroupManagers.listManagedInstances',
        'compute.networks.listPeeringRoutes',
      ]),
    );
    for (const method of methods) {
      await faults.failNext(method, 1000, 500);
      const report = await status();
      await faults.clear();
      expect({ method, state: report.state, ok: report.ok, exitCode: report.exitCode }).toEqual({
        method,
        state: 'unknown',
        ok: false,
        exitCode: 3,
      });
      expect(
        report.links.some((l) => l.state === 'unknown' && /answered 500/.test(l.reason)),
        method,
      ).toBe(true);
      // Routes to NAT VMs whose health could not be read are not judged healthy.
      if (method === 'compute.regionInstanceGroupManagers.listManagedInstances')
        expect(report.links.find((l) => l.id === 'routes')?.state).toBe('unknown');
      expectFixes(report);
    }
  }, 60_000);

  it('a 403 on any one method status reads: UNKNOWN, exit 3, the fix names the permission to grant', async () => {
    for (const method of await methodsStatusCalls()) {
      const permission = googleListed(method)[0] ?? method;
      await faults.failNext(method, 1000, 403, { permission });
      const report = await status();
      await faults.clear();
      expect({ method, state: report.state, exitCode: report.exitCode }).toEqual({
        method,
        state: 'unknown',
        exitCode: 3,
      });
      const blind = report.links.find((l) => l.state === 'unknown' && /permission denied/.test(l.reason));
      expect(blind?.fix, method).toContain(`grant the identity running netreflex status ${permission}`);
      expectFixes(report);
    }
  }, 60_000);

  it('a CEL rule at a priority that wins over the allow rule: the allowlist is UNKNOWN, not OK', async () => {
    const policies = computeClients(stack.emulator.port).securityPolicies;
    await c.wait(
      await policies.addRule({
        project: PROJECT,
        securityPolicy: SAMPLE.armor.policy,
        securityPolicyRuleResource: {
          priority: 500,
          action: 'deny(403)',
          match: { expr: { expression: "origin.region_code == 'JP'" } },
        },
      }),
    );
    try {
      const report = await status();
      expect(report).toMatchObject({ state: 'unknown', exitCode: 3 });
      const link = report.links.find((l) => l.id === 'allowlists')!;
      expect(link.reason).toMatch(/cannot be judged for egress IP 203\.0\.113\.5: rule 500 uses an expression/);
      expect(link.fix).toMatch(/rule 500/);
      // The workflow's egress check (armorAllowlistVerify) says the same, in the same words.
      const t = new Transport({ emulatorHost: stack.emulator.url, region: REGION });
      const check = await checkEgress(t, PROJECT, { policy: SAMPLE.armor.policy, ips: [SAMPLE.cloudNat.ip] });
      expect(check.status).toBe('degraded');
      expect(link.reason).toBe(check.reasons.join('; '));
    } finally {
      await c.wait(await policies.removeRule({ project: PROJECT, securityPolicy: SAMPLE.armor.policy, priority: 500 }));
    }
  });

  it('--watch checks again until stopped: a frame per check, one JSON object a line', async () => {
    const stop = new AbortController();
    const frames: string[] = [];
    const done = watchStatus(await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url }), {
      json: true,
      intervalSeconds: 0.05,
      signal: stop.signal,
      tty: false,
      write: (text) => {
        frames.push(text);
        if (frames.length === 1) void faults.failNext('compute.routes.list', 1000, 503);
        if (frames.length === 3) stop.abort();
      },
    });
    const exitCode = await done;
    const states = frames.map((f) => (JSON.parse(f) as StatusJson).state);
    expect(states[0]).toBe('ok');
    expect(states.slice(1)).toEqual(['unknown', 'unknown']);
    expect(frames.every((f) => f.endsWith('\n') && !f.slice(0, -1).includes('\n'))).toBe(true);
    expect(exitCode).toBe(3);
  });
});

describe("the PSA ranges link is peeringRanges' dry run", () => {
  const firewall = (sourceRanges: string[]) =>
    stack.emulator.store.update(`projects/${PROJECT}/global/firewalls`, SAMPLE.firewall.psaToNat, (f) => ({
      ...f,
      sourceRanges,
    }));

  it('a Vertex range the PSA firewall no longer admits: BROKEN, naming the step peeringRanges would take', async () => {
    firewall(['192.0.2.0/24']);
    try {
      const env = await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url });
      const t = new Transport({ emulatorHost: stack.emulator.url, region: REGION });
      const dry = await reconcilePeeringRanges(
        t,
        loadPeeringRangesConfig({ ...env, NETREFLEX_LOG_LEVEL: 'silent' }),
        { parallelJobs: 1, nodesPerJob: 8 },
        { dryRun: true },
      );
      const step = dry.changes.find((c) => c.kind === 'patchFirewall');
      expect(step?.description).toMatch(/extend firewall allow-psa-to-nat sourceRanges with 10\.98\.0\.0\/21/);
      const link = (await status()).links.find((l) => l.id === 'psa-ranges')!;
      expect(link).toMatchObject({ state: 'broken', fix: expect.stringContaining('netreflex apply ranges') });
      expect(link.reason).toContain(`not wired: peeringRanges would ${step!.description}`);
    } finally {
      firewall([SAMPLE.psa.range]);
    }
    expect((await status()).links.find((l) => l.id === 'psa-ranges')!.state).toBe('ok');
  });

  it('without the variables peeringRanges needs: UNKNOWN saying which, never OK, and the other links still judged', async () => {
    const env = { ...(await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url })), NETREFLEX_STATE_BUCKET: '' };
    const report = JSON.parse((await statusCommand(env, { json: true })).output) as StatusJson;
    expect(report.links.find((l) => l.id === 'psa-ranges')).toMatchObject({
      state: 'unknown',
      reason: expect.stringContaining('NETREFLEX_STATE_BUCKET: required, not set'),
    });
    expect(report.links.find((l) => l.id === 'routes')!.state).toBe('ok');
    expect(report.exitCode).toBe(3);
  });
});

describe('status-only rules: the path broken while natRoutes rightly has nothing to change', () => {
  it('a NAT VM that cannot forward IP: Google flags its routes, status says BROKEN labelled status only, natRoutes plans nothing', async () => {
    const z = await zoneOf('nat-s2');
    const instances = `projects/${PROJECT}/zones/${z}/instances`;
    const forward = (canIpForward: boolean) =>
      stack.emulator.store.update(instances, 'nat-s2', (i) => ({ ...i, canIpForward }));
    forward(false);
    try {
      const env = await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url });
      const t = new Transport({ emulatorHost: stack.emulator.url, region: REGION });
      const dry = await reconcileRoutes(t, loadNatRoutesConfig(env), { dryRun: true });
      expect({ status: dry.status, plan: dry.plan }).toMatchObject({
        status: 'ok',
        plan: { inserts: [], deletes: [] },
      });
      const routes = (await status()).links.find((l) => l.id === 'routes')!;
      expect(routes.state).toBe('broken');
      expect(routes.reason).toMatch(
        /→ nat-s2: route warnings: NEXT_HOP_CANNOT_IP_FORWARD \(status only: Google says the route delivers nothing; natRoutes has nothing to change\)/,
      );
      expect(routes.fix).toMatch(/fix the next hop nat-s2 .*canIpForward.*the routes need no change/);
      expect(routes.fix).not.toMatch(/netreflex apply routes/);
    } finally {
      forward(true);
    }
    expect((await status()).links.find((l) => l.id === 'routes')!.state).toBe('ok');
  });
});

describe('netreflex status that cannot finish a check reads UNKNOWN, never BROKEN or OK', () => {
  // What a malformed answer or a bug in netreflex looks like from here: the collector throws. The
  // collector is the real one, around which the check runs; only the throw is planted.
  const bug = new TypeError("Cannot read properties of undefined (reading 'map')");
  const throwing: Collect = async () => {
    throw bug;
  };

  it('every link UNKNOWN with the fix, exit 3, and the JSON names the error', async () => {
    const real = await status();
    const result = await statusCommand(
      await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url }),
      { json: true },
      throwing,
    );
    expect(result.exitCode).toBe(3);
    const report = JSON.parse(result.output) as StatusJson;
    expect(report).toMatchObject({
      state: 'unknown',
      ok: false,
      exitCode: 3,
      project: real.project,
      network: real.network,
      error: "TypeError: Cannot read properties of undefined (reading 'map')",
    });
    // The same six links a finished check reports, each UNKNOWN naming the error.
    expect(report.links.map((l) => [l.id, l.title])).toEqual(real.links.map((l) => [l.id, l.title]));
    for (const link of report.links) {
      expect(link.state, link.id).toBe('unknown');
      expect(link.reason, link.id).toContain('stopped on an unexpected error (TypeError: Cannot read properties');
    }
    expectFixes(report);
    const text = await statusCommand(await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url }), {}, throwing);
    expect(text.exitCode).toBe(3);
    expect(text.output).toMatch(/egress path UNKNOWN: 6 link\(s\) could not be checked/);
  });

  it('--watch keeps watching: the frame of the check that threw is UNKNOWN, the next check is OK again', async () => {
    const stop = new AbortController();
    const frames: StatusJson[] = [];
    let calls = 0;
    const oneBadAnswer: Collect = async (t, cfg) => (++calls === 1 ? throwing(t, cfg) : collectStatus(t, cfg));
    const exitCode = await watchStatus(
      await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url }),
      {
        json: true,
        intervalSeconds: 0.05,
        signal: stop.signal,
        tty: false,
        write: (text) => {
          frames.push(JSON.parse(text) as StatusJson);
          if (frames.length === 2) stop.abort();
        },
      },
      oneBadAnswer,
    );
    expect(frames.map((f) => [f.state, f.exitCode, f.error ?? null])).toEqual([
      ['unknown', 3, "TypeError: Cannot read properties of undefined (reading 'map')"],
      ['ok', 0, null],
    ]);
    expect(exitCode).toBe(0);
  });
});

// Held in order: the second step judges the path the first one broke.
describe('netreflex status on a broken path', { sequential: true, shuffle: false }, () => {
  it('flags the routes and the NAT VMs after a NAT instance is stopped, naming the instance', async () => {
    const z = await zoneOf('nat-s1');
    await c.wait(await c.instances.stop({ project: PROJECT, zone: z, instance: 'nat-s1' }));
    const report = await status();
    expect(stateOf(report)).toMatchObject({
      routes: 'broken',
      'nat-vms': 'broken',
      'nat-ips': 'ok',
      allowlists: 'ok',
      'psa-ranges': 'ok',
    });
    expect(report.ok).toBe(false);
    expect(report).toMatchObject({ state: 'broken', exitCode: 1 });
    expectFixes(report);
    expect(report.links.find((l) => l.id === 'routes')!.reason).toMatch(/→ nat-s1: next hop is (STOPPING|TERMINATED)/);
    expect(report.links.find((l) => l.id === 'nat-vms')!.reason).toMatch(
      /1 of 2 NAT VM\(s\) not healthy \(nat-s1\); egress continues on the others/,
    );
    const cli = await statusCommand(await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url }));
    expect(cli.exitCode).toBe(1);
    expect(cli.output).toMatch(/\[BROKEN \] Routes to the destinations: .*\n {6}fix: netreflex apply routes/);
  });

  it("the routes link is natRoutes' own dry run: it names each route natRoutes would delete, and is OK once natRoutes has nothing to do", async () => {
    // nat-s1 is stopped (the test before): natRoutes' dry run plans deleting its routes.
    const env = await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url });
    const t = new Transport({ emulatorHost: stack.emulator.url, region: REGION });
    const dry = await reconcileRoutes(t, loadNatRoutesConfig(env), { dryRun: true });
    expect(dry.plan.deletes.length).toBeGreaterThan(0);
    const before = (await status()).links.find((l) => l.id === 'routes')!;
    expect(before.state).toBe('broken');
    for (const name of dry.plan.deletes)
      expect(before.details).toContainEqual(
        expect.stringMatching(new RegExp(`\\(${name}\\): next hop is \\w+.*natRoutes deletes the route$`)),
      );
    expect((await fetch(stack.functions.get('natRoutesSync')!.url, { method: 'POST' })).status).toBe(200);
    const after = await reconcileRoutes(t, loadNatRoutesConfig(env), { dryRun: true });
    expect(after.plan).toMatchObject({ inserts: [], deletes: [] });
    expect((await status()).links.find((l) => l.id === 'routes')).toMatchObject({ state: 'ok' });
  });
});

describe("the peering-export link is natRoutes' verify", () => {
  const setExport = async (exportCustomRoutes: boolean) =>
    c.wait(
      await c.networks.updatePeering({
        project: PROJECT,
        network: SAMPLE.vpcA.network,
        networksUpdatePeeringRequestResource: { networkPeering: { name: SAMPLE.psa.peering, exportCustomRoutes } },
      }),
    );
  afterEach(() => setExport(true));

  it('natRoutes and status fed the same broken export say the same thing, from one read of the peering', async () => {
    await setExport(false);
    // verify-only: natRoutes reports the export and leaves it as it is, as an operator may configure it.
    const env = await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url, NETREFLEX_EXPORT_MODE: 'verify-only' });
    const t = new Transport({ emulatorHost: stack.emulator.url, region: REGION });
    const routes = await reconcileRoutes(t, loadNatRoutesConfig(env));
    expect(routes.status).toBe('degraded');
    expect(routes.export).toMatchObject({ exportCustomRoutes: false, enabledNow: false });
    const said = routes.reasons.filter((r) => /export/.test(r));
    expect(said).toEqual([expect.stringMatching(/does not export custom routes \(verify-only mode/)]);

    const before = await faults.calls();
    const result = await statusCommand(env, { json: true });
    const after = await faults.calls();
    const report = JSON.parse(result.output) as StatusJson;
    const peering = report.links.find((l) => l.id === 'peering-export')!;
    expect(peering).toMatchObject({ state: 'broken', reason: said[0] });
    expect(peering.fix).toMatch(/exportCustomRoutes/);
    expect(peering.details[0]).toMatch(/state ACTIVE, exportCustomRoutes false/);
    // The routes themselves are fine: the export's verdict is said once, on its own link.
    expect(report.links.find((l) => l.id === 'routes')).toMatchObject({ state: 'ok' });
    expect(result.exitCode).toBe(1);
    // One observation per reconciler: natRoutes' dry run reads the peering and what it exports once
    // (peeringRanges' dry run reads the network and what the peering imports, for the PSA ranges link).
    const delta = (m: string) => (after[m] ?? 0) - (before[m] ?? 0);
    expect(delta('compute.networks.listPeeringRoutes')).toBe(2);
    expect(delta('compute.networks.get')).toBe(2);
  });

  it('the peering gone: natRoutes refuses the configuration and status says BROKEN in its words, not OK', async () => {
    const env = await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url, NETREFLEX_PEERING: 'no-such-peering' });
    const t = new Transport({ emulatorHost: stack.emulator.url, region: REGION });
    const refused = await reconcileRoutes(t, loadNatRoutesConfig(env), { dryRun: true }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/has no peering named no-such-peering/);
    const report = JSON.parse((await statusCommand(env, { json: true })).output) as StatusJson;
    expect(report.links.find((l) => l.id === 'peering-export')).toMatchObject({
      state: 'broken',
      reason: refused,
      fix: expect.stringContaining('NETREFLEX_PEERING'),
    });
  });
});

describe('the egress IPs the workflow checks are the Cloud NAT IPs', () => {
  const natIps = async (env: Record<string, string>) => {
    const result = await statusCommand(await cliEnv({ NETREFLEX_EMULATOR_HOST: stack.emulator.url, ...env }), {
      json: true,
    });
    return {
      exitCode: result.exitCode,
      link: (JSON.parse(result.output) as StatusJson).links.find((l) => l.id === 'nat-ips')!,
    };
  };

  it('NETREFLEX_EGRESS_IPS naming other IPs than Cloud NAT uses: BROKEN, with the fix, never silently apart', async () => {
    const { exitCode, link } = await natIps({ NETREFLEX_EGRESS_IPS: `198.51.100.77,${SAMPLE.cloudNat.ip}` });
    expect(exitCode).toBe(1);
    expect(link.state).toBe('broken');
    expect(link.reason).toMatch(
      /NETREFLEX_EGRESS_IPS .*are not the Cloud NAT's IPs.*198\.51\.100\.77 not used by Cloud NAT/,
    );
    expect(link.fix).toContain('terraform apply');
    expect(link.fix).toContain(`NETREFLEX_EGRESS_IPS=${SAMPLE.cloudNat.ip}`);
  });

  it('NETREFLEX_EGRESS_IPS missing a Cloud NAT IP: BROKEN, naming the IP the workflow never checks', async () => {
    const { link } = await natIps({ NETREFLEX_EGRESS_IPS: '198.51.100.77' });
    expect(link).toMatchObject({
      state: 'broken',
      reason: expect.stringContaining(`${SAMPLE.cloudNat.ip} never checked`),
    });
  });

  it("next to the local stack status compares the workflow's egress IPs (the sample's) with Cloud NAT's: BROKEN once they differ", async () => {
    expect(stack.env.NETREFLEX_EGRESS_IPS).toBe(SAMPLE.cloudNat.ip);
    expect((await natIps({})).link.state).toBe('ok');
    // The NAT's static address now holds another IP (the emulator has no addresses.insert to move the NAT with).
    const moved = '203.0.113.9';
    const addresses = `projects/${PROJECT}/regions/${REGION}/addresses`;
    const natOn = (ip: string) =>
      stack.emulator.store.update(addresses, SAMPLE.cloudNat.ipName, (a) => ({ ...a, address: ip }));
    natOn(moved);
    try {
      const { exitCode, link } = await natIps({});
      expect(exitCode).toBe(1);
      expect(link).toMatchObject({
        state: 'broken',
        reason: expect.stringContaining(`${moved} never checked; ${SAMPLE.cloudNat.ip} not used by Cloud NAT`),
      });
    } finally {
      natOn(SAMPLE.cloudNat.ip);
    }
    expect((await natIps({})).link.state).toBe('ok');
  });

  it('NETREFLEX_EGRESS_IPS equal to the Cloud NAT IPs (any order, any spelling of the list): OK', async () => {
    expect((await natIps({ NETREFLEX_EGRESS_IPS: ` ${SAMPLE.cloudNat.ip}, ` })).link.state).toBe('ok');
  });
});

async function zoneOf(name: string): Promise<string> {
  const [mis] = await c.migs.listManagedInstances({
    project: PROJECT,
    region: REGION,
    instanceGroupManager: SAMPLE.nat.mig,
  });
  return mis
    .find((m) => m.name === name)!
    .instance!.split('/zones/')[1]!
    .split('/')[0]!;
}
