/**
 * workflows/vertex-pipeline-run.yaml end to end: the local Workflows engine runs the repo's YAML,
 * its http.* steps reach the local functions under the Functions Framework (the egress check is
 * armorAllowlistVerify's, the allowlist reconciler's own verdict), its googleapis.*
 * connectors reach the local Google Cloud, and everything is started and read through the
 * official clients (ExecutionsClient, PipelineServiceClient, Compute) as a user would. Workflow
 * waits are compressed (`emulator.workflows.timeScale`), so retries and polling cost no real time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionsClient } from '@google-cloud/workflows';
import { startStack, type Stack } from '../../local/stack.js';
import { SAMPLE, SAMPLE_TEMPLATE_URI } from '../../local/topology.js';
import { computeClients, PROJECT, waitFor, type ComputeClients } from '../helpers/compute.js';
import { networkOf, serviceNetworking, vertexClients } from '../helpers/vertex.js';
import { awaitExecution, executionsClient, workflowName } from '../helpers/workflows.js';
import { kfpPipeline, toStruct } from '../helpers/pipelines.js';

const WORKFLOW = workflowName('vertex-pipeline-run');

let stack: Stack;
let executions: ExecutionsClient;
let c: ComputeClients;

const request = (extra: Record<string, unknown> = {}) => ({
  templateUri: SAMPLE_TEMPLATE_URI,
  displayName: 'nightly-train',
  parallelJobs: 1,
  nodesPerJob: 8,
  ...extra,
});

/** The runs peeringRanges still counts as prepared on vpc-a (the lease object's reservations). */
const LEASE = `peering-ranges/${SAMPLE.project}/vpc-a.json`;
function reservedRuns(): string[] {
  const { data } = stack.emulator.storage.getObject(SAMPLE.stateBucket, LEASE);
  return (JSON.parse(data.toString()) as { reservations: { runId: string }[] }).reservations.map((r) => r.runId);
}
const runIdOf = (execution: { name?: string | null }) => execution.name!.split('/').pop()!;

const securityPolicies = () => computeClients(stack.emulator.port).securityPolicies;

async function run(argument: unknown) {
  const [created] = await executions.createExecution({
    parent: WORKFLOW,
    execution: { argument: JSON.stringify(argument) },
  });
  return awaitExecution(executions, created.name!, 25_000);
}

beforeAll(async () => {
  stack = await startStack({
    functions: ['natRoutesSync', 'peeringRanges', 'armorAllowlistVerify'],
    emulator: {
      natInstances: ['nat-w1', 'nat-w2'],
      settings: { operationLatencyMs: 20, instanceStepMs: 40, pipelineStepMs: 20, pipelineRunMs: 150 },
    },
  });
  stack.emulator.workflows.timeScale = 0.001;
  executions = executionsClient(stack.emulator.port);
  c = computeClients(stack.emulator.port);
  const policies = securityPolicies();
  await c.wait(
    await policies.addRule({
      project: PROJECT,
      securityPolicy: SAMPLE.armor.policy,
      securityPolicyRuleResource: {
        priority: 1000,
        action: 'allow',
        match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['203.0.113.0/28'] } },
      },
    }),
  );
}, 60_000);

afterAll(async () => {
  await executions?.close();
  await stack?.stop();
});

