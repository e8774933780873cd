/**
 * The whole of netreflex on one machine: the local Google Cloud, every function under the
 * Functions Framework in its own process, Eventarc-style subscriptions wiring events to them,
 * and the scheduler ticks. `netreflex up` and the end-to-end tests both start this.
 *
 * IAM as deployed: the local Google Cloud holds terraform-bootstrap/iam.tf's custom roles and
 * bindings, and each function calls as the service account Terraform gives it (its own metadata
 * server hands out the emulator's tokens for that account), so a permission its role lacks is the
 * 403 production would answer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Emulator } from '../emulator/server.js';
import type { CheckRecord } from '../emulator/iam/enforce.js';
import { startSampleEmulator, type SampleEmulatorOptions } from './seed.js';
import { spawnFunction, type FunctionExit, type FunctionProcess } from './functions-host.js';
import { installTerraformIam, terraformIam, terraformValue, type TerraformIam } from './terraform/iam.js';
import { loadModule } from './terraform/reader.js';
import type { FunctionIdentity } from '../emulator/iam/metadata-server.js';
import { Scheduler } from './scheduler.js';
import { SAMPLE, SAMPLE_EGRESS_IPS } from './topology.js';
import { NAT_AUDIT_METHODS } from '../shared/nat-routes/trigger.js';
import { PIPELINE_REQUEST_TOPIC, prepareLocalWorkflows } from './workflows.js';

export const TICK_TOPIC = 'netreflex-tick';
/** Where natRoutes publishes each reconcile's report (events.tf, google_pubsub_topic.route_results). */
export const ROUTE_RESULT_TOPIC = 'netreflex-route-results';

export interface StackOptions {
  port?: number;
  /** First port for the functions (each takes the next one). */
  functionsPort?: number;
  emulator?: Omit<SampleEmulatorOptions, 'port'>;
  /** Which functions to run (default: all). */
  functions?: string[];
  /** Safety-net tick interval; 0 disables the scheduler. */
  tickMs?: number;
  /** Extra environment for every function. */
  env?: Record<string, string>;
  onLine?: (target: string, line: string) => void;
  /** The roles, bindings and service accounts in force (default: iam.tf's, `sampleIam()`). */
  iam?: StackIam;
}

export interface Stack {
  emulator: Emulator;
  functions: Map<string, FunctionProcess>;
  scheduler: Scheduler;
  env: Record<string, string>;
  iam: StackIam;
  /** The service account a function calls as, for a process a test spawns beside the stack's. */
  identity(target: string): FunctionIdentity;
  /** Settles when the first of the stack's functions exits on its own (not through `stop()`); never otherwise. */
  died: Promise<FunctionDeath>;
  stop(): Promise<void>;
}

export interface FunctionDeath extends FunctionExit {
  target: string;
  /** What it wrote, its last words included. */
  output: string[];
}

/** iam.tf as the local stack deploys it, and whom the workflow's pipeline jobs run as. */
export interface StackIam extends TerraformIam {
  /** NETREFLEX_SERVICE_ACCOUNT of workflows.tf (local.pipeline_service_account). */
  pipelineServiceAccount: string;
}

/** terraform-bootstrap's IAM for the sample project (Google's accounts named by its number). */
export async function sampleIam(): Promise<StackIam> {
  const m = await loadModule();
  const overrides = { project_id: SAMPLE.project, project_number: SAMPLE.projectNumber };
  return {
    ...terraformIam(m, overrides),
    pipelineServiceAccount: String(terraformValue(m, 'local.pipeline_service_account', overrides)),
  };
}

/** `target`'s service account (`google_service_account.function["<target>"]`), its tokens minted by `emulator`. */
export function functionIdentity(emulator: Emulator, iam: TerraformIam, target: string): FunctionIdentity {
  const address = `google_service_account.function["${target}"]`;
  const email = iam.serviceAccounts[address];
  if (!email)
    throw new Error(
      `terraform-bootstrap gives function ${target} no service account (${address}): add it to local.functions in functions.tf`,
    );
  return {
    email,
    project: SAMPLE.project,
    projectNumber: SAMPLE.projectNumber,
    mintToken: () => emulator.iam.mintToken(`serviceAccount:${email}`),
  };
}

