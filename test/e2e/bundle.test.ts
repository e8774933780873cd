/**
 * What deploys is the bundle of `netreflex build`, not the TypeScript the other tests run: this
 * builds it, serves natRoutes from it under the Functions Framework (no tsx), and checks that one
 * tick builds the routes — so a bundling mistake (a missing external, a broken chunk) fails here.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions, ROOT } from '../../cli/build.js';
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator } from '../../local/seed.js';
import { spawnFunction, type FunctionProcess } from '../../local/functions-host.js';
import { sampleEnv } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { computeClients, waitFor } from '../helpers/compute.js';

let emu: Emulator;
let fn: FunctionProcess;

beforeAll(async () => {
  const entry = await buildFunctions(path.join(ROOT, '.netreflex', 'test-build', 'functions'));
  emu = await startSampleEmulator({ settings: { operationLatencyMs: 10 } });
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  fn = await spawnFunction({
    target: 'natRoutes',
    signatureType: 'cloudevent',
    port,
    env: sampleEnv(emu.url),
    source: entry,
  });
  emu.events.subscribe({ id: 'tick', type: 'google.cloud.pubsub.topic.v1.messagePublished', url: fn.url });
  emu.topics.ensure('projects/netreflex-demo/topics/netreflex-tick');
}, 60_000);

afterAll(async () => {
  await fn?.stop();
  await emu?.close();
});

describe('the deployable bundle', () => {
  it('serves natRoutes under the Functions Framework and reconciles on a tick', async () => {
    emu.topics.publish('projects/netreflex-demo/topics/netreflex-tick', [{ data: '{"kind":"tick"}' }]);
    await emu.events.idle();
    await waitFor('the bundled natRoutes answering its tick', async () =>
      fn.output.some((l) => l.includes('"severity":"INFO"') && l.includes('natRoutes: ok')),
    );
    // One route per destination × NAT VM of the MIG, each to that VM: what natRoutes keeps true.
    const [managed] = await computeClients(emu.port).migs.listManagedInstances({
      project: SAMPLE.project,
      region: SAMPLE.region,
      instanceGroupManager: SAMPLE.nat.mig,
    });
    const vms = managed.map((m) => String(m.instance).split('/').pop()).sort();
    expect(vms).toHaveLength(SAMPLE.nat.size);
    const routes = emu.store
      .list('projects/netreflex-demo/global/routes')
      .filter((r) => String(r.description ?? '').startsWith('netreflex:nat-routes'));
    const pairs = routes.map((r) => `${String(r.destRange)} → ${String(r.nextHopInstance).split('/').pop()}`).sort();
    expect(pairs).toEqual(SAMPLE.destinations.flatMap((d) => vms.map((vm) => `${d} → ${vm}`)).sort());
  });
});
