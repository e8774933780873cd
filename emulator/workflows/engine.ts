/**
 * The local Workflows service, pure of HTTP: deployed workflows and their executions, with the
 * operations the Workflows and Executions APIs offer (deploy, get, list, delete; create, get,
 * list, cancel executions; step entries). A REST layer maps routes onto it; its resources already
 * have the REST field names, and its failures are the emulator's HttpErrors.
 *
 * The resources live in the emulator's store, so its mutation listeners see every deploy and every
 * execution's state change: each location's Workflow resources in
 * `workflows/projects/{p}/locations/{l}/workflows`, each workflow's Execution resources (as the
 * Executions API returns them) in `workflows/projects/{p}/locations/{l}/workflows/{w}/executions`,
 * both by full name. What is not a resource — a running execution's interpreter (its promise, abort
 * signal and step history) and a deployed source's parsed definition — sits beside the store.
 */
import { createHash, randomUUID } from 'node:crypto';
import { notFound, badRequest, preconditionFailed } from '../errors.js';
import { collection, Store } from '../store.js';
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

/** The store's collection of the Workflow resources of `parent` (`projects/{p}/locations/{l}`). */
export const workflowsOf = (parent: string) => collection<WorkflowResource>(`workflows/${parent}/workflows`);

/** The store's collection of the Execution resources of a workflow (`projects/{p}/locations/{l}/workflows/{w}`). */
export const executionsOf = (workflow: string) => collection<Execution>(`workflows/${workflow}/executions`);

const parentOf = (workflow: string) => {
  const { project, location } = parseWorkflowName(workflow);
  return `projects/${project}/locations/${location}`;
};

export interface EngineDeps extends Omit<RunDeps, 'signal' | 'history' | 'env'> {
  /** Every wait and time reading of every execution (clock.ts). */
  clock: Clock;
  /** Where the Workflow and Execution resources live (the emulator's); a store of its own when absent. */
  store?: Store;
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

/** A deployed workflow: its resource (from the store) and its source's parsed definition. */
interface Deployed {
  resource: WorkflowResource;
  def: WorkflowDefinition;
}

/** The interpreter of one execution: not a resource, so not in the store. */
interface Running {
  abort: AbortController;
  history: History;
  done: Promise<Execution>;
  /** Creation order, which breaks ties of `startTime` when listing. */
  seq: number;
}

export class WorkflowsEngine {
  readonly store: Store;
  /**
   * Beside the store, by execution name: each execution's running interpreter (its promise, abort
   * controller and in-memory step history), none of it a resource. Its Execution resource, state
   * and all, is in the store.
   */
  private readonly running = new Map<string, Running>();
  /** Beside the store, by workflow name: the parsed definition of the source last deployed (a cache, not a resource). */
  private readonly parsed = new Map<string, { source: string; def: WorkflowDefinition }>();
  private readonly clock: Clock;
  private seq = 0;

  constructor(private readonly deps: EngineDeps) {
    this.clock = deps.clock;
    this.store = deps.store ?? new Store(() => deps.clock.now());
  }

  /** Creates or updates a workflow; throws WorkflowSyntaxError listing every problem of `source`. */
  deployWorkflow(
    name: string,
    source: string,
    userEnvVars: Record<string, string> = {},
    serviceAccount?: string,
  ): WorkflowResource {
    const workflows = workflowsOf(parentOf(name));
    const def = parseWorkflow(source);
    const previous = this.store.get(workflows, name);
    // The revision number leads the revisionId (`000002-a1b`): a redeploy is the next one.
    const revision = (previous ? Number.parseInt(previous.revisionId, 10) || 0 : 0) + 1;
    const now = this.nowIso();
    const resource: WorkflowResource = {
      name,
      state: 'ACTIVE',
      revisionId: `${String(revision).padStart(6, '0')}-${createHash('sha256').update(source).digest('hex').slice(0, 3)}`,
      sourceContents: source,
      userEnvVars: { ...userEnvVars },
      ...(serviceAccount ? { serviceAccount } : {}),
      createTime: previous?.createTime ?? now,
      updateTime: now,
      revisionCreateTime: now,
    };
    this.parsed.set(name, { source, def });
    if (previous) return this.store.update(workflows, name, () => resource);
    return this.store.insert(workflows, resource);
  }

  getWorkflow(name: string): WorkflowResource {
    return this.workflow(name);
  }

