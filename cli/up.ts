/**
 * `netreflex up` (= `npm start`): the local Google Cloud with the sample topology, every
 * function under the Functions Framework, Eventarc wiring and the safety-net tick — and how to
 * try it. Ctrl-C stops everything.
 *
 * Ports, from the base N (--port / NETREFLEX_PORT, default 8090), all on 127.0.0.1: N the local
 * Google Cloud (HTTP), N+1…N+6 the functions in FUNCTION_TARGETS order, N+10 Pub/Sub (gRPC); the
 * functions' metadata servers take free ports. The stack is all or nothing: a port taken at
 * start-up stops it with the port, what it was for and the flag to change; a function that dies
 * later stops everything, loudly, exit 1; and it stops when its parent goes (a SIGTERM to `npm`
 * alone, whose shell does not pass it on), as the functions stop when it goes.
 */
import {
  FUNCTION_TARGETS,
  FunctionStartError,
  SAMPLE,
  startStack,
  type FunctionDeath,
  type Stack,
} from './local-stack.js';
import { ConfigError } from '../shared/errors.js';
import { ROUTE_MODES } from '../shared/config/nat-routes.js';

export interface UpOptions {
  port: number;
  tickSeconds: number;
  operationLatencyMs: number;
  instanceStepMs: number;
  autohealSeconds: number;
  /** natRoutes' NETREFLEX_ROUTE_MODE for the whole stack. */
  routeMode: string;
}

const SEVERITY_WIDTH = 8;
/** Pub/Sub's gRPC port, above the base port. */
const PUBSUB_OFFSET = 10;
/** How often `up` checks that the process that started it is still there. */
const PARENT_POLL_MS = 1_000;
/** How long stopping may take before `up` exits anyway. */
const STOP_GRACE_MS = 20_000;

/** What `netreflex up` listens on for base port `base`. */
export function portLayout(base: number): { port: number; what: string }[] {
  return [
    { port: base, what: 'the local Google Cloud, HTTP' },
    ...FUNCTION_TARGETS.map((target, i) => ({ port: base + 1 + i, what: `function ${target}` })),
    { port: base + PUBSUB_OFFSET, what: 'Pub/Sub, gRPC' },
  ];
}

/** A taken port, worded with what needed it and which flag moves it. */
export function portInUseMessage(base: number, port: number | undefined): string {
  const what = portLayout(base).find((p) => p.port === port)?.what ?? 'the local stack';
  const other = base + 100 <= 65535 - PUBSUB_OFFSET ? base + 100 : 20000;
  return [
    `port ${port ?? '?'} (${what}) is already in use on 127.0.0.1 (EADDRINUSE); netreflex up stopped what it had started.`,
    `netreflex up takes ${base} (the local Google Cloud), ${base + 1}–${base + FUNCTION_TARGETS.length} (the functions) and ${base + PUBSUB_OFFSET} (Pub/Sub):`,
    `start it on another base port with --port ${other} (npm start -- --port ${other}) or NETREFLEX_PORT=${other}, or stop what holds ${port ?? 'the port'}.`,
  ].join('\n');
}

function isPortInUse(err: unknown): err is { port?: number } {
  if (err instanceof FunctionStartError) return err.code === 'EADDRINUSE';
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EADDRINUSE';
}

/** Prints a function's Cloud Logging JSON line as `[natRoutes] INFO    message`. */
function printLine(target: string, line: string): void {
  try {
    const entry = JSON.parse(line) as { severity?: string; message?: string };
    if (entry.message === undefined) throw new Error('not a log entry');
    console.log(`[${target}] ${(entry.severity ?? 'DEFAULT').padEnd(SEVERITY_WIDTH)}${entry.message}`);
  } catch {
    console.log(`[${target}] ${line}`);
  }
}

