/**
 * Every delay of the local Google Cloud runs on its `Timers`: with a clock the test drives by
 * hand, a VM's lifecycle, a MIG recreate, injected latency, a Pub/Sub pull wait and a workflow's
 * `sys.sleep` do not move until the test moves the clock, what it stamps (`creationTimestamp`, an
 * operation's `insertTime`) is that clock's time — and `close()` stops them where they are.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../emulator/server.js';
import { Timers } from '../../emulator/timers.js';
import { ManualClock, settle } from '../helpers/emulator-clock.js';
import { startSampleEmulator } from '../../local/seed.js';
import { membersCol } from '../../emulator/compute/migs.js';
import { SAMPLE } from '../../local/topology.js';
import { PROJECT, REGION } from '../helpers/compute.js';

const clock = new ManualClock();
/** Calls `args.url` with a 30 s timeout; answers the error's tags. */
const SILENT_CALL = `
main:
  params: [args]
  steps:
    - call:
        try:
          call: http.get
          args:
            url: \${args.url}
            timeout: 30
        except:
          as: e
          steps:
            - failed:
                return: \${e.tags}
`;
/** Sleeps a minute; answers how long `sys.now` says it slept (seconds). */
const SLEEPER = `
main:
  steps:
    - start:
        assign:
          - t0: \${sys.now()}
    - wait:
        call: sys.sleep
        args:
          seconds: 60
    - done:
        return: \${sys.now() - t0}
`;
let emu: Emulator;
const MIG = { project: PROJECT, region: REGION, name: SAMPLE.nat.mig };

beforeAll(async () => {
  emu = await startSampleEmulator({
    natInstances: ['nat-aaaa', 'nat-bbbb'],
    clock,
    settings: { operationLatencyMs: 5, instanceStepMs: 5, autohealDelayMs: 0 },
  });
});
afterAll(() => emu?.close());

const status = (zone: string, name: string) =>
  emu.store.get(`projects/${PROJECT}/zones/${zone}/instances`, name)?.status as string | undefined;

