/** The official Workflows Executions client pointed at the local Google Cloud, as a user would. */
import { ExecutionsClient, protos } from '@google-cloud/workflows';
import { PassThroughClient } from 'google-auth-library';
import { SAMPLE } from '../../local/topology.js';

export const PARENT = `projects/${SAMPLE.project}/locations/${SAMPLE.region}`;
export const workflowName = (id: string) => `${PARENT}/workflows/${id}`;

export function executionsClient(port: number): ExecutionsClient {
  return new ExecutionsClient({
    apiEndpoint: '127.0.0.1',
    port,
    protocol: 'http',
    fallback: true,
    authClient: new PassThroughClient(),
  } as unknown as ConstructorParameters<typeof ExecutionsClient>[0]);
}

type Execution = protos.google.cloud.workflows.executions.v1.IExecution;

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Polls `getExecution` like a caller of the API would, until the execution has ended. */
export async function awaitExecution(client: ExecutionsClient, name: string, timeoutMs = 20_000): Promise<Execution> {
  const started = Date.now();
  for (;;) {
    const [e] = await client.getExecution({ name });
    if (TERMINAL.has(String(e.state))) return e;
    if (Date.now() - started > timeoutMs)
      throw new Error(`execution ${name} still ${String(e.state)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The execution's result, or a thrown error carrying its context so a failed test says why. */
export function resultOf(e: Execution): unknown {
  if (e.state !== 'SUCCEEDED')
    throw new Error(`execution ${String(e.state)}: ${e.error?.context ?? ''}\n${e.error?.payload ?? ''}`);
  return JSON.parse(e.result ?? 'null');
}
