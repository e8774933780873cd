/**
 * (g) Egress blackout after a NAT VM dies: how long some new connection from the Vertex nodes to a
 * destination can still be sent to the dead VM, natRoutes in instance mode (routes per VM, moved by
 * the VM's audit-log event) against ilb mode (one route per destination to the internal load
 * balancer, moved by nothing: its health check takes the VM out), in the same run.
 *
 * Each sample: natRoutes deployed as Terraform deploys it (Functions Framework, its own service
 * account, events only — the tick is off), a NAT VM stopped through Compute's `instances.stop`, and
 * the data path (emulator/compute/egress.ts: most specific route, priority, ECMP, the load
 * balancer's pool) read every 2 ms from the moment the VM leaves RUNNING until no destination's
 * path reaches it. Time is the modelled system's: instance mode runs in real time (the local
 * cloud's 50 ms operations and 100 ms instance steps; Google's own audit-log delivery delay is not
 * modelled and comes on top in production); ilb mode runs the health check at nat.tf's timing
 * (every 10 s, 3 failures to go down) with one health-check second lasting `HC_SECOND_MS` real ms,
 * and its blackout is converted back to health-check seconds.
 */
import { startStack, type Stack } from '../local/stack.js';
import { SAMPLE } from '../local/topology.js';
import { egressPath } from '../emulator/compute/egress.js';
import { figure, type BenchContext, type BenchModule } from './types.js';

const HC_SECOND_MS = 50;
const MIG = { project: SAMPLE.project, region: SAMPLE.region, name: SAMPLE.nat.mig };
const NAMES = ['nat-bk01', 'nat-bk02'];

async function until(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function reaching(stack: Stack, name: string): boolean {
  return SAMPLE.destinations.some((d) =>
    egressPath(stack.emulator.compute, stack.emulator.migs, SAMPLE.project, SAMPLE.vpcA.network, d).instances.some(
      (i) => i.endsWith(`/instances/${name}`),
    ),
  );
}

const zoneOf = (stack: Stack, name: string) => stack.emulator.migs.list(MIG).find((m) => m.name === name)!.zone;
const statusOf = (stack: Stack, name: string) =>
  stack.emulator.compute.store.get(`projects/${SAMPLE.project}/zones/${zoneOf(stack, name)}/instances`, name)?.status;

/** Compute's REST `instances.{stop,start}` (what the official client sends), waited on. */
async function instanceCall(stack: Stack, name: string, verb: 'stop' | 'start'): Promise<void> {
  const base = `${stack.emulator.url}/compute/v1/projects/${SAMPLE.project}/zones/${zoneOf(stack, name)}`;
  const res = await fetch(`${base}/instances/${name}/${verb}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (!res.ok) throw new Error(`instances.${verb} ${name}: ${res.status} ${await res.text()}`);
  const op = (await res.json()) as { name: string };
  for (;;) {
    const wait = (await (await fetch(`${base}/operations/${op.name}/wait`, { method: 'POST' })).json()) as {
      status?: string;
    };
    if (wait.status === 'DONE') return;
  }
}

/** One stop: real ms from the VM leaving RUNNING until no destination's path reaches it. */
async function blackout(stack: Stack, victim: string): Promise<number> {
  let left: number | undefined;
  let gone: number | undefined;
  let on = true;
  const sampler = (async () => {
    while (on && gone === undefined) {
      const now = performance.now();
      if (left === undefined && statusOf(stack, victim) !== 'RUNNING') left = now;
      if (left !== undefined && !reaching(stack, victim)) gone = now;
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    await instanceCall(stack, victim, 'stop');
    await until(`${victim} out of every egress path`, () => gone !== undefined);
  } finally {
    on = false;
    await sampler;
  }
  return gone! - left!;
}

async function measure(ctx: BenchContext, mode: 'instance' | 'ilb', runs: number): Promise<number[]> {
  const stack = await startStack({
    functions: ['natRoutes'],
    tickMs: 0,
    env: {
      NETREFLEX_LOG_LEVEL: 'silent',
      ...(mode === 'ilb' ? { NETREFLEX_ROUTE_MODE: 'ilb', NETREFLEX_ILB_FORWARDING_RULE: SAMPLE.nat.ilb } : {}),
    },
    emulator: {
      natInstances: NAMES,
      settings: {
        operationLatencyMs: 50,
        instanceStepMs: 100,
        ...(mode === 'ilb' ? { healthCheckSecondMs: HC_SECOND_MS } : {}),
      },
    },
  });
  try {
    stack.emulator.topics.publish(`projects/${SAMPLE.project}/topics/netreflex-tick`, [{ data: '{"kind":"tick"}' }]);
    const everyone = () => NAMES.every((n) => reaching(stack, n));
    await until(`${mode} mode: every destination reaching both NAT VMs`, everyone);
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const victim = NAMES[i % NAMES.length]!;
      const ms = await blackout(stack, victim);
      samples.push(mode === 'ilb' ? (ms / HC_SECOND_MS) * 1000 : ms);
      ctx.log(`egress blackout, ${mode} mode, run ${i + 1}/${runs}: ${Math.round(samples.at(-1)!)} ms`);
      await instanceCall(stack, victim, 'start');
      await until(`${victim} back in the egress paths`, everyone);
      await stack.emulator.events.idle();
    }
    return samples;
  } finally {
    await stack.stop();
  }
}

async function run(ctx: BenchContext) {
  const runs = Math.min(ctx.runs, 3);
  const instance = await measure(ctx, 'instance', runs);
  const ilb = await measure(ctx, 'ilb', runs);
  return [
    figure({
      id: 'egress-blackout.instance-vs-ilb',
      what: 'egress blackout after a NAT VM stops: instance mode, event-driven (ms the dead VM still gets new flows)',
      unit: 'ms',
      samples: instance,
      baseline: {
        what: 'ilb mode: the health check (nat.tf: 10 s interval, 3 failures), in health-check time',
        samples: ilb,
      },
      note: "instance mode's figure excludes Google's audit-log delivery delay; ilb mode needs no event and changes no route",
    }),
  ];
}

export const egressBlackoutBench: BenchModule = {
  id: 'egress-blackout',
  title: 'Egress blackout after a NAT VM dies (instance vs ilb mode)',
  run,
};
