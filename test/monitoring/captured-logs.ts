/**
 * The log lines netreflex's functions really write, captured for the monitoring checks: every
 * function runs under the Functions Framework in its own process (the local stack), a fixed
 * script drives each outcome the alerts care about — reconciles ok, degraded and failed; allowlist
 * syncs applied, unchanged, refused and failing on a tick; a preparation refused and failing; pipeline
 * requests started, duplicated and rejected — and each process's stdout is read back line by line.
 * The script waits on the event router going idle and on HTTP answers, never on time, so the same
 * lines come out on every run, however loaded the machine.
 */
import { readFileSync } from 'node:fs';
import { startStack, TICK_TOPIC } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { PIPELINE_REQUEST_TOPIC } from '../../local/workflows.js';

export interface CapturedLine {
  /** The function (entry point) that wrote it. */
  target: string;
  line: Record<string, unknown>;
}

const SAMPLE_ALLOWLIST = readFileSync(
  new URL('../../functions/armor-allowlist/sample-allowlist.yaml', import.meta.url),
);
const WORLD_OPEN = Buffer.from(
  'version: 1\npolicies: [inference-policy]\nlists:\n  everyone:\n    description: a mistake\n    entries:\n      - cidr: 0.0.0.0/0\n        description: the whole internet\n',
);

/** Structured lines only: what Cloud Logging would parse into jsonPayload. */
function structured(output: string[]): Record<string, unknown>[] {
  return output.flatMap((text) => {
    try {
      const line = JSON.parse(text) as unknown;
      return line && typeof line === 'object' && 'severity' in line ? [line as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

export async function captureFunctionLogs(): Promise<CapturedLine[]> {
  const stack = await startStack({
    emulator: {
      natInstances: ['nat-m1', 'nat-m2'],
      settings: { operationLatencyMs: 10, instanceStepMs: 20, pipelineStepMs: 10, pipelineRunMs: 50 },
    },
    env: { NETREFLEX_SETTLE_TIMEOUT_SECONDS: '0' },
  });
  stack.emulator.workflows.timeScale = 0.001;
  const emu = stack.emulator;
  const tick = async () => {
    emu.topics.publish(`projects/${SAMPLE.project}/topics/${TICK_TOPIC}`, [{ data: '{}' }]);
    await emu.events.idle();
  };
  const post = (target: string, body: unknown) =>
    fetch(stack.functions.get(target)!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const upload = async (bytes: Buffer) => {
    emu.storage.writeObject(SAMPLE.bucket.name, SAMPLE.bucket.allowlistObject, bytes, { contentType: 'text/yaml' });
    await emu.events.idle();
  };
  try {
    await tick(); // natRoutes ok (routes created), armorAllowlist ok (the sample file applied)
    await tick(); // both again: ok / unchanged
    emu.faults.failNext('compute.routes.list', 1000, 500);
    await tick(); // natRoutes failed; armorAllowlist unaffected
    await post('natRoutesSync', {}); // natRoutesSync failing
    emu.faults.clear();
    const ref = { project: SAMPLE.project, region: SAMPLE.region, name: SAMPLE.nat.mig };
    for (const mi of emu.migs.list(ref)) emu.migs.setHealth(ref, mi.name, 'UNHEALTHY');
    await tick(); // natRoutes degraded
    await post('natRoutesSync', {}); // natRoutesSync degraded (422)
    await upload(WORLD_OPEN); // armorAllowlist refused (upload)
    await tick(); // refused on the tick: expiry stalled
    await upload(SAMPLE_ALLOWLIST);
    emu.faults.failNext('compute.securityPolicies.get', 1000, 500);
    await tick(); // armorAllowlist sync failed on the tick
    emu.faults.clear();
    await post('peeringRanges', { parallelJobs: 100000, nodesPerJob: 8 }); // pool exhausted
    await post('peeringRanges', { parallelJobs: 'many' }); // bad request
    const requests = `projects/${SAMPLE.project}/topics/${PIPELINE_REQUEST_TOPIC}`;
    emu.events.injectFault({ kind: 'duplicate', subscription: 'pipelineRequests-0', count: 1, times: 1 });
    emu.topics.publish(requests, [
      { data: JSON.stringify({ requestId: 'monitoring-1', templateUri: 'gs://netreflex-demo-pipelines/p.yaml' }) },
    ]);
    emu.topics.publish(requests, [{ data: JSON.stringify({ requestId: 'monitoring-2', templateUri: 'ftp://nope' }) }]);
    await emu.events.idle();
    return [...stack.functions.values()].flatMap((f) =>
      structured(f.output).map((line) => ({ target: f.target, line })),
    );
  } finally {
    await stack.stop();
  }
}
