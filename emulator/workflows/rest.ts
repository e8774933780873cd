/**
 * The Workflows and Workflow Executions REST APIs over the local engine, on Google's paths, so
 * the official `@google-cloud/workflows` ExecutionsClient (REST fallback) and plain REST tooling
 * (`gcloud`-style deploys, curl) work unchanged against `npm start`.
 *
 * Executions: `POST|GET …/workflows/{w}/executions`, `GET …/executions/{id}`,
 * `POST …/executions/{id}:cancel`, `GET …/executions/{id}/stepEntries`.
 * Workflows: `POST …/workflows?workflowId=`, `GET|PATCH|DELETE …/workflows/{w}`, `GET …/workflows`;
 * mutations answer an Operation that is already done (the local deploy is synchronous).
 */
import { randomUUID } from 'node:crypto';
import { badRequest, HttpError } from '../errors.js';
import type { Request, Router } from '../http.js';
import type { Execution, WorkflowResource, WorkflowsEngine } from './engine.js';
import { WorkflowSyntaxError } from './errors.js';
import type { StepEntry } from './runtime/history.js';

const WF = '/v1/projects/{project}/locations/{location}/workflows';
const EXEC_API = 'workflowexecutions.projects.locations.workflows.executions';
const WF_API = 'workflows.projects.locations.workflows';

const parentOf = (r: Request) => `projects/${r.params.project}/locations/${r.params.location}`;
const workflowOf = (r: Request) => `${parentOf(r)}/workflows/${r.params.workflow}`;
const executionOf = (r: Request) => `${workflowOf(r)}/executions/${r.params.execution}`;

export function registerWorkflowsRest(router: Router, engine: WorkflowsEngine): void {
  router.on('POST', `${WF}/{workflow}/executions`, `${EXEC_API}.create`, (r) =>
    fullExecution(engine.createExecution(workflowOf(r), executionBody(r.body))),
  );
  router.on('GET', `${WF}/{workflow}/executions`, `${EXEC_API}.list`, (r) => listExecutions(engine, r));
  router.on('GET', `${WF}/{workflow}/executions/{execution}`, `${EXEC_API}.get`, (r) =>
    viewExecution(engine.getExecution(executionOf(r)), view(r, 'FULL')),
  );
  router.on('POST', `${WF}/{workflow}/executions/{execution}:cancel`, `${EXEC_API}.cancel`, async (r) =>
    fullExecution(await engine.cancelExecution(executionOf(r))),
  );
  router.on('GET', `${WF}/{workflow}/executions/{execution}/stepEntries`, `${EXEC_API}.stepEntries.list`, (r) =>
    listStepEntries(engine, r),
  );
  router.on('POST', WF, `${WF_API}.create`, (r) => deploy(engine, r, 'create'));
  router.on('GET', WF, `${WF_API}.list`, (r) =>
    pageOf('workflows', engine.listWorkflows(parentOf(r)).map(workflowResource), r),
  );
  router.on('GET', `${WF}/{workflow}`, `${WF_API}.get`, (r) => workflowResource(engine.getWorkflow(workflowOf(r))));
  router.on('PATCH', `${WF}/{workflow}`, `${WF_API}.patch`, (r) => deploy(engine, r, 'patch'));
  router.on('DELETE', `${WF}/{workflow}`, `${WF_API}.delete`, (r) => {
    engine.deleteWorkflow(workflowOf(r));
    return doneOperation(engine.nowIso(), parentOf(r), 'delete', workflowOf(r), {
      '@type': 'type.googleapis.com/google.protobuf.Empty',
    });
  });
}

/** The request body is the Execution itself (`body: "execution"`): argument, callLogLevel, labels. */
function executionBody(body: unknown): { argument?: string; labels?: Record<string, string> } {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object') throw badRequest('the request body must be an Execution object');
  const { argument, labels } = body as { argument?: unknown; labels?: unknown };
  if (argument !== undefined && typeof argument !== 'string')
    throw badRequest('\'argument\' must be a JSON string, e.g. "{\\"displayName\\":\\"x\\"}"');
  return {
    ...(argument === undefined ? {} : { argument }),
    ...(labels === undefined ? {} : { labels: executionLabels(labels) }),
  };
}

