/**
 * peeringRanges as several teams hit it: two real Functions Framework instances of the function
 * behind the local stack, operations slow enough to overlap, calls at the same moment; an instance
 * killed between two of its operations and a new one started in its place; and the strict HTTP
 * door. After each: the union on connection, firewall and metadata, no NAT VM recreated, every 200
 * verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../local/stack.js';
import { spawnFunction, type FunctionProcess } from '../../local/functions-host.js';
import { HttpError } from '../../emulator/errors.js';
import { expectUnion, rangesClients, type Answered } from '../helpers/ranges.js';

let stack: Stack;
let second: FunctionProcess;
let r: ReturnType<typeof rangesClients>;
let vmsBefore: Record<string, string>;

const ENV = {
  NETREFLEX_LOG_LEVEL: 'info',
  NETREFLEX_RANGES_LEASE_TTL_SECONDS: '3',
  NETREFLEX_PSA_POOL: '10.98.0.0/15,10.100.0.0/15',
};

const spawnInstance = async () =>
  spawnFunction({
    target: 'peeringRanges',
    signatureType: 'http',
    port: 0,
    env: stack.env,
    identity: stack.identity('peeringRanges'),
  });

async function post(url: string, body: unknown, query = ''): Promise<Answered> {
  const res = await fetch(`${url}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answered['body'] };
}

const first = () => stack.functions.get('peeringRanges')!;

beforeAll(async () => {
  stack = await startStack({
    functions: ['peeringRanges'],
    env: ENV,
    emulator: { natInstances: ['nat-a1b2', 'nat-c3d4'], settings: { operationLatencyMs: 100, instanceStepMs: 20 } },
  });
  second = await spawnInstance();
  r = rangesClients(stack.emulator.port, stack.emulator.url);
  vmsBefore = await r.natVms();
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await stack?.stop();
});

describe('many teams at once, across function instances', () => {
  it('five calls of different sizes at the same moment, spread over two instances: all 200, verified, holding all five', async () => {
    const sizes = [
      [12, 8],
      [4, 16],
      [30, 8],
      [2, 32],
      [9, 8],
    ];
    const answers = await Promise.all(
      sizes.map(([parallelJobs, nodesPerJob], i) =>
        post((i % 2 ? second : first()).url, { parallelJobs, nodesPerJob, runId: `team-${i}` }),
      ),
    );
    expectUnion(await r.view(), answers);
    expect(answers.map((a) => a.body.capacity!.demand.length).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await r.natVms()).toEqual(vmsBefore);
  });

  it('an instance killed between two operations: a new instance finishes the run after the lease expires, allocating once', async () => {
    const inserts = stack.emulator.router.calls.get('compute.globalAddresses.insert') ?? 0;
    let killed = false;
    stack.emulator.router.addHook(async (methodId) => {
      if (killed || methodId !== 'compute.firewalls.patch') return 'continue';
      killed = true;
      first().child.kill('SIGKILL'); // the instance dies with its address created and its connection patched
      throw new HttpError(503, 'the caller is gone');
    });
    const lost = await post(first().url, { parallelJobs: 80, nodesPerJob: 8, runId: 'killed-run' }).then(
      () => 'answered',
      () => 'connection lost',
    );
    expect(lost).toBe('connection lost');
    expect(killed).toBe(true);
    const mid = await r.view();
    const created = Object.keys(mid.addresses).filter((n) => !mid.firewall.includes(mid.addresses[n]!));
    expect(created.length).toBeGreaterThan(0); // half-wired: on the connection, not yet in the firewall

    const restarted = await spawnInstance();
    stack.functions.set('peeringRanges', restarted);
    const retried = await post(restarted.url, { parallelJobs: 80, nodesPerJob: 8, runId: 'killed-run' }); // the workflow's retry
    expectUnion(await r.view(), [retried]);
    expect(retried.body.allocated).toEqual([]);
    expect(stack.emulator.router.calls.get('compute.globalAddresses.insert')).toBe(inserts + created.length);
    expect(await r.natVms()).toEqual(vmsBefore);
  });
});

describe('strict HTTP input', () => {
  it('a 9 MiB body is refused with 413, neither echoed nor logged', async () => {
    const huge = JSON.stringify({ parallelJobs: 1, nodesPerJob: 8, displayName: 'x'.repeat(9 * 1024 * 1024) });
    const res = await fetch(second.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: huge,
    });
    const text = await res.text();
    expect(res.status).toBe(413);
    expect(text.length).toBeLessThan(500);
    expect(second.output.join('\n')).not.toContain('x'.repeat(1000));
  });

  it('"dryRun": "true" (a string) is a 400, and nothing is applied', async () => {
    const before = await r.view();
    const res = await post(second.url, { parallelJobs: 300, nodesPerJob: 8, dryRun: 'true' });
    expect(res).toMatchObject({ status: 400, body: { status: 'refused', error: { kind: 'invalid-request' } } });
    expect(res.body.error!.message).toMatch(/dryRun must be a boolean/);
    expect((await post(second.url, { parallelJobs: 1, nodesPerJob: 8 }, '?dryRun=yes')).status).toBe(400);
    expect(await r.view()).toEqual(before);
  });

  it.each([
    [{ network: '../vpc-b' }, /network must be a network name matching \^\[a-z\]/],
    [{ network: 'vpc-a?x=1' }, /network must be a network name matching/],
    [{ region: 'asia-northeast1/../x' }, /region must match \^\[a-z\]\+-\[a-z\]\+\[0-9\]\+\$/],
    [{ parallelJobs: '4' }, /parallelJobs must be a number/],
    [{ exportCustumRoutes: true }, /unknown field\(s\) "exportCustumRoutes"/],
  ])('%o is a 400 naming the pattern or the field, not a 500', async (bad, message) => {
    const res = await post(second.url, { parallelJobs: 1, nodesPerJob: 8, ...bad });
    expect(res.status).toBe(400);
    expect(res.body.error!.message).toMatch(message);
  });

  it('a release is strict too: a boolean, a run id, no other field; releasing what is not reserved changes nothing', async () => {
    const before = await r.view();
    expect((await post(second.url, { release: 'true', runId: 'team-1' })).body.error!.message).toMatch(
      /release must be a boolean/,
    );
    expect((await post(second.url, { release: true, runId: 'team-1', dryRun: true })).body.error!.message).toMatch(
      /release and dryRun do not go together/,
    );
    expect((await post(second.url, { release: true, runId: 'team-1', parallelJobs: 1 })).body.error!.message).toMatch(
      /unknown field\(s\) "parallelJobs"/,
    );
    expect((await post(second.url, { release: true })).body.error!.message).toMatch(/runId: runId must be a string/);
    expect(await post(second.url, { release: true, runId: 'never-prepared' })).toMatchObject({
      status: 200,
      body: { status: 'unchanged', released: false },
    });
    const released = await post(second.url, { release: true, runId: 'team-1' });
    expect(released).toMatchObject({ status: 200, body: { status: 'ok', released: true } });
    expect((released.body as { reserved?: string[] }).reserved).not.toContain('team-1');
    expect(await r.view()).toEqual(before);
  });

  it('a network given as its full URL is the same network', async () => {
    const res = await post(second.url, {
      parallelJobs: 1,
      nodesPerJob: 8,
      network: 'https://www.googleapis.com/compute/v1/projects/netreflex-demo/global/networks/vpc-a',
      dryRun: true,
    });
    expect(res.status).toBe(200);
  });
});
