/**
 * The local Workflows service, pure of HTTP: deployed workflows and their executions in memory,
 * with the operations the Workflows and Executions APIs offer (deploy, get, list, delete;
 * create, get, list, cancel executions; step entries). A REST layer maps routes onto it; its
 * resources already have the REST field names, and its failures are the emulator's HttpErrors.
 */
import { createHash, randomUUID } from 'node:crypto';
import { notFound, badRequest, preconditionFailed } from '../errors.js';
import type { Clock } from './clock.js';
import { runWorkflow, type ExecutionError, type ExecutionOutcome } from './execution.js';
import { parseExecutionName, parseWorkflowName } from './names.js';
import type { RunDeps } from './runtime/deps.js';
import { History, type StepEntry } from './runtime/history.js';
import type { WorkflowDefinition } from './syntax/model.js';
import { parseWorkflow } from './syntax/workflow.js';
import { toJson, toValue, type Value } from './values.js';

export interface WorkflowResource {
  name: string;
  state: 'ACTIVE';
  revisionId: string;
  sourceContents: string;
  userEnvVars: Record<string, string>;
  /** `projects/{project}/serviceAccounts/{email}` or the email: the identity executions run as. */
  serviceAccount?: string;
  createTime: string;
  updateTime: string;
  revisionCreateTime: string;
}

export const EXECUTION_STATES = ['ACTIVE', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];

/** The Executions API's `Execution` resource. */
export interface Execution {
  name: string;
  state: ExecutionState;
  argument: string;
  result?: string;
  error?: ExecutionError;
  startTime: string;
  endTime?: string;
  duration?: string;
  workflowRevisionId: string;
  callLogLevel: 'CALL_LOG_LEVEL_UNSPECIFIED';
  /** The caller's labels (executions.proto `Execution.labels`), kept and listed as given. */
  labels?: Record<string, string>;
}

export interface EngineDeps extends Omit<RunDeps, 'signal' | 'history' | 'env'> {
  /** Every wait and time reading of every execution (clock.ts). */
  clock: Clock;
  /** Project number `sys.get_env("GOOGLE_CLOUD_PROJECT_NUMBER")` answers: fixed, or looked up by project id. */
  projectNumber?: string | ((project: string) => string);
  newExecutionId?: () => string;
  /**
   * A `sys.log` entry is a custom log sent to Cloud Logging (https://cloud.google.com/workflows/docs/log-workflow)
   * with the workflow's identity; writing a log entry needs logging.logEntries.create on the project
   * (https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write; the Logs Writer role).
   * Answers whether the account may; an entry it may not write does not reach the log.
   */
  mayWriteLog?: (serviceAccount: string, project: string) => boolean;
}

interface Deployed {
  resource: WorkflowResource;
  def: WorkflowDefinition;
  revision: number;
}

interface Running {
  execution: Execution;
  abort: AbortController;
  history: History;
  done: Promise<Execution>;
}

export class WorkflowsEngine {
  private readonly workflows = new Map<string, Deployed>();
  private readonly executions = new Map<string, Running>();
  private readonly clock: Clock;

  constructor(private readonly deps: EngineDeps) {
    this.clock = deps.clock;
  }

  /** Creates or updates a workflow; throws WorkflowSyntaxError listing every problem of `source`. */
  deployWorkflow(
    name: string,
    source: string,
    userEnvVars: Record<string, string> = {},
    serviceAccount?: string,
  ): WorkflowResource {
    parseWorkflowName(name);
    const def = parseWorkflow(source);
    const previous = this.workflows.get(name);
    const revision = (previous?.revision ?? 0) + 1;
    const now = this.nowIso();
    const resource: WorkflowResource = {
      name,
      state: 'ACTIVE',
      revisionId: `${String(revision).padStart(6, '0')}-${createHash('sha256').update(source).digest('hex').slice(0, 3)}`,
      sourceContents: source,
      userEnvVars: { ...userEnvVars },
      ...(serviceAccount ? { serviceAccount } : {}),
      createTime: previous?.resource.createTime ?? now,
      updateTime: now,
      revisionCreateTime: now,
    };
    this.workflows.set(name, { resource, def, revision });
    return resource;
  }

  getWorkflow(name: string): WorkflowResource {
    return this.deployed(name).resource;
  }

  /** Workflows under `projects/{p}/locations/{l}`. */
  listWorkflows(parent: string): WorkflowResource[] {
    return [...this.workflows.values()].map((d) => d.resource).filter((r) => r.name.startsWith(`${parent}/workflows/`));
  }

  deleteWorkflow(name: string): void {
    this.deployed(name);
    this.workflows.delete(name);
  }