/**
 * `Execution.labels` (executions.proto: "Labels associated with this execution. Labels can contain
 * at most 64 entries. Keys and values can be no longer than 63 characters and can only contain
 * lowercase letters, numeric characters, underscores, and dashes. Label keys must start with a
 * letter. International characters are allowed."). A label that breaks a rule is a 400 naming it.
 */
function executionLabels(labels: unknown): Record<string, string> {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels))
    throw badRequest("'labels' must be a map of strings");
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > 64) throw badRequest(`'labels' can contain at most 64 entries, got ${entries.length}`);
  for (const [k, v] of entries) {
    if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(k))
      throw badRequest(
        `Invalid label key '${k}': at most 63 lowercase letters, digits, underscores and dashes, starting with a letter`,
      );
    if (typeof v !== 'string' || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(v))
      throw badRequest(`Invalid value for label '${k}': at most 63 lowercase letters, digits, underscores and dashes`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

type View = 'BASIC' | 'FULL';

/** `view` arrives as a name or, with `enum-encoding=int`, as its number (1 BASIC, 2 FULL). */
function view(r: Request, fallback: View): View {
  const raw = r.query.get('view');
  if (raw === null || raw === '' || raw === '0' || raw === 'EXECUTION_VIEW_UNSPECIFIED') return fallback;
  if (raw === '1' || raw === 'BASIC') return 'BASIC';
  if (raw === '2' || raw === 'FULL') return 'FULL';
  throw badRequest(`Invalid value for field 'view': '${raw}'; use BASIC or FULL`);
}

/** What the API shows of an execution; BASIC leaves out argument, result and error. */
function viewExecution(e: Execution, v: View): Record<string, unknown> {
  if (v === 'FULL') return fullExecution(e);
  const { name, state, startTime, endTime, workflowRevisionId } = e;
  return { name, state, startTime, ...(endTime ? { endTime } : {}), workflowRevisionId };
}

function fullExecution(e: Execution): Record<string, unknown> {
  return { ...e, status: { currentSteps: [] } };
}

function listExecutions(engine: WorkflowsEngine, r: Request) {
  const keep = executionFilter(r.query.get('filter'));
  const all = engine.listExecutions(workflowOf(r)).filter(keep);
  return pageOf(
    'executions',
    all.map((e) => viewExecution(e, view(r, 'BASIC'))),
    r,
  );
}

type ExecutionPredicate = (e: Execution) => boolean;

/**
 * The filter forms tooling sends most (AIP-160, which `ListExecutionsRequest.filter` follows):
 * `state="FAILED"` clauses joined by OR, and `labels.KEY="VALUE"` (a map field's entry), the two
 * joined by AND. Anything else is a clear 400, never an unfiltered list.
 */
function executionFilter(filter: string | null): ExecutionPredicate {
  if (!filter || !filter.trim()) return () => true;
  const parts = filter.split(/\s+AND\s+/i).map((part) => labelClause(part) ?? stateClauses(part, filter));
  return (e) => parts.every((p) => p(e));
}

function labelClause(part: string): ExecutionPredicate | undefined {
  const m = /^\(?\s*labels\.([\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]*)\s*=\s*"([^"]*)"\s*\)?$/u.exec(part.trim());
  return m ? (e) => e.labels?.[m[1]!] === m[2] : undefined;
}

function stateClauses(part: string, filter: string): ExecutionPredicate {
  const clauses = part.split(/\s+OR\s+/i).map((c) => /^\(?\s*state\s*=\s*"?([A-Z_]+)"?\s*\)?$/.exec(c.trim()));
  if (clauses.some((m) => !m))
    throw badRequest(
      `Invalid filter '${filter}': the local emulator supports state="STATE" clauses joined by OR, and labels.KEY="VALUE", joined by AND`,
    );
  const states = clauses.map((m) => m![1]!);
  return (e) => states.includes(e.state);
}

function listStepEntries(engine: WorkflowsEngine, r: Request) {
  const name = executionOf(r);
  const entries = engine.stepEntries(name).map((s) => stepEntry(name, s));
  return pageOf('stepEntries', entries, r, { totalSize: entries.length });
}

