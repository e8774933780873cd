/**
 * The private network a Vertex AI job asks for (`PipelineJob.network` / `CustomJobSpec.network`,
 * `reserved_ip_ranges`): `projects/{projectNumber}/global/networks/{name}` with a Service
 * Networking connection, and every reserved range a VPC_PEERING range of that network reserved on
 * the connection — otherwise `create` answers 400 saying what to fix. Without `reservedIpRanges`
 * a job may use every range of the connection ("If set, only IP addresses from these reserved
 * ranges will be used; otherwise, all IPs in the VPC are eligible", `reserved_ip_ranges`,
 * pipeline_job.proto / custom_job.proto).
 */
import { badRequest } from '../errors.js';
import type { Resource } from '../store.js';
import type { ServiceNetworking } from '../servicenetworking/connections.js';

export interface Location {
  project: string;
  projectNumber: string;
  location: string;
}

/** The ranges a job with this `network`/`reservedIpRanges` may take IPs from; undefined without a network. */
export function checkedRanges(
  sn: ServiceNetworking,
  holder: Record<string, unknown>,
  field: string,
): { names: string[]; addresses: Resource[] } | undefined {
  const asked = Array.isArray(holder.reservedIpRanges) ? holder.reservedIpRanges.map(String) : [];
  if (typeof holder.network !== 'string' || !holder.network) {
    if (asked.length)
      throw badRequest(
        'reservedIpRanges needs network: set network to projects/{projectNumber}/global/networks/{name} of the VPC that holds the ranges.',
      );
    return undefined;
  }
  const net = sn.parseNetwork(holder.network, `${field}.network`);
  const connection = sn.connection(net);
  if (!connection)
    throw badRequest(
      `Network ${holder.network} is not peered with Vertex AI: create a Service Networking connection (servicenetworking.googleapis.com) on it first.`,
      'failedPrecondition',
    );
  const reserved = connection.reservedPeeringRanges as string[];
  for (const range of asked) {
    if (!reserved.includes(range)) {
      sn.requireRange(net, range);
      throw badRequest(
        `reservedIpRanges: '${range}' is not reserved on the Service Networking connection of ${holder.network} (reserved: ${reserved.join(', ')}); add it to the connection's reservedPeeringRanges first.`,
        'failedPrecondition',
      );
    }
  }
  const names = asked.length ? asked : reserved;
  return { names, addresses: names.map((n) => sn.requireRange(net, n)) };
}
