/**
 * Starts the `vertex-pipeline-run` workflow with the official @google-cloud/workflows client — the
 * way a team's scheduler or CI would — and prints each state until the run ends, then its summary
 * (ranges used, routes verified, pipeline job, final state) or the step that failed and why.
 * Against the local Google Cloud: NETREFLEX_EMULATOR_HOST=http://127.0.0.1:8090 (or 127.0.0.1:8090).
 *
 *   npx tsx examples/run-pipeline.ts [parallelJobs] [nodesPerJob]
 */
import { ExecutionsClient } from '@google-cloud/workflows';
import { PassThroughClient } from 'google-auth-library';

const raw = process.env.NETREFLEX_EMULATOR_HOST ?? 'http://127.0.0.1:8090';
const host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`); // a URL, or host:port as PUBSUB_EMULATOR_HOST takes it
const project = process.env.NETREFLEX_PROJECT ?? 'netreflex-demo';
const region = process.env.NETREFLEX_REGION ?? 'asia-northeast1';
const [parallelJobs = 1, nodesPerJob = 8] = process.argv.slice(2).map(Number);

const client = new ExecutionsClient({ apiEndpoint: host.hostname, port: Number(host.port), protocol: host.protocol.replace(':', ''), fallback: true, authClient: new PassThroughClient() } as unknown as ConstructorParameters<typeof ExecutionsClient>[0]);
const argument = { templateUri: 'gs://netreflex-demo-config/pipelines/train.json', displayName: 'demo-run', parameterValues: { epochs: 3 }, parallelJobs, nodesPerJob, pollSeconds: 2 };
const [started] = await client.createExecution({ parent: client.workflowPath(project, region, 'vertex-pipeline-run'), execution: { argument: JSON.stringify(argument) } });
console.log(`started ${started.name}`);

let execution = started;
while (execution.state === 'ACTIVE' || execution.state === 'QUEUED') {
  await new Promise((r) => setTimeout(r, 1000));
  [execution] = await client.getExecution({ name: started.name! });
  console.log(`  ${execution.state}`);
}
console.log(execution.state === 'SUCCEEDED' ? JSON.stringify(JSON.parse(execution.result ?? 'null'), null, 2) : `failed: ${execution.error?.payload}`);
await client.close();
process.exitCode = execution.state === 'SUCCEEDED' ? 0 : 1;