  /** Starts an execution and returns it ACTIVE; the run goes on in the background. */
  createExecution(
    workflowName: string,
    request: { argument?: string; labels?: Record<string, string> } = {},
  ): Execution {
    const deployed = this.deployed(workflowName);
    const argument = parseArgument(request.argument);
    const id = (this.deps.newExecutionId ?? randomUUID)();
    const execution: Execution = {
      name: `${workflowName}/executions/${id}`,
      state: 'ACTIVE',
      argument: request.argument ?? 'null',
      startTime: this.nowIso(),
      workflowRevisionId: deployed.resource.revisionId,
      callLogLevel: 'CALL_LOG_LEVEL_UNSPECIFIED',
      ...(request.labels && Object.keys(request.labels).length ? { labels: { ...request.labels } } : {}),
    };
    const abort = new AbortController();
    const history = new History(this.clock);
    const env = this.environment(deployed.resource, id);
    const done = runWorkflow(deployed.def, argument, {
      ...this.deps,
      ...this.asCaller(deployed.resource),
      env,
      signal: abort.signal,
      history,
      clock: this.clock,
    }).then((o) => this.settle(execution, o));
    this.executions.set(execution.name, { execution, abort, history, done });
    return execution;
  }

  getExecution(name: string): Execution {
    return this.running(name).execution;
  }

  /** Executions of one workflow, newest first, as the API lists them. */
  listExecutions(workflowName: string): Execution[] {
    this.deployed(workflowName);
    return [...this.executions.values()]
      .map((r) => r.execution)
      .filter((e) => e.name.startsWith(`${workflowName}/executions/`))
      .reverse();
  }

  /** Cancels an ACTIVE execution; cancelling a finished one is FAILED_PRECONDITION, as in the API. */
  async cancelExecution(name: string): Promise<Execution> {
    const running = this.running(name);
    if (running.execution.state !== 'ACTIVE')
      throw preconditionFailed(`execution '${name}' is ${running.execution.state}, not ACTIVE`);
    running.abort.abort();
    return running.done;
  }

  stepEntries(name: string): StepEntry[] {
    return this.running(name).history.entries;
  }

  /** Resolves when the execution has ended (tests and scripts wait on it). */
  awaitExecution(name: string): Promise<Execution> {
    return this.running(name).done;
  }

  private settle(execution: Execution, outcome: ExecutionOutcome): Execution {
    execution.state = outcome.state;
    execution.endTime = outcome.endTime;
    execution.duration = `${((Date.parse(outcome.endTime) - Date.parse(execution.startTime)) / 1000).toFixed(3)}s`;
    if (outcome.state === 'SUCCEEDED') execution.result = toJson(outcome.result);
    if (outcome.error) execution.error = outcome.error;
    return execution;
  }

  /**
   * The run's connector and HTTP calls as the workflow's service account: Workflows makes every
   * connector call, and every `http.*` call with `auth`, with that account's credentials
   * (workflows.proto `Workflow.service_account`: "This service account represents the identity of
   * the workflow and determines what permissions the workflow has"; format
   * `projects/{project}/serviceAccounts/{account}` or the account). Without one Google runs it as
   * the project's Compute Engine default account; the local engine, which has no such account's
   * roles, then calls as the project owner (no token).
   */
  private asCaller(resource: WorkflowResource): Pick<RunDeps, 'connector' | 'http' | 'log'> {
    const serviceAccount = resource.serviceAccount?.replace(/^projects\/[^/]+\/serviceAccounts\//, '');
    if (!serviceAccount) return {};
    const { connector, http, log, mayWriteLog } = this.deps;
    const { project } = parseWorkflowName(resource.name);
    return {
      ...(connector ? { connector: (name, args, signal) => connector(name, args, signal, { serviceAccount }) } : {}),
      ...(http ? { http: (request) => http({ ...request, serviceAccount }) } : {}),
      ...(log && mayWriteLog ? { log: (entry) => void (mayWriteLog(serviceAccount, project) && log(entry)) } : {}),
    };
  }

  /** What `sys.get_env` sees: the built-in GOOGLE_CLOUD_* variables plus the workflow's own. */
  private environment(resource: WorkflowResource, executionId: string): Record<string, string> {
    const { project, location, workflow } = parseWorkflowName(resource.name);
    return {
      ...resource.userEnvVars,
      GOOGLE_CLOUD_PROJECT_ID: project,
      GOOGLE_CLOUD_PROJECT_NUMBER:
        typeof this.deps.projectNumber === 'function'
          ? this.deps.projectNumber(project)
          : (this.deps.projectNumber ?? '0'),
      GOOGLE_CLOUD_LOCATION: location,
      GOOGLE_CLOUD_WORKFLOW_ID: workflow,
      GOOGLE_CLOUD_WORKFLOW_REVISION_ID: resource.revisionId,
      GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID: executionId,
    };
  }

  private deployed(name: string): Deployed {
    parseWorkflowName(name);
    const d = this.workflows.get(name);
    if (!d) throw notFound(name);
    return d;
  }

  private running(name: string): Running {
    parseExecutionName(name);
    const r = this.executions.get(name);
    if (!r) throw notFound(name);
    return r;
  }

  /** The engine's time (its clock), RFC 3339: what executions and the API's operations are stamped with. */
  nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function parseArgument(argument: string | undefined): Value {
  if (argument === undefined || argument === '') return null;
  try {
    return toValue(JSON.parse(argument));
  } catch (err) {
    throw badRequest(`argument is not valid JSON: ${(err as Error).message}`);
  }
}
