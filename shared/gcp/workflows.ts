/**
 * Starting Workflows executions with the official `@google-cloud/workflows` ExecutionsClient. It is
 * imported on first use only (a function that rejects a bad request never loads it), and talks
 * REST (`fallback: true`) to the local Google Cloud when an emulator host is given, which is
 * exactly what a user's own code would do against `npm start`.
 */
import type { ExecutionsClient } from '@google-cloud/workflows';
import { CLOUD_PLATFORM } from './credentials.js';

export interface WorkflowsTarget {
  project: string;
  location: string;
  /** Base URL of the local Google Cloud (http://127.0.0.1:8090); unset = production with ADC. */
  emulatorHost?: string;
  /** The local metadata server standing for the caller: its service account starts the execution. */
  metadataHost?: string;
}

const clients = new Map<string, Promise<ExecutionsClient>>();

function client(target: WorkflowsTarget): Promise<ExecutionsClient> {
  const key = `${target.emulatorHost ?? 'prod'}@${target.metadataHost ?? ''}`;
  let c = clients.get(key);
  if (!c) {
    c = (async () => {
      const { ExecutionsClient } = await import('@google-cloud/workflows');
      if (!target.emulatorHost) return new ExecutionsClient();
      // The caller's identity against the local Google Cloud, as shared/gcp/transport.ts gives it: its
      // metadata server's service account (read from GCE_METADATA_HOST, as google-auth-library does), else none.
      const { Compute, PassThroughClient } = await import('google-auth-library');
      const url = new URL(target.emulatorHost);
      const options = {
        apiEndpoint: url.hostname,
        port: Number(url.port || 80),
        protocol: url.protocol.replace(':', ''),
        fallback: true,
        authClient: target.metadataHost ? new Compute({ scopes: [CLOUD_PLATFORM] }) : new PassThroughClient(),
      };
      return new ExecutionsClient(options as unknown as ConstructorParameters<typeof ExecutionsClient>[0]);
    })();
    clients.set(key, c);
  }
  return c;
}

const workflowName = (target: WorkflowsTarget, workflow: string) =>
  `projects/${target.project}/locations/${target.location}/workflows/${workflow}`;

/** Starts `workflow` with `argument` (sent as its JSON text) and `labels`; answers the execution's name. */
export async function startExecution(
  target: WorkflowsTarget,
  workflow: string,
  argument: unknown,
  labels: Record<string, string> = {},
): Promise<string> {
  const [execution] = await (
    await client(target)
  ).createExecution({
    parent: workflowName(target, workflow),
    execution: { argument: JSON.stringify(argument), labels },
  });
  return execution.name ?? '';
}

/**
 * Names of `workflow`'s executions carrying label `key` = `value`, newest first (the list filter
 * `labels.KEY="VALUE"`, AIP-160). One page is enough for the label netreflex sets once per request.
 */
export async function executionsLabelled(
  target: WorkflowsTarget,
  workflow: string,
  key: string,
  value: string,
): Promise<string[]> {
  const [executions] = await (
    await client(target)
  ).listExecutions(
    { parent: workflowName(target, workflow), filter: `labels.${key}="${value}"`, pageSize: 100 },
    { autoPaginate: false },
  );
  return executions.map((e) => e.name ?? '').filter(Boolean);
}