describe('vertex-pipeline-run through the official ExecutionsClient', () => {
  it('happy path: ranges, routes, allowlist, then a SUCCEEDED pipeline job on VPC A with the prepared ranges', async () => {
    const done = await run(request());
    expect(done.error?.context ?? '').toBe('');
    expect(done.state).toBe('SUCCEEDED');
    const summary = JSON.parse(done.result!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(summary).toMatchObject({
      state: 'PIPELINE_STATE_SUCCEEDED',
      network: networkOf(SAMPLE.vpcA.network),
      routes: { status: 'ok' },
      egressIps: { [SAMPLE.cloudNat.ip]: 1000 },
    });
    expect(summary.routes.exported).toEqual([...SAMPLE.destinations]);
    expect(summary.reservedIpRanges).toContain(SAMPLE.psa.address);
    const [job] = await vertexClients(stack.emulator.port).pipelines.getPipelineJob({ name: summary.job });
    expect(job.network).toBe(networkOf(SAMPLE.vpcA.network));
    expect(job.reservedIpRanges).toEqual(summary.reservedIpRanges);
    expect(job.displayName).toBe('nightly-train');
    expect(job.runtimeConfig?.gcsOutputDirectory).toBe(SAMPLE.pipelineRoot);
    // the gs:// template was read by the workflow and sent as pipelineSpec: Vertex AI takes only
    // Template Registry URIs as templateUri (pipeline_job.proto)
    expect(job.templateUri ?? '').toBe('');
    expect(JSON.stringify(job.pipelineSpec)).toContain('train');
  });

  it('gcsOutputDirectory (REQUIRED by Vertex AI) comes from the argument, else from NETREFLEX_PIPELINE_ROOT; a bad one fails at check_input', async () => {
    const done = await run(request({ gcsOutputDirectory: 'gs://team-ml-artifacts/nightly' }));
    expect(done.state).toBe('SUCCEEDED');
    const [job] = await vertexClients(stack.emulator.port).pipelines.getPipelineJob({
      name: (JSON.parse(done.result!) as { job: string }).job,
    });
    expect(job.runtimeConfig?.gcsOutputDirectory).toBe('gs://team-ml-artifacts/nightly');
    const bad = await run(request({ gcsOutputDirectory: '/tmp/out' }));
    expect(bad.state).toBe('FAILED');
    expect(JSON.parse(bad.error!.payload!)).toMatchObject({
      step: 'check_input',
      message: expect.stringContaining('gcsOutputDirectory must be a gs://bucket/path'),
    });
  });

  it('a pipeline that fails: the execution fails at wait_job with the job state and its error', async () => {
    const done = await run(request({ parameterValues: { emulatorFail: 'trainer: out of memory' } }));
    expect(done.state).toBe('FAILED');
    const payload = JSON.parse(done.error!.payload!) as { message: string; step: string };
    expect(payload.step).toBe('wait_job');
    expect(payload.message).toMatch(/^wait_job: pipeline job .* ended PIPELINE_STATE_FAILED: trainer: out of memory/);
  });

  it('a function answering 503 twice then succeeding is retried by http.default_retry', async () => {
    const url = stack.functions.get('natRoutesSync')!.url;
    const fired = stack.emulator.workflows.httpFaults.fired.length;
    stack.emulator.workflows.httpFaults.failNext(url, 2, 503);
    const done = await run(request());
    expect(done.state).toBe('SUCCEEDED');
    expect(stack.emulator.workflows.httpFaults.fired.slice(fired)).toEqual([`503 POST ${url}`, `503 POST ${url}`]);
    expect(stack.emulator.workflows.clock.now()).toBeGreaterThan(Date.now());
  });

  it('a function failing for good: the execution names the step and the HTTP code', async () => {
    const url = stack.functions.get('natRoutesSync')!.url;
    stack.emulator.workflows.httpFaults.failNext(url, 10, 500);
    const done = await run(request());
    stack.emulator.workflows.httpFaults.clear();
    expect(done.state).toBe('FAILED');
    expect(JSON.parse(done.error!.payload!)).toMatchObject({
      step: 'sync_routes',
      message: expect.stringMatching(/^sync_routes failed \(HTTP 500\)/),
    });
    // prepared, then failed before its PipelineJob: its reservation is released, not left to count for 30 min
    expect(reservedRuns()).not.toContain(runIdOf(done));
  });

  it('a run that fails after the preparation releases its reservation; until then it counted', async () => {
    const storage = stack.emulator.storage;
    const write = storage.writeObject.bind(storage);
    const written: string[][] = [];
    storage.writeObject = (bucket, name, data, ...rest) => {
      if (name === LEASE)
        written.push(
          (JSON.parse(data.toString()) as { reservations: { runId: string }[] }).reservations.map((r) => r.runId),
        );
      return write(bucket, name, data, ...rest);
    };
    const url = stack.functions.get('natRoutesSync')!.url;
    stack.emulator.workflows.httpFaults.failNext(url, 10, 500);
    try {
      const done = await run(request({ parallelJobs: 3 }));
      expect(done.state).toBe('FAILED');
      const id = runIdOf(done);
      expect(written.some((runs) => runs.includes(id))).toBe(true); // the preparation reserved it
      expect(written.at(-1)).not.toContain(id); // the release took it out
      expect(reservedRuns()).not.toContain(id);
    } finally {
      storage.writeObject = write;
      stack.emulator.workflows.httpFaults.clear();
    }
  });

  it('a YAML template in Cloud Storage is refused at check_input, saying to compile it to JSON (Workflows parses JSON only)', async () => {
    const done = await run(request({ templateUri: `gs://${SAMPLE.template.bucket}/templates/train.yaml` }));
    expect(done.state).toBe('FAILED');
    const error = JSON.parse(done.error!.payload!) as { step: string; message: string };
    expect(error.step).toBe('check_input');
    expect(error.message).toContain('gs://BUCKET/OBJECT.json');
    expect(error.message).toContain('kfp.compiler.Compiler().compile');
  });

  it('rejects a bad argument at check_input', async () => {
    const done = await run({ displayName: 'no template' });
    expect(done.state).toBe('FAILED');
    expect(JSON.parse(done.error!.payload!)).toMatchObject({ step: 'check_input' });
  });

  it('range exhaustion: prepare_ranges fails naming the pool', async () => {
    const done = await run(request({ parallelJobs: 100000 }));
    expect(done.state).toBe('FAILED');
    expect(JSON.parse(done.error!.payload!)).toMatchObject({ step: 'prepare_ranges' });
  });

  it('another network busy: the run fails naming the job that holds the region', async () => {
    const sn = serviceNetworking(stack.emulator.url);
    stack.emulator.store.insert(`projects/${SAMPLE.project}/global/addresses`, {
      name: 'b-psa',
      address: '10.200.0.0',
      prefixLength: 21,
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      network: `https://www.googleapis.com/compute/v1/projects/${SAMPLE.project}/global/networks/vpc-b`,
    });
    await sn.wait(await sn.create(networkOf('vpc-b'), ['b-psa']));
    stack.emulator.settings.pipelineRunMs = 60_000;
    const { pipelines } = vertexClients(stack.emulator.port);
    const [other] = await pipelines.createPipelineJob({
      parent: `projects/${SAMPLE.project}/locations/${SAMPLE.region}`,
      pipelineJob: {
        displayName: 'other-team',
        pipelineSpec: toStruct(kfpPipeline('other-team', [{ name: 'train', parallel: 1, nodes: 1 }])),
        network: networkOf('vpc-b'),
      },
    });
    await waitFor('the other job to run', async () =>
      String((await pipelines.getPipelineJob({ name: other.name! }))[0].state).match(/RUNNING|3/),
    );
    const done = await run(request());
    await pipelines.cancelPipelineJob({ name: other.name! });
    stack.emulator.settings.pipelineRunMs = 150;
    expect(done.state).toBe('FAILED');
    const payload = JSON.parse(done.error!.payload!) as { step: string; message: string };
    expect(['prepare_ranges', 'create_job', 'wait_job']).toContain(payload.step);
    expect(payload.message).toContain(other.name!);
  });

  it('a CEL deny ahead of the allow rule stops the run at check_allowlist (armorAllowlistVerify cannot judge it), before any job', async () => {
    const policies = securityPolicies();
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
      const done = await run(request());
      expect(done.state).toBe('FAILED');
      expect(JSON.parse(done.error!.payload!)).toMatchObject({
        step: 'check_allowlist',
        message: expect.stringMatching(
          /^check_allowlist failed \(HTTP 422\): .*inference-policy cannot be judged for egress IP 203\.0\.113\.5: rule 500 uses an expression this check cannot evaluate.*failing closed/,
        ),
      });
      expect(reservedRuns()).not.toContain(runIdOf(done));
    } finally {
      await c.wait(await policies.removeRule({ project: PROJECT, securityPolicy: SAMPLE.armor.policy, priority: 500 }));
    }
    // the same policy without it: the run proceeds past the check
    expect((await run(request())).state).toBe('SUCCEEDED');
  });

  it('armorAllowlistVerify over HTTP: 200 with the allowing rule, 400 for a bad request saying what to send, 405 for GET', async () => {
    const url = stack.functions.get('armorAllowlistVerify')!.url;
    const post = (body: unknown) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const allowed = await post({ policy: SAMPLE.armor.policy, ips: [SAMPLE.cloudNat.ip] });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({
      status: 'ok',
      policy: SAMPLE.armor.policy,
      allowedBy: { [SAMPLE.cloudNat.ip]: 1000 },
    });
    const bad = await post({ policy: SAMPLE.armor.policy, ips: ['203.0.113.0/28'] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      status: 'refused',
      error: { kind: 'invalid-request' },
      reasons: [expect.stringMatching(/send \{"policy".*\n {2}- ips\.0: "203\.0\.113\.0\/28" is not an IP address/s)],
    });
    expect((await fetch(url)).status).toBe(405);
  });

  it('an unreachable egress verifier stops the run at check_allowlist once the retries are spent', async () => {
    const url = stack.functions.get('armorAllowlistVerify')!.url;
    stack.emulator.workflows.httpFaults.failNext(url, 10, 503);
    try {
      const done = await run(request());
      expect(done.state).toBe('FAILED');
      expect(JSON.parse(done.error!.payload!)).toMatchObject({
        step: 'check_allowlist',
        message: expect.stringMatching(/^check_allowlist failed \(HTTP 503\)/),
      });
      expect(reservedRuns()).not.toContain(runIdOf(done));
    } finally {
      stack.emulator.workflows.httpFaults.clear();
    }
  });

  it('an egress IP the policy does not allow stops the run at check_allowlist, before any job', async () => {
    const policies = securityPolicies();
    await c.wait(await policies.removeRule({ project: PROJECT, securityPolicy: SAMPLE.armor.policy, priority: 1000 }));
    const done = await run(request());
    expect(done.state).toBe('FAILED');
    expect(JSON.parse(done.error!.payload!)).toMatchObject({
      step: 'check_allowlist',
      message: expect.stringMatching(
        /^check_allowlist failed \(HTTP 422\): .*inference-policy does not allow egress IP 203\.0\.113\.5: rule 2147483647 \(deny\(403\)\) decides; add it to the allowlist file/,
      ),
    });
    expect(reservedRuns()).not.toContain(runIdOf(done));
  });
});
