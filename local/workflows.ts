/**
 * Deploys the repository's `workflows/*.yaml` into the local Workflows at stack start, each with
 * the environment Terraform gives it (`terraform-bootstrap/workflows.tf`), pointed at the local
 * functions instead of the deployed ones. So `npm start` can run `vertex-pipeline-run` at once.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { SAMPLE, SAMPLE_EGRESS_IPS } from './topology.js';
import type { LocalWorkflows } from '../emulator/workflows/local.js';
import type { Emulator } from '../emulator/server.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../workflows');

/** The workflows netreflex ships: file name without extension → source. */
export function repoWorkflows(dir = DIR): Map<string, string> {
  if (!existsSync(dir)) return new Map();
  const files = readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  return new Map(files.map((f) => [f.replace(/\.(ya?ml|json)$/, ''), readFileSync(path.join(dir, f), 'utf8')]));
}

/**
 * What `sys.get_env` reads in the local stack: the function URLs and the sample topology's
 * values, mirroring workflows.tf's user_env_vars (a missing function's URL stays unset, and the
 * workflow step that needs it says so).
 */
export function localWorkflowEnv(
  functionUrls: ReadonlyMap<string, string>,
  identity: LocalWorkflowIdentity = {},
): Record<string, string> {
  const env: Record<string, string> = {
    NETREFLEX_NETWORK: `projects/${SAMPLE.projectNumber}/global/networks/${SAMPLE.vpcA.network}`,
    NETREFLEX_SECURITY_POLICY: SAMPLE.armor.policy,
    NETREFLEX_EGRESS_IPS: SAMPLE_EGRESS_IPS.join(','),
    NETREFLEX_SERVICE_ACCOUNT:
      identity.pipelineServiceAccount ?? `${SAMPLE.projectNumber}-compute@developer.gserviceaccount.com`,
    NETREFLEX_REPLY_TOPIC: PIPELINE_REPLY_TOPIC,
    NETREFLEX_PIPELINE_ROOT: SAMPLE.pipelineRoot,
  };
  const peering = functionUrls.get('peeringRanges');
  const routes = functionUrls.get('natRoutesSync');
  const egress = functionUrls.get('armorAllowlistVerify');
  if (peering) env.NETREFLEX_PEERING_RANGES_URL = peering;
  if (routes) env.NETREFLEX_NAT_ROUTES_URL = routes;
  if (egress) env.NETREFLEX_ARMOR_VERIFY_URL = egress;
  return env;
}

/** Who the workflow runs as, and whom its pipeline jobs run as (workflows.tf, main.tf). */
export interface LocalWorkflowIdentity {
  /** The workflow's service account (google_workflows_workflow.service_account). */
  serviceAccount?: string;
  /** NETREFLEX_SERVICE_ACCOUNT (local.pipeline_service_account; the Compute Engine default account unless set). */
  pipelineServiceAccount?: string;
}

/** Deploys every repo workflow under the sample project and region; answers their names. */
export function deployRepoWorkflows(
  workflows: LocalWorkflows,
  functionUrls: ReadonlyMap<string, string>,
  extraEnv: Record<string, string> = {},
  identity: LocalWorkflowIdentity = {},
): string[] {
  const env = { ...localWorkflowEnv(functionUrls, identity), ...extraEnv };
  const serviceAccount = identity.serviceAccount
    ? `projects/${SAMPLE.project}/serviceAccounts/${identity.serviceAccount}`
    : undefined;
  return [...repoWorkflows()].map(
    ([id, source]) =>
      workflows.engine.deployWorkflow(
        `projects/${SAMPLE.project}/locations/${SAMPLE.region}/workflows/${id}`,
        source,
        env,
        serviceAccount,
      ).name,
  );
}

/** Topics a team publishes pipeline run requests to, and reads the answers from. */
export const PIPELINE_REQUEST_TOPIC = 'netreflex-pipeline-requests';
export const PIPELINE_REPLY_TOPIC = 'netreflex-pipeline-replies';

/**
 * Stack start-up for Workflows: deploys the repo's workflows pointed at the running functions and
 * running as the service account Terraform gives them, and creates the pipeline request/reply
 * topics and the request claims' bucket, as Terraform does for a real project.
 */
export function prepareLocalWorkflows(
  emulator: Emulator,
  functions: ReadonlyMap<string, { url: string }>,
  identity: LocalWorkflowIdentity = {},
): string[] {
  emulator.topics.ensure(`projects/${SAMPLE.project}/topics/${PIPELINE_REQUEST_TOPIC}`);
  emulator.topics.ensure(`projects/${SAMPLE.project}/topics/${PIPELINE_REPLY_TOPIC}`);
  if (!emulator.storage.listBuckets(SAMPLE.project).some((b) => b.name === SAMPLE.requestBucket))
    emulator.storage.createBucket(SAMPLE.project, {
      name: SAMPLE.requestBucket,
      location: SAMPLE.region,
      versioning: { enabled: false },
    });
  return deployRepoWorkflows(
    emulator.workflows,
    new Map([...functions].map(([target, f]) => [target, f.url])),
    {},
    identity,
  );
}
