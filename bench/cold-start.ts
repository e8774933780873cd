/**
 * (a) Cold start: from spawning the Functions Framework process to the answer to its first
 * event, compiled JS, against a local Google Cloud whose routes are already right (so natRoutes'
 * first event is a full observe → plan → verify with no mutation, whose report it publishes to its
 * result topic as deployed, calling as its service account through a metadata server). Rows: a bare CloudEvent
 * function (the baseline), natRoutes, and natRoutes' sync through `@google-cloud/compute`.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Emulator } from '../emulator/server.js';
import { startSampleEmulator } from '../local/seed.js';
import { functionIdentity, ROUTE_RESULT_TOPIC, sampleEnv, sampleIam } from '../local/stack.js';
import { installTerraformIam } from '../local/terraform/iam.js';
import { startMetadataServer, type MetadataServer } from '../emulator/iam/metadata-server.js';
import { SAMPLE } from '../local/topology.js';
import { Transport } from '../shared/gcp/transport.js';
import { loadNatRoutesConfig } from '../shared/config/nat-routes.js';
import { reconcileRoutes } from '../shared/nat-routes/reconcile.js';
import { figure, type BenchContext, type BenchModule } from './types.js';

const require = createRequire(import.meta.url);

interface Variant {
  what: string;
  target: string;
  source: string;
}

const TICK = {
  id: 'bench-tick',
  source: `//pubsub.googleapis.com/projects/${SAMPLE.project}/topics/netreflex-tick`,
  type: 'google.cloud.pubsub.topic.v1.messagePublished',
  data: {
    message: {
      data: Buffer.from('{"kind":"tick"}').toString('base64'),
      messageId: '1',
      publishTime: new Date().toISOString(),
    },
  },
};

/** POSTs the tick in binary content mode; undefined while nothing listens yet. */
async function sendTick(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'ce-id': TICK.id,
        'ce-source': TICK.source,
        'ce-type': TICK.type,
        'ce-specversion': '1.0',
      },
      body: JSON.stringify(TICK.data),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

let nextPort = 18_700 + Math.floor(Math.random() * 500);

/** Milliseconds from spawn to the answer to the first event. */
async function coldStart(variant: Variant, env: Record<string, string>): Promise<number> {
  const ffMain = path.join(path.dirname(require.resolve('@google-cloud/functions-framework')), 'main.js');
  const port = nextPort++;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ffMain,
      `--target=${variant.target}`,
      '--signature-type=cloudevent',
      `--source=${variant.source}`,
      `--port=${port}`,
    ],
    {
      env: {
        ...process.env,
        ...env,
        FUNCTION_TARGET: variant.target,
        FUNCTION_SIGNATURE_TYPE: 'cloudevent',
        NODE_OPTIONS: '',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`${variant.target} exited with code ${child.exitCode}: ${stderr.join('')}`);
      const status = await sendTick(`http://127.0.0.1:${port}`);
      if (status !== undefined) {
        if (status >= 300)
          throw new Error(`${variant.target} answered its first event with ${status}: ${stderr.join('')}`);
        return performance.now() - started;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}

/**
 * The sample topology with its routes in place and iam.tf's roles, natRoutes calling as its own
 * service account through a metadata server, as the local stack (and Cloud Run) runs it.
 */
async function convergedEmulator(): Promise<{ emu: Emulator; metadata: MetadataServer; env: Record<string, string> }> {
  const emu = await startSampleEmulator({ settings: { operationLatencyMs: 0 } });
  const iam = await sampleIam();
  installTerraformIam(emu.iam, iam);
  emu.topics.ensure(`projects/${SAMPLE.project}/topics/${ROUTE_RESULT_TOPIC}`);
  const metadata = await startMetadataServer(functionIdentity(emu, iam, 'natRoutes'));
  const env = {
    ...sampleEnv(emu.url),
    GCE_METADATA_HOST: metadata.host,
    METADATA_SERVER_DETECTION: 'assume-present',
    NETREFLEX_RESULT_TOPIC: ROUTE_RESULT_TOPIC,
    NETREFLEX_LOG_LEVEL: 'info',
    NETREFLEX_SETTLE_TIMEOUT_SECONDS: '0',
  };
  await reconcileRoutes(new Transport({ emulatorHost: emu.url }), loadNatRoutesConfig(env));
  return { emu, metadata, env };
}

async function run(ctx: BenchContext) {
  const build = await ctx.compiled();
  const variants: Variant[] = [
    {
      what: 'bare Functions Framework CloudEvent function',
      target: 'bare',
      source: path.join(build, 'bench/fixtures/bare-function.js'),
    },
    { what: 'natRoutes (thin REST layer)', target: 'natRoutes', source: path.join(build, 'functions/index.js') },
    {
      what: 'natRoutes sync with @google-cloud/compute',
      target: 'natRoutesComputeClient',
      source: path.join(build, 'bench/fixtures/nat-routes-compute-client.js'),
    },
  ];
  const { emu, metadata, env } = await convergedEmulator();
  const samples = new Map<string, number[]>(variants.map((v) => [v.target, []]));
  try {
    for (let i = 0; i < ctx.runs; i++) {
      // The official-client row costs ~10× the others; three samples make its point.
      for (const v of variants)
        if (v.target !== 'natRoutesComputeClient' || i < 3) samples.get(v.target)!.push(await coldStart(v, env));
      ctx.log(
        `cold start run ${i + 1}/${ctx.runs}: ${variants.map((v) => `${v.target} ${Math.round(samples.get(v.target)!.at(-1)!)} ms`).join(', ')}`,
      );
    }
  } finally {
    await metadata.close();
    await emu.close();
  }
  const baseline = { what: variants[0]!.what, samples: samples.get('bare')! };
  const [, natRoutes, withClient] = variants as [Variant, Variant, Variant];
  return [
    figure({
      id: 'cold-start.nat-routes',
      what: `cold start: ${natRoutes.what}`,
      unit: 'ms',
      samples: samples.get(natRoutes.target)!,
      baseline,
      target: { text: '≤ 1.8× bare', test: (value, base) => value <= 1.8 * base },
    }),
    figure({
      id: 'cold-start.nat-routes-compute-client',
      what: `cold start: ${withClient.what}`,
      unit: 'ms',
      samples: samples.get(withClient.target)!,
      baseline,
      note: 'why netreflex does not use the official client in functions',
    }),
  ];
}

export const coldStartBench: BenchModule = {
  id: 'cold-start',
  title: 'Cold start (compiled JS, spawn → first handled event)',
  run,
};
