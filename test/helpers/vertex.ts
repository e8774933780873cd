/**
 * Clients for the Private Service Access side of the local Google Cloud, as users would build
 * them: the official `@google-cloud/aiplatform` clients in REST mode, the official compute clients
 * for global addresses, firewalls and instance templates, and Service Networking over plain REST
 * with google-auth-library (it has no dedicated Node client).
 */
import aiplatform from '@google-cloud/aiplatform';
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { SAMPLE } from '../../local/topology.js';
import { waitFor } from './compute.js';

export const PARENT = `projects/${SAMPLE.project}/locations/${SAMPLE.region}`;
export const networkOf = (name: string) => `projects/${SAMPLE.projectNumber}/global/networks/${name}`;

export function vertexClients(port: number) {
  const opts = {
    apiEndpoint: '127.0.0.1',
    port,
    protocol: 'http',
    authClient: new PassThroughClient(),
    fallback: true,
  } as unknown as ConstructorParameters<typeof aiplatform.v1.PipelineServiceClient>[0];
  return { pipelines: new aiplatform.v1.PipelineServiceClient(opts), jobs: new aiplatform.v1.JobServiceClient(opts) };
}

export function psaComputeClients(port: number) {
  const opts = {
    apiEndpoint: '127.0.0.1',
    port,
    protocol: 'http',
    authClient: new PassThroughClient(),
  } as unknown as ConstructorParameters<typeof compute.GlobalAddressesClient>[0];
  return {
    addresses: new compute.GlobalAddressesClient(opts),
    firewalls: new compute.FirewallsClient(opts),
    templates: new compute.InstanceTemplatesClient(opts),
    networks: new compute.NetworksClient(opts),
    migs: new compute.RegionInstanceGroupManagersClient(opts),
    instances: new compute.InstancesClient(opts),
    globalOps: new compute.GlobalOperationsClient(opts),
    regionOps: new compute.RegionOperationsClient(opts),
  };
}

/** A Service Networking connection as the REST API returns it. */
export interface Connection {
  network: string;
  reservedPeeringRanges: string[];
  peering: string;
  service: string;
}

export interface SnOperation {
  name: string;
  done: boolean;
  response?: Connection;
  error?: { code: number; message: string };
}

/** Service Networking over REST through google-auth-library, as the issue prescribes. */
export function serviceNetworking(baseUrl: string) {
  const client = new PassThroughClient();
  const base = `${baseUrl}/v1/services/servicenetworking.googleapis.com/connections`;
  const call = async <T>(url: string, method: 'GET' | 'POST' | 'PATCH', data?: unknown) =>
    (await client.request<T>({ url, method, data })).data;
  return {
    list: async (network: string) =>
      (await call<{ connections?: Connection[] }>(`${base}?network=${encodeURIComponent(network)}`, 'GET'))
        .connections ?? [],
    patch: (network: string, reservedPeeringRanges: string[], force = false) =>
      call<SnOperation>(`${base}/-?updateMask=reservedPeeringRanges&force=${force}`, 'PATCH', {
        network,
        reservedPeeringRanges,
      }),
    create: (network: string, reservedPeeringRanges: string[]) =>
      call<SnOperation>(base, 'POST', { network, reservedPeeringRanges }),
    operation: (name: string) => call<SnOperation>(`${baseUrl}/v1/${name}`, 'GET'),
    /** Polls the operation until done. */
    async wait(op: SnOperation): Promise<SnOperation> {
      return waitFor(
        `operation ${op.name}`,
        async () => {
          const o = await call<SnOperation>(`${baseUrl}/v1/${op.name}`, 'GET');
          return o.done ? o : undefined;
        },
        10_000,
        20,
      );
    },
  };
}

/** The error a failed client call carries (gax or gaxios), for assertions. */
export async function failure(call: Promise<unknown>): Promise<{ code?: number; status?: number; message: string }> {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code?: number; status?: number; response?: { status?: number }; message?: string } | undefined;
  if (!err) throw new Error('expected the call to fail');
  return { code: err.code, status: err.response?.status ?? err.status, message: err.message ?? String(err) };
}