describe('every delay runs on the emulator clock', () => {
  it('a MIG recreate steps STOPPING → gone → PROVISIONING → STAGING → RUNNING → verified only as the clock moves', async () => {
    const m = emu.migs.member(MIG, 'nat-aaaa');
    const done = Promise.all(emu.migs.recreate(MIG, ['nat-aaaa']));
    await settle();
    const seen: (string | undefined)[] = [status(m.zone, m.name)];
    await new Promise((r) => setTimeout(r, 30)); // real time passes: nothing moves without the clock
    expect(status(m.zone, m.name)).toBe('STOPPING');
    while (m.currentAction !== 'NONE') {
      await clock.next();
      const now = status(m.zone, m.name);
      if (now !== seen.at(-1)) seen.push(now);
    }
    await done;
    expect(seen).toEqual(['STOPPING', 'PROVISIONING', 'STAGING', 'RUNNING']);
    expect(m.health).toBe('HEALTHY');
  });

  it("the group's members live in the store: a recreate is seen as updates of the member's record", async () => {
    const col = membersCol(MIG);
    const seen: string[] = [];
    const stop = emu.store.onMutation((m) => {
      const action = m.after?.currentAction;
      if (m.collection === col && m.name === 'nat-aaaa' && typeof action === 'string' && action !== seen.at(-1))
        seen.push(action);
    });
    try {
      const done = Promise.all(emu.migs.recreate(MIG, ['nat-aaaa']));
      await settle();
      expect(emu.store.get(col, 'nat-aaaa')).toMatchObject({ currentAction: 'RECREATING', health: 'DRAINING' });
      while (emu.store.get(col, 'nat-aaaa')?.currentAction !== 'NONE') await clock.next();
      await done;
    } finally {
      stop();
    }
    expect(seen).toEqual(['RECREATING', 'VERIFYING', 'NONE']);
    expect(emu.store.get(col, 'nat-aaaa')).toMatchObject({
      health: 'HEALTHY',
      zone: emu.migs.member(MIG, 'nat-aaaa').zone,
    });
    expect(emu.store.list(col).map((r) => r.name)).toEqual(['nat-aaaa', 'nat-bbbb']);
  });

  it('injected latency holds a call until the clock moves', async () => {
    emu.faults.addLatency('compute.networks.list', 10_000);
    try {
      let settled = false;
      const call = fetch(`${emu.url}/compute/v1/projects/${PROJECT}/global/networks`).then(
        (res) => ((settled = true), res.status),
      );
      for (let i = 0; i < 100 && clock.pending === 0; i++) await settle();
      await new Promise((r) => setTimeout(r, 30));
      expect(settled).toBe(false);
      await clock.next();
      expect(await call).toBe(200);
    } finally {
      emu.faults.clear();
    }
  });

  it('a Pub/Sub pull waits for a message or the clock, not for wall time', async () => {
    emu.topics.create(`projects/${PROJECT}/topics/timers-test`);
    const sub = emu.subscriptions.create({
      name: `projects/${PROJECT}/subscriptions/timers-test`,
      topic: `projects/${PROJECT}/topics/timers-test`,
    });
    let woke = false;
    const wait = emu.subscriptions.waitForMessages(sub.name, 1_000).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(woke).toBe(false);
    await clock.next();
    await wait;
    expect(woke).toBe(true);
  });

  it("a workflow's sys.sleep waits for the emulator's clock, and sys.now moves with it", async () => {
    const name = `projects/${PROJECT}/locations/${REGION}/workflows/timers-sleep`;
    emu.workflows.engine.deployWorkflow(name, SLEEPER);
    const run = emu.workflows.engine.createExecution(name);
    for (let i = 0; i < 100 && clock.pending === 0; i++) await settle();
    expect(clock.pending).toBe(1);
    await new Promise((r) => setTimeout(r, 30)); // real time passes: the sleep does not end
    await clock.advance(59_999);
    expect(emu.workflows.engine.getExecution(run.name).state).toBe('ACTIVE');
    await clock.advance(1);
    expect(await emu.workflows.engine.awaitExecution(run.name)).toMatchObject({ state: 'SUCCEEDED', result: '60' });
  });

  it("a workflow's http.* timeout runs on the emulator's clock: a callee that never answers times out only as it moves", async () => {
    let asked = 0;
    const silent = createServer(() => void asked++); // takes the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      const name = `projects/${PROJECT}/locations/${REGION}/workflows/timers-timeout`;
      emu.workflows.engine.deployWorkflow(name, SILENT_CALL);
      const run = emu.workflows.engine.createExecution(name, { argument: JSON.stringify({ url }) });
      for (let i = 0; i < 200 && asked === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(asked).toBe(1);
      await new Promise((r) => setTimeout(r, 30)); // real time passes: no timeout yet
      await clock.advance(29_999);
      expect(emu.workflows.engine.getExecution(run.name).state).toBe('ACTIVE');
      await clock.advance(1);
      const done = await emu.workflows.engine.awaitExecution(run.name);
      expect(done).toMatchObject({ state: 'SUCCEEDED' });
      expect(JSON.parse(done.result!)).toContain('TimeoutError');
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it("what the emulator stamps reads the same clock: an operation's name, an object's generation and times", async () => {
    await clock.advance(3_600_000);
    const op = emu.operations.start({
      project: PROJECT,
      scope: { kind: 'global' },
      methodId: 'compute.firewalls.insert',
      operationType: 'insert',
      targetLink: `projects/${PROJECT}/global/firewalls/timers-stamp`,
      apply: () => undefined,
    });
    expect(op.name).toMatch(new RegExp(`^operation-${clock.now()}-`));
    emu.storage.createBucket(PROJECT, { name: 'timers-stamp' });
    const obj = emu.storage.writeObject('timers-stamp', 'a', Buffer.from('x'), {});
    emu.topics.create(`projects/${PROJECT}/topics/timers-stamp`);
    emu.topics.publish(`projects/${PROJECT}/topics/timers-stamp`, [{ data: 'x' }]);
    expect(emu.topics.messages(`projects/${PROJECT}/topics/timers-stamp`)[0]?.publishTime).toBe(
      new Date(clock.now()).toISOString(),
    );
    expect(obj).toMatchObject({
      generation: String(clock.now() * 1000),
      timeCreated: new Date(clock.now()).toISOString(),
    });
  });

  it("a resource's creationTimestamp is the clock's too: a route inserted an hour of clock time on says so, as its operation does", async () => {
    await clock.advance(3_600_000);
    const at = new Date(clock.now()).toISOString();
    const res = await fetch(`${emu.url}/compute/v1/projects/${PROJECT}/global/routes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'clock-stamp',
        network: `global/networks/${SAMPLE.vpcA.network}`,
        destRange: '198.51.100.0/24',
        nextHopGateway: 'global/gateways/default-internet-gateway',
      }),
    });
    expect(res.status).toBe(200);
    const op = (await res.json()) as { insertTime: string };
    expect(op.insertTime).toBe(at);
    while (!emu.store.get(`projects/${PROJECT}/global/routes`, 'clock-stamp')) await clock.next();
    expect(emu.store.get(`projects/${PROJECT}/global/routes`, 'clock-stamp')?.creationTimestamp).toBe(at);
    expect(Date.parse(at)).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 1, 1));
  });

  it('an access token lives an hour of the clock: its principal is known until then, and not after', async () => {
    const { accessToken } = emu.iam.mintToken('serviceAccount:clock@netreflex-demo.iam.gserviceaccount.com');
    expect(emu.iam.principalOf(accessToken)).toMatchObject({ kind: 'member' });
    await clock.advance(3_599_000);
    expect(emu.iam.principalOf(accessToken)).toMatchObject({ kind: 'member' });
    await clock.advance(1_000);
    expect(emu.iam.principalOf(accessToken)).toBeUndefined();
  });

  it('close() cancels every pending delay: a VM stopping when the emulator closes stays STOPPING', async () => {
    const m = emu.migs.member(MIG, 'nat-bbbb');
    void emu.migs.recreate(MIG, ['nat-bbbb']);
    await settle();
    expect(status(m.zone, m.name)).toBe('STOPPING');
    expect(emu.timers.size).toBeGreaterThan(0);
    await emu.close();
    expect(emu.timers.size).toBe(0);
    expect(clock.pending).toBe(0);
    expect(status(m.zone, m.name)).toBe('STOPPING');
  });
});

describe('a delay longer than Node can time', () => {
  it('is armed in pieces Node can time, not re-armed every millisecond', async () => {
    let armed = 0;
    const timers = new Timers({
      now: () => Date.now(),
      setTimeout: (fn, ms) => ((armed += 1), setTimeout(fn, ms)),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    });
    let fired = false;
    timers.after(2 ** 32, () => (fired = true));
    await new Promise((r) => setTimeout(r, 100));
    timers.clear();
    expect({ armed, fired }).toEqual({ armed: 1, fired: false });
  });
});

describe('a closed emulator', () => {
  it('leaves no workflow sleep pending: the execution never resumes', async () => {
    const own = new ManualClock();
    const closed = new Emulator({ clock: own });
    const name = `projects/${PROJECT}/locations/${REGION}/workflows/timers-closed`;
    closed.workflows.engine.deployWorkflow(name, SLEEPER);
    const run = closed.workflows.engine.createExecution(name);
    for (let i = 0; i < 100 && own.pending === 0; i++) await settle();
    expect(closed.timers.size).toBe(1);
    await closed.close();
    expect(closed.timers.size).toBe(0);
    expect(own.pending).toBe(0);
    await own.advance(120_000);
    expect(closed.workflows.engine.getExecution(run.name).state).toBe('ACTIVE');
  });
});
