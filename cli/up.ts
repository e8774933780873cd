/**
 * `netreflex up` (= `npm start`): the local Google Cloud with the sample topology, every
 * function under the Functions Framework, Eventarc wiring and the safety-net tick — and how to
 * try it. Ctrl-C stops everything.
 */
import { startStack, type Stack } from '../emulator/stack.js';
import { SAMPLE } from '../emulator/topology.js';
import { ConfigError } from '../shared/errors.js';

export interface UpOptions {
  port: number;
  tickSeconds: number;
  operationLatencyMs: number;
  instanceStepMs: number;
  autohealSeconds: number;
}

const SEVERITY_WIDTH = 8;

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
  const nat = stack.emulator.migs.list({ project: SAMPLE.project, region: SAMPLE.region, name: SAMPLE.nat.mig }).map((m) => `${m.name} (${m.zone})`);
  const fns = [...stack.functions.values()].map((f) => `  ${f.target.padEnd(18)} ${f.url}  as ${stack.identity(f.target).email}`);
  const host = stack.emulator.url;
  return [
    '',
    `netreflex local Google Cloud on ${host}`,
    `  project ${SAMPLE.project} (#${SAMPLE.projectNumber}), region ${SAMPLE.region}`,
    `  ${SAMPLE.vpcA.network}/${SAMPLE.vpcA.subnet} ${SAMPLE.vpcA.range}   ${SAMPLE.vpcB.network}/${SAMPLE.vpcB.subnet} ${SAMPLE.vpcB.range}`,
    `  PSA ${SAMPLE.psa.address} ${SAMPLE.psa.range} peered as ${SAMPLE.psa.peering}`,
    `  NAT MIG ${SAMPLE.nat.mig}: ${nat.join(', ')}`,
    `  destinations ${SAMPLE.destinations.join(', ')}`,
    '',
    'functions (Functions Framework):',
    ...fns,
    `safety-net tick: every ${opts.tickSeconds} s on projects/${SAMPLE.project}/topics/netreflex-tick`,
    '',
    'Try it (another terminal):',
    `  export NETREFLEX_EMULATOR_HOST=${host}`,
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
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}

export async function up(opts: UpOptions): Promise<void> {
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) throw new ConfigError(`NETREFLEX_PORT / --port must be a TCP port (1–65535), got ${opts.port}`);
  const stack = await startStack({
    port: opts.port,
    functionsPort: opts.port + 1,
    tickMs: opts.tickSeconds * 1000,
    emulator: { pubsubPort: opts.port + 10, settings: { operationLatencyMs: opts.operationLatencyMs, instanceStepMs: opts.instanceStepMs, autohealDelayMs: opts.autohealSeconds * 1000 } },
    env: { NETREFLEX_SETTLE_POLL_MS: '1000' },
    onLine: printLine,
  });
  console.log(banner(stack, opts));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nnetreflex: stopping functions and the local Google Cloud…');
    await stack.stop();
    console.log('netreflex: stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