/** The environment the sample topology needs, per the README's variable tables. */
export function sampleEnv(emulatorUrl: string): Record<string, string> {
  return {
    NETREFLEX_PROJECT: SAMPLE.project,
    NETREFLEX_REGION: SAMPLE.region,
    NETREFLEX_EMULATOR_HOST: emulatorUrl,
    NETREFLEX_NETWORK: SAMPLE.vpcA.network,
    NETREFLEX_NAT_MIG: SAMPLE.nat.mig,
    NETREFLEX_DESTINATIONS: SAMPLE.destinations.join(','),
    NETREFLEX_PEERING: SAMPLE.psa.peering,
    NETREFLEX_CONFIG_BUCKET: SAMPLE.bucket.name,
    NETREFLEX_STATE_BUCKET: SAMPLE.stateBucket,
    NETREFLEX_ALLOWLIST_OBJECT: SAMPLE.bucket.allowlistObject,
    NETREFLEX_PROJECT_NUMBER: SAMPLE.projectNumber,
    NETREFLEX_REQUEST_BUCKET: SAMPLE.requestBucket,
    // What the workflow's egress check asks about, so `netreflex status` compares it with the Cloud NAT's IPs.
    NETREFLEX_EGRESS_IPS: SAMPLE_EGRESS_IPS.join(','),
    NETREFLEX_SETTLE_POLL_MS: '200',
    NETREFLEX_SETTLE_TIMEOUT_SECONDS: '60',
  };
}

/** The functions in the order they take ports after the emulator's (`functionsPort`, +1, …). */
export const FUNCTION_TARGETS = [
  'natRoutes',
  'natRoutesSync',
  'armorAllowlist',
  'peeringRanges',
  'pipelineRequests',
  'armorAllowlistVerify',
] as const;

interface Wiring {
  target: (typeof FUNCTION_TARGETS)[number];
  signatureType: 'cloudevent' | 'http';
  /** Variables Terraform gives this function only (functions.tf). */
  env?: Record<string, string>;
  /** `attempts`: deliveries of a failed event (Eventarc's retry policy; Pub/Sub push retries). */
  subscriptions: { type: string; filters?: Record<string, string>; attempts?: number }[];
}

