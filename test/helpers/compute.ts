/** Official @google-cloud/compute clients pointed at the local Google Cloud, as users would. */
import compute from '@google-cloud/compute';
import { PassThroughClient } from 'google-auth-library';
import { SAMPLE } from '../../local/topology.js';

export const PROJECT = SAMPLE.project;
export const REGION = SAMPLE.region;

/** Options that point an official client (v1 or v1beta) at the local Google Cloud on `port`. */
export const clientOptions = (port: number, authClient: unknown = new PassThroughClient()) =>
  ({ apiEndpoint: '127.0.0.1', port, protocol: 'http', authClient }) as unknown as ConstructorParameters<
    typeof compute.RoutesClient
  >[0];

/** `authClient`: whom the calls are made as (default: no token — the project owner). */
export function computeClients(port: number, authClient: unknown = new PassThroughClient()) {
  const opts = clientOptions(port, authClient);
  const globalOps = new compute.GlobalOperationsClient(opts);
  const regionOps = new compute.RegionOperationsClient(opts);
  const zoneOps = new compute.ZoneOperationsClient(opts);
  return {
    routes: new compute.RoutesClient(opts),
    networks: new compute.NetworksClient(opts),
    migs: new compute.RegionInstanceGroupManagersClient(opts),
    instances: new compute.InstancesClient(opts),
    templates: new compute.InstanceTemplatesClient(opts),
    healthChecks: new compute.HealthChecksClient(opts),
    backendServices: new compute.RegionBackendServicesClient(opts),
    forwardingRules: new compute.ForwardingRulesClient(opts),
    securityPolicies: new compute.SecurityPoliciesClient(opts),
    globalOps,
    regionOps,
    zoneOps,
    /** Waits for a mutation's operation like `gcloud` does (compute v6 returns the raw op). */
    async wait(call: { latestResponse?: unknown } | [{ latestResponse?: unknown }, ...unknown[]]) {
      const res = Array.isArray(call) ? call[0] : call;
      const op = res.latestResponse as { name: string; region?: string; zone?: string };
      if (op.zone)
        return (await zoneOps.wait({ project: PROJECT, zone: op.zone.split('/').pop()!, operation: op.name }))[0];
      if (op.region)
        return (await regionOps.wait({ project: PROJECT, region: op.region.split('/').pop()!, operation: op.name }))[0];
      return (await globalOps.wait({ project: PROJECT, operation: op.name }))[0];
    },
  };
}

export type ComputeClients = ReturnType<typeof computeClients>;

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const started = Date.now();
  let last: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