function banner(stack: Stack, opts: UpOptions): string {
  const nat = stack.emulator.migs
    .list({ project: SAMPLE.project, region: SAMPLE.region, name: SAMPLE.nat.mig })
    .map((m) => `${m.name} (${m.zone})`);
  const fns = [...stack.functions.values()].map(
    (f) => `  ${f.target.padEnd(18)} ${f.url}  pid ${f.child.pid}  as ${stack.identity(f.target).email}`,
  );
  const host = stack.emulator.url;
  return [
    '',
    `netreflex local Google Cloud on ${host} (pid ${process.pid})`,
    `  project ${SAMPLE.project} (#${SAMPLE.projectNumber}), region ${SAMPLE.region}`,
    `  ${SAMPLE.vpcA.network}/${SAMPLE.vpcA.subnet} ${SAMPLE.vpcA.range}   ${SAMPLE.vpcB.network}/${SAMPLE.vpcB.subnet} ${SAMPLE.vpcB.range}`,
    `  PSA ${SAMPLE.psa.address} ${SAMPLE.psa.range} peered as ${SAMPLE.psa.peering}`,
    `  NAT MIG ${SAMPLE.nat.mig}: ${nat.join(', ')}`,
    `  destinations ${SAMPLE.destinations.join(', ')}`,
    opts.routeMode === 'ilb'
      ? `  route mode ilb: one route per destination to the internal load balancer ${SAMPLE.nat.ilb} (${SAMPLE.nat.ilbIp}), health-checked at nat.tf's timing`
      : `  route mode instance: routes to each NAT VM (--route-mode ilb for the load balancer)`,
    '',
    'functions (Functions Framework):',
    ...fns,
    `safety-net tick: every ${opts.tickSeconds} s on projects/${SAMPLE.project}/topics/netreflex-tick`,
    '',
    'Try it (another terminal):',
    `  export NETREFLEX_EMULATOR_HOST=${host}${opts.routeMode === 'ilb' ? ' NETREFLEX_ROUTE_MODE=ilb' : ''}`,
    '  npx netreflex plan routes                      # routes, NAT VMs, export state',
    '  npx tsx examples/recreate-nat-instance.ts     # recreate a NAT VM with the official client',
    '  npx netreflex plan routes                      # routes followed it: no changes',
    '  npx tsx examples/run-pipeline.ts 40 8         # the vertex-pipeline-run workflow, official Workflows client',
    '  npx netreflex status                           # the egress path link by link',
    '',
    'Your own code and the official clients: Compute, Storage, Vertex AI, Workflows on',
    `  ${host}  (STORAGE_EMULATOR_HOST=${host}), Pub/Sub (gRPC) on PUBSUB_EMULATOR_HOST=${stack.emulator.pubsubHost};`,
    '  set METADATA_SERVER_DETECTION=none so google-auth-library does not look for a GCE metadata server.',
    '',
    'Ctrl-C stops everything; so does any function dying (exit 1).',
    '',
  ].join('\n');
}

export async function up(opts: UpOptions): Promise<void> {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535 - PUBSUB_OFFSET)
    throw new ConfigError(
      `NETREFLEX_PORT / --port must be a TCP port from 1 to ${65535 - PUBSUB_OFFSET} (netreflex up also takes the next ${FUNCTION_TARGETS.length} and +${PUBSUB_OFFSET}), got ${opts.port}`,
    );
  if (!(ROUTE_MODES as readonly string[]).includes(opts.routeMode))
    throw new ConfigError(
      `NETREFLEX_ROUTE_MODE / --route-mode must be one of ${ROUTE_MODES.join(', ')}, got '${opts.routeMode}'`,
    );
  const ilb = opts.routeMode === 'ilb';
  const parent = process.ppid;
  let stack: Stack;
  try {
    stack = await startStack({
      port: opts.port,
      functionsPort: opts.port + 1,
      tickMs: opts.tickSeconds * 1000,
      // The load balancer probes at the health check's own timing (nat.tf: every 10 s, 3 failures to go down), as Google does.
      emulator: {
        pubsubPort: opts.port + PUBSUB_OFFSET,
        settings: {
          operationLatencyMs: opts.operationLatencyMs,
          instanceStepMs: opts.instanceStepMs,
          autohealDelayMs: opts.autohealSeconds * 1000,
          healthCheckSecondMs: 1000,
        },
      },
      env: {
        NETREFLEX_SETTLE_POLL_MS: '1000',
        ...(ilb ? { NETREFLEX_ROUTE_MODE: 'ilb', NETREFLEX_ILB_FORWARDING_RULE: SAMPLE.nat.ilb } : {}),
      },
      onLine: printLine,
    });
  } catch (err) {
    if (isPortInUse(err)) throw new ConfigError(portInUseMessage(opts.port, err.port));
    throw err;
  }
  console.log(banner(stack, opts));
  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.error(`\nnetreflex: ${why}; stopping functions and the local Google Cloud…`);
    // Should stopping hang, exiting still ends the functions: they follow this process's IPC channel.
    setTimeout(() => process.exit(code), STOP_GRACE_MS).unref();
    await stack.stop();
    console.error('netreflex: stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('interrupted', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('SIGHUP', () => void stop('the terminal closed (SIGHUP)', 0));
  void stack.died.then((d) => stop(deathMessage(d), 1));
  // A parent that dies without passing a signal on (npm's shell given SIGTERM alone, a killed
  // terminal) leaves this process to init: signal 0 finds the parent gone.
  if (parent > 1) {
    const watch = setInterval(() => {
      if (!alive(parent)) void stop(`the process that started netreflex up (pid ${parent}) is gone`, 1);
    }, PARENT_POLL_MS);
    watch.unref();
  }
}

function deathMessage(d: FunctionDeath): string {
  const how = d.signal ? `was killed (${d.signal})` : `exited with code ${d.code}`;
  const last = d.output
    .slice(-5)
    .map((l) => `\n  [${d.target}] ${l}`)
    .join('');
  return `FAILED: function ${d.target} ${how}, so the local stack is no longer whole; its last lines:${last}\nnetreflex: FAILED`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