/** The API's StepEntry: a resource name, int64 id as a string, and the raised payload if any. */
function stepEntry(execution: string, s: StepEntry): Record<string, unknown> {
  const { line: _line, entryId, ...rest } = s;
  return { name: `${execution}/stepEntries/${entryId}`, entryId: String(entryId), ...rest, navigationInfo: {} };
}

const MAX_PAGE = 1000;

/** `pageSize` (default 100, at most 1000) and an opaque `pageToken`, as the Workflows APIs page. */
function pageOf<T>(key: string, all: T[], r: Request, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const size = Math.min(Number(r.query.get('pageSize') || 100) || 100, MAX_PAGE);
  const token = r.query.get('pageToken');
  const start = token ? decodeToken(token) : 0;
  const items = all.slice(start, start + size);
  const next = start + size < all.length ? Buffer.from(`offset:${start + size}`).toString('base64url') : undefined;
  return { [key]: items, ...(next ? { nextPageToken: next } : {}), ...extra };
}

function decodeToken(token: string): number {
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!m) throw badRequest(`Invalid page token '${token}'`);
  return Number(m[1]);
}

const SERVICE_ACCOUNT = /^(?:projects\/[^/]+\/serviceAccounts\/)?[^/\s@]+@[^/\s@]+$/;

/** Deploys from a Workflow body; a syntax problem is a 400 listing every problem with its line. */
function deploy(engine: WorkflowsEngine, r: Request, how: 'create' | 'patch'): Record<string, unknown> {
  const body = (r.body ?? {}) as { sourceContents?: unknown; userEnvVars?: unknown; serviceAccount?: unknown };
  const id = how === 'create' ? r.query.get('workflowId') : r.params.workflow;
  if (!id) throw badRequest("'workflowId' is required: POST …/workflows?workflowId=my-workflow");
  const name = `${parentOf(r)}/workflows/${id}`;
  if (how === 'create' && engine.listWorkflows(parentOf(r)).some((w) => w.name === name))
    throw new HttpError(409, `Resource '${name}' already exists`);
  const previous = how === 'patch' ? engine.getWorkflow(name) : undefined;
  const source = typeof body.sourceContents === 'string' ? body.sourceContents : previous?.sourceContents;
  if (source === undefined) throw badRequest("'sourceContents' is required: the workflow's YAML or JSON");
  const env = (body.userEnvVars ?? previous?.userEnvVars ?? {}) as Record<string, string>;
  const serviceAccount = body.serviceAccount ?? previous?.serviceAccount;
  // workflows.proto Workflow.service_account: `projects/{project}/serviceAccounts/{account}` or `{account}`.
  if (serviceAccount !== undefined && (typeof serviceAccount !== 'string' || !SERVICE_ACCOUNT.test(serviceAccount)))
    throw badRequest(
      `Invalid value at 'workflow.service_account': give projects/{project}/serviceAccounts/{email} or the email (got ${JSON.stringify(serviceAccount)})`,
    );
  try {
    const resource = engine.deployWorkflow(name, source, env, serviceAccount);
    return doneOperation(engine.nowIso(), parentOf(r), how, name, {
      '@type': 'type.googleapis.com/google.cloud.workflows.v1.Workflow',
      ...workflowResource(resource),
    });
  } catch (err) {
    if (err instanceof WorkflowSyntaxError) throw badRequest(err.message);
    throw err;
  }
}

function workflowResource(w: WorkflowResource): Record<string, unknown> {
  return { ...w, callLogLevel: 'CALL_LOG_LEVEL_UNSPECIFIED' };
}

function doneOperation(
  now: string,
  parent: string,
  verb: string,
  target: string,
  response: Record<string, unknown>,
): Record<string, unknown> {
  return {
    name: `${parent}/operations/operation-${randomUUID()}`,
    metadata: {
      '@type': 'type.googleapis.com/google.cloud.workflows.v1.OperationMetadata',
      createTime: now,
      endTime: now,
      target,
      verb,
      apiVersion: 'v1',
    },
    done: true,
    response,
  };
}
