/**
 * Starts the `vertex-pipeline-run` workflow with the official @google-cloud/workflows client — the
 * way a team's scheduler or CI would — and prints each state until the run ends, then its summary
 * (ranges used, routes verified, pipeline job, final state) or the step that failed and why.
 * Against the local Google Cloud: NETREFLEX_EMULATOR_HOST=http://127.0.0.1:8090 (or 127.0.0.1:8090).
 * It first uploads (official @google-cloud/storage client) a compiled pipeline whose training step
 * runs `parallelJobs` jobs of `nodesPerJob` nodes at once, so Vertex really needs that much room.
 *
 *   npx tsx examples/run-pipeline.ts [parallelJobs] [nodesPerJob]
 */
import { ExecutionsClient } from '@google-cloud/workflows';
import { PassThroughClient } from 'google-auth-library';
import { Storage } from '@google-cloud/storage';

const raw = process.env.NETREFLEX_EMULATOR_HOST ?? 'http://127.0.0.1:8090';
const host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`); // a URL, or host:port as PUBSUB_EMULATOR_HOST takes it
const project = process.env.NETREFLEX_PROJECT ?? 'netreflex-demo';
const region = process.env.NETREFLEX_REGION ?? 'asia-northeast1';
const [parallelJobs = 1, nodesPerJob = 8] = process.argv.slice(2).map(Number);

const client = new ExecutionsClient({
  apiEndpoint: host.hostname,
  port: Number(host.port),
  protocol: host.protocol.replace(':', ''),
  fallback: true,
  authClient: new PassThroughClient(),
} as unknown as ConstructorParameters<typeof ExecutionsClient>[0]);
/** A KFP pipeline: a ParallelFor over `parallelJobs` items of a custom training job with `nodesPerJob` replicas. */
const pipeline = {
  pipelineInfo: { name: 'demo-train' },
  schemaVersion: '2.1.0',
  sdkVersion: 'kfp-2.7.0',
  root: {
    dag: {
      tasks: {
        'for-loop-1': {
          componentRef: { name: 'comp-for-loop-1' },
          parameterIterator: {
            itemInput: 'pipelinechannel--shard',
            items: { raw: JSON.stringify([...Array(parallelJobs).keys()]) },
          },
        },
      },
    },
  },
  components: {
    'comp-for-loop-1': { dag: { tasks: { train: { componentRef: { name: 'comp-train' } } } } },
    'comp-train': { executorLabel: 'exec-train' },
  },
  deploymentSpec: {
    executors: {
      'exec-train': {
        customJob: {
          customJob: {
            displayName: 'train',
            jobSpec: {
              workerPoolSpecs: [
                {
                  machineSpec: { machineType: 'n1-standard-8' },
                  replicaCount: String(nodesPerJob),
                  containerSpec: { imageUri: 'python:3.11' },
                },
              ],
            },
          },
        },
      },
    },
  },
};
// A compiled pipeline JSON in the pipeline bucket (terraform-bootstrap/bucket.tf), which the workflow
// reads and sends as the PipelineJob's pipelineSpec.
const templateUri = `gs://${project}-netreflex-pipelines/templates/train-${parallelJobs}x${nodesPerJob}.json`;
const [, bucket, object] = /^gs:\/\/([^/]+)\/(.+)$/.exec(templateUri)!;
await new Storage({ apiEndpoint: host.origin, projectId: project })
  .bucket(bucket!)
  .file(object!)
  .save(JSON.stringify(pipeline), { contentType: 'application/json', resumable: false });

const argument = {
  templateUri,
  displayName: 'demo-run',
  parameterValues: { epochs: 3 },
  parallelJobs,
  nodesPerJob,
  pollSeconds: 2,
};
const [started] = await client.createExecution({
  parent: client.workflowPath(project, region, 'vertex-pipeline-run'),
  execution: { argument: JSON.stringify(argument) },
});
console.log(`started ${started.name}`);

let execution = started;
while (execution.state === 'ACTIVE' || execution.state === 'QUEUED') {
  await new Promise((r) => setTimeout(r, 1000));
  [execution] = await client.getExecution({ name: started.name! });
  console.log(`  ${execution.state}`);
}
console.log(
  execution.state === 'SUCCEEDED'
    ? JSON.stringify(JSON.parse(execution.result ?? 'null'), null, 2)
    : `failed: ${execution.error?.payload}`,
);
await client.close();
process.exitCode = execution.state === 'SUCCEEDED' ? 0 : 1;