const WIRING: Wiring[] = [
  {
    target: 'natRoutes',
    signatureType: 'cloudevent',
    env: { NETREFLEX_RESULT_TOPIC: ROUTE_RESULT_TOPIC },
    subscriptions: [
      ...NAT_AUDIT_METHODS.map((methodname) => ({
        type: 'google.cloud.audit.log.v1.written',
        filters: { servicename: 'compute.googleapis.com', methodname },
      })),
      {
        type: 'google.cloud.pubsub.topic.v1.messagePublished',
        filters: { source: `//pubsub.googleapis.com/projects/${SAMPLE.project}/topics/${TICK_TOPIC}` },
      },
    ],
  },
  { target: 'natRoutesSync', signatureType: 'http', subscriptions: [] },
  {
    target: 'armorAllowlist',
    signatureType: 'cloudevent',
    subscriptions: [
      { type: 'google.cloud.storage.object.v1.finalized', filters: { bucket: SAMPLE.bucket.name } },
      {
        type: 'google.cloud.pubsub.topic.v1.messagePublished',
        filters: { source: `//pubsub.googleapis.com/projects/${SAMPLE.project}/topics/${TICK_TOPIC}` },
      },
    ],
  },
  { target: 'peeringRanges', signatureType: 'http', subscriptions: [] },
  { target: 'armorAllowlistVerify', signatureType: 'http', subscriptions: [] },
  {
    target: 'pipelineRequests',
    signatureType: 'cloudevent',
    // A message pipelineRequests does not acknowledge comes back: Eventarc's Pub/Sub transport
    // redelivers with exponential backoff (https://cloud.google.com/eventarc/docs/retry-events).
    subscriptions: [
      {
        type: 'google.cloud.pubsub.topic.v1.messagePublished',
        filters: { source: `//pubsub.googleapis.com/projects/${SAMPLE.project}/topics/${PIPELINE_REQUEST_TOPIC}` },
        attempts: 8,
      },
    ],
  },
];

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const iam = options.iam ?? (await sampleIam());
  const emulator = await startSampleEmulator({ ...options.emulator, port: options.port ?? 0 });
  const identity = (target: string) => functionIdentity(emulator, iam, target);
  const env = { ...sampleEnv(emulator.url), ...options.env };
  emulator.topics.ensure(`projects/${SAMPLE.project}/topics/${ROUTE_RESULT_TOPIC}`);
  const functions = new Map<string, FunctionProcess>();
  const wanted = WIRING.filter((w) => !options.functions || options.functions.includes(w.target));
  let port = options.functionsPort ?? 0;
  try {
    installTerraformIam(emulator.iam, iam);
    // Every start is awaited, so a function that fails never leaves another one running.
    const started = await Promise.allSettled(
      wanted.map(async (w) => {
        // Port 0: the function binds a free port itself and reports it, so nothing can take it in between.
        const fnPort = port ? port + FUNCTION_TARGETS.indexOf(w.target) : 0;
        return spawnFunction({
          target: w.target,
          signatureType: w.signatureType,
          port: fnPort,
          env: { ...sampleEnv(emulator.url), ...w.env, ...options.env },
          identity: identity(w.target),
          onLine: (line) => options.onLine?.(w.target, line),
        });
      }),
    );
    for (const s of started) if (s.status === 'fulfilled') functions.set(s.value.target, s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await Promise.all([...functions.values()].map((f) => f.stop()));
    await emulator.close();
    throw err;
  }
  port = 0;
  for (const w of wanted) {
    w.subscriptions.forEach((s, i) =>
      emulator.events.subscribe({
        id: `${w.target}-${i}`,
        type: s.type,
        filters: s.filters,
        url: functions.get(w.target)!.url,
        ...(s.attempts ? { attempts: s.attempts } : {}),
      }),
    );
  }
  prepareLocalWorkflows(emulator, functions, {
    serviceAccount: iam.serviceAccounts['google_service_account.workflow'],
    pipelineServiceAccount: iam.pipelineServiceAccount,
  });
  const scheduler = new Scheduler(emulator.topics);
  emulator.topics.ensure(`projects/${SAMPLE.project}/topics/${TICK_TOPIC}`);
  if (options.tickMs)
    scheduler.every('safety-net', `projects/${SAMPLE.project}/topics/${TICK_TOPIC}`, options.tickMs, 500);
  let stopping = false;
  const died = new Promise<FunctionDeath>((resolve) => {
    for (const fn of functions.values()) {
      void fn.exited.then((exit) => {
        if (!stopping && !fn.stopping) resolve({ target: fn.target, ...exit, output: fn.output });
      });
    }
  });
  const stop = async () => {
    stopping = true;
    scheduler.stop();
    await emulator.events.idle();
    await Promise.all([...functions.values()].map((f) => f.stop()));
    await emulator.close();
    if (!options.iam) writeChecks(emulator.iamChecks);
  };
  return { emulator, functions, scheduler, env, iam, identity, died, stop };
}

/** One permission check and how many times it was made alike. */
export type CountedCheck = CheckRecord & { count: number };

/** What `NETREFLEX_IAM_CHECKS_DIR/<id>.json` holds: the checks one stack saw, from `source`. */
export interface ChecksFile {
  /** NETREFLEX_IAM_CHECKS_SOURCE: who ran the stack (the test suite names the test file). */
  source: string;
  checks: CountedCheck[];
}

/**
 * A stack running iam.tf as deployed writes every permission check its functions and its workflow
 * made, once per distinct check, to a new file under NETREFLEX_IAM_CHECKS_DIR when it stops (when
 * that is set): test/iam/usage.test.ts holds iam.tf to what the end-to-end suite really called.
 * A stack given other roles (`iam`) ran a planted mistake and writes nothing.
 */
function writeChecks(checks: readonly CheckRecord[]): void {
  const dir = process.env.NETREFLEX_IAM_CHECKS_DIR;
  if (!dir) return;
  const counted = new Map<string, CountedCheck>();
  for (const c of checks) {
    const key = JSON.stringify([c.member, c.methodId, c.permission, c.resource, c.allowed, c.role, c.evaluated]);
    const seen = counted.get(key);
    if (seen) seen.count++;
    else counted.set(key, { ...c, count: 1 });
  }
  mkdirSync(dir, { recursive: true });
  const file: ChecksFile = { source: process.env.NETREFLEX_IAM_CHECKS_SOURCE ?? '', checks: [...counted.values()] };
  writeFileSync(join(dir, `${randomUUID()}.json`), JSON.stringify(file));
}
