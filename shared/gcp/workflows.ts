/**
 * Starting Workflows executions with the official `@google-cloud/workflows` ExecutionsClient. It is
 * imported on first use only (a function that rejects a bad request never loads it), and talks
 * REST (`fallback: true`) to the local Google Cloud when an emulator host is given, which is
 * exactly what a user's own code would do against `npm start`.
 */
import type { ExecutionsClient } from '@google-cloud/workflows';

export interface WorkflowsTarget {
  project: string;
  location: string;
  /** Base URL of the local Google Cloud (http://127.0.0.1:8090); unset = production with ADC. */
  emulatorHost?: string;
}

const clients = new Map<string, Promise<ExecutionsClient>>();

function client(target: WorkflowsTarget): Promise<ExecutionsClient> {
  const key = target.emulatorHost ?? 'prod';
  let c = clients.get(key);
  if (!c) {
    c = (async () => {
      const { ExecutionsClient } = await import('@google-cloud/workflows');
      if (!target.emulatorHost) return new ExecutionsClient();
      const { PassThroughClient } = await import('google-auth-library');
      const url = new URL(target.emulatorHost);
      const options = { apiEndpoint: url.hostname, port: Number(url.port || 80), protocol: url.protocol.replace(':', ''), fallback: true, authClient: new PassThroughClient() };
      return new ExecutionsClient(options as unknown as ConstructorParameters<typeof ExecutionsClient>[0]);
    })();
    clients.set(key, c);
  }
  return c;
}

/** Starts `workflow` with `argument` (sent as its JSON text); answers the execution's name. */
export async function startExecution(target: WorkflowsTarget, workflow: string, argument: unknown): Promise<string> {
  const parent = `projects/${target.project}/locations/${target.location}/workflows/${workflow}`;
  const [execution] = await (await client(target)).createExecution({ parent, execution: { argument: JSON.stringify(argument) } });
  return execution.name ?? '';
}