  /**
   * Workflows under `projects/{p}/locations/{l}`, by name (workflows.list: "If not specified, the
   * results are returned in an unspecified order",
   * https://cloud.google.com/workflows/docs/reference/rest/v1/projects.locations.workflows/list).
   */
  listWorkflows(parent: string): WorkflowResource[] {
    return this.store.list(workflowsOf(parent));
  }

  /**
   * workflows.delete: "This method also cancels and deletes all running executions of the workflow"
   * (https://cloud.google.com/workflows/docs/reference/rest/v1/projects.locations.workflows/delete).
   * Finished executions go with it too: they are listed under the workflow, which no longer exists.
   */
  deleteWorkflow(name: string): void {
    this.workflow(name);
    for (const execution of this.store.list(executionsOf(name))) {
      this.running.get(execution.name)?.abort.abort();
      this.running.delete(execution.name);
      this.store.remove(executionsOf(name), execution.name);
    }
    this.store.remove(workflowsOf(parentOf(name)), name);
    this.parsed.delete(name);
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
    this.store.insert(executionsOf(workflowName), execution);
    const done = runWorkflow(deployed.def, argument, {
      ...this.deps,
      ...this.asCaller(deployed.resource),
      env,
      signal: abort.signal,
      history,
      clock: this.clock,
    }).then((o) => this.settle(execution, o));
    this.running.set(execution.name, { abort, history, done, seq: ++this.seq });
    return execution;
  }

  getExecution(name: string): Execution {
    const { workflow } = parseExecutionName(name);
    const execution = this.store.get(executionsOf(workflow), name);
    if (!execution) throw notFound(name);
    return execution;
  }

  /**
   * Executions of one workflow, newest first: "Returned executions are ordered by their start time
   * (newest first)" (https://cloud.google.com/workflows/docs/reference/executions/rest/v1/projects.locations.workflows.executions/list);
   * of two started at the same instant, the one created later comes first.
   */
  listExecutions(workflowName: string): Execution[] {
    this.workflow(workflowName);
    const seq = (e: Execution) => this.running.get(e.name)?.seq ?? 0;
    return this.store
      .list(executionsOf(workflowName))
      .sort((a, b) => (a.startTime < b.startTime ? 1 : a.startTime > b.startTime ? -1 : seq(b) - seq(a)));
  }

  /** Cancels an ACTIVE execution; cancelling a finished one is FAILED_PRECONDITION, as in the API. */
  async cancelExecution(name: string): Promise<Execution> {
    const { state } = this.getExecution(name);
    if (state !== 'ACTIVE') throw preconditionFailed(`execution '${name}' is ${state}, not ACTIVE`);
    const running = this.interpreter(name);
    running.abort.abort();
    return running.done;
  }

  stepEntries(name: string): StepEntry[] {
    return this.interpreter(name).history.entries;
  }

  /** Resolves when the execution has ended (tests and scripts wait on it). */
  awaitExecution(name: string): Promise<Execution> {
    return this.interpreter(name).done;
  }

  /** Ends the execution in the store (ACTIVE → SUCCEEDED, FAILED or CANCELLED), so listeners see it end. */
  private settle(started: Execution, outcome: ExecutionOutcome): Execution {
    const end = (execution: Execution): Execution => {
      execution.state = outcome.state;
      execution.endTime = outcome.endTime;
      execution.duration = `${((Date.parse(outcome.endTime) - Date.parse(execution.startTime)) / 1000).toFixed(3)}s`;
      if (outcome.state === 'SUCCEEDED') execution.result = toJson(outcome.result);
      if (outcome.error) execution.error = outcome.error;
      return execution;
    };
    const executions = executionsOf(parseExecutionName(started.name).workflow);
    // Gone from the store while it ran (removed by hand): nothing to update, the outcome still answers.
    if (!this.store.has(executions, started.name)) return end(structuredClone(started));
    return this.store.update(executions, started.name, end);
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

  private workflow(name: string): WorkflowResource {
    const resource = this.store.get(workflowsOf(parentOf(name)), name);
    if (!resource) throw notFound(name);
    return resource;
  }

  /** The workflow's resource and the parsed definition of its source (parsed again if the store's source changed). */
  private deployed(name: string): Deployed {
    const resource = this.workflow(name);
    let parsed = this.parsed.get(name);
    if (parsed?.source !== resource.sourceContents)
      this.parsed.set(
        name,
        (parsed = { source: resource.sourceContents, def: parseWorkflow(resource.sourceContents) }),
      );
    return { resource, def: parsed.def };
  }

  private interpreter(name: string): Running {
    const running = this.running.get(name);
    if (running) return running;
    this.getExecution(name);
    throw notFound(name);
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
