/** Resource names of the Workflows API, parsed once at the boundary of the engine. */
import { badRequest } from '../errors.js';

export interface WorkflowName {
  project: string;
  location: string;
  workflow: string;
}

const WORKFLOW = /^projects\/([^/]+)\/locations\/([^/]+)\/workflows\/([A-Za-z][\w-]{0,127})$/;
const EXECUTION = /^(projects\/[^/]+\/locations\/[^/]+\/workflows\/[^/]+)\/executions\/([^/]+)$/;

export function parseWorkflowName(name: string): WorkflowName {
  const m = WORKFLOW.exec(name);
  if (!m)
    throw badRequest(
      `'${name}' is not a workflow name; expected projects/{project}/locations/{location}/workflows/{workflow}`,
    );
  return { project: m[1]!, location: m[2]!, workflow: m[3]! };
}

export function parseExecutionName(name: string): { workflow: string; execution: string } {
  const m = EXECUTION.exec(name);
  if (!m)
    throw badRequest(
      `'${name}' is not an execution name; expected projects/{p}/locations/{l}/workflows/{w}/executions/{id}`,
    );
  return { workflow: m[1]!, execution: m[2]! };
}
