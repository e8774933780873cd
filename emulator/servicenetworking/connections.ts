/**
 * Service Networking connections (`services/servicenetworking.googleapis.com/connections`): the
 * private connection between a consumer VPC and Google's producer VPC, over the peering
 * `servicenetworking-googleapis-com`, with the allocated ranges (`reservedPeeringRanges`) the
 * producer may carve subnets from. What is emulated:
 *
 * - `list?network=projects/{projectNumber}/global/networks/{name}` (a project NUMBER, as in
 *   production; a project id is refused with a 400 saying so);
 * - `patch` of `connections/-` with `updateMask=reservedPeeringRanges` replaces the whole list;
 *   dropping a range that is in use (a producer subnet imported over the peering, or a Vertex
 *   job using it) is a 400 unless `force=true`, and with force the producer's subnets in that
 *   range disappear from what VPC A imports;
 * - `create` makes the peering when missing; creating again with the same ranges is a no-op,
 *   with other ranges the operation fails as production does ("use UpdateConnection");
 * - every named range must be a `VPC_PEERING` global address of that network.
 */
import { badRequest, HttpError } from '../errors.js';
import type { Router } from '../http.js';
import { computeUrl, type Resource } from '../store.js';
import { globalCol, type ComputeContext } from '../compute/context.js';
import { addressCidr, ipv4Interval } from '../compute/addresses.js';
import type { Peering, RemoteRoute } from '../compute/networks.js';
import type { SnOperations } from './operations.js';

export const SERVICE = 'servicenetworking.googleapis.com';
export const PEERING = 'servicenetworking-googleapis-com';
const COLLECTION = `services/${SERVICE}/connections`;

/** Answers who uses an allocated range (job names, subnets), so a range in use is not dropped. */
export type RangeUsageProbe = (network: NetworkRef, rangeName: string) => string[];

export interface NetworkRef {
  project: string;
  projectNumber: string;
  name: string;
}

export class ServiceNetworking {
  private readonly probes: RangeUsageProbe[] = [];

  constructor(
    private readonly ctx: ComputeContext,
    private readonly operations: SnOperations,
  ) {
    this.probes.push((net, range) => this.producerSubnetsIn(net, range).map((r) => `producer subnet ${r.destRange}`));
  }

  /** Lets another surface (Vertex AI) report its use of a range. */
  addUsageProbe(probe: RangeUsageProbe): void {
    this.probes.push(probe);
  }

  /** `projects/{number}/global/networks/{name}` → the network; 400 for anything else. */
  parseNetwork(value: string | null | undefined, field = 'network'): NetworkRef {
    const m = /^projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(value ?? '');
    if (!m)
      throw badRequest(
        `Invalid value for field '${field}': '${value ?? ''}'. Expected projects/{projectNumber}/global/networks/{network}.`,
      );
    const project = this.ctx.store.list('projects').find((p) => p.projectNumber === m[1]);
    if (!project) {
      const byId = this.ctx.store.get('projects', m[1]!);
      throw badRequest(
        `Invalid value for field '${field}': '${value}'. ${byId ? `Use the project number (${String(byId.projectNumber)}), not the project id.` : `Project number ${m[1]} is unknown.`}`,
      );
    }
    if (!this.ctx.store.has(globalCol(project.name, 'networks'), m[2]!))
      throw badRequest(`Invalid value for field '${field}': '${value}'. Network '${m[2]}' does not exist.`);
    return { project: project.name, projectNumber: m[1]!, name: m[2]! };
  }

  /** The connection of `net`, as the API shows it, or undefined. */
  connection(net: NetworkRef): Record<string, unknown> | undefined {
    const c = this.ctx.store.get(COLLECTION, networkPath(net));
    return c ? view(c) : undefined;
  }

  /** Seeds a connection directly (a seed's starting state; no operation, no checks beyond the ranges). */
  seed(net: NetworkRef, ranges: string[]): void {
    this.ctx.store.insert(COLLECTION, {
      name: networkPath(net),
      network: networkPath(net),
      reservedPeeringRanges: ranges,
      peering: PEERING,
      service: `services/${SERVICE}`,
    });
  }

  /** The allocated range `name` of `net`, checked to be a VPC_PEERING address of that network. */
  requireRange(net: NetworkRef, name: string): Resource {
    const a = this.ctx.store.get(globalCol(net.project, 'addresses'), name);
    if (
      !a ||
      a.purpose !== 'VPC_PEERING' ||
      a.network !== computeUrl(`${globalCol(net.project, 'networks')}/${net.name}`)
    ) {
      throw badRequest(
        `Allocated IP range '${name}' not found in network projects/${net.projectNumber}/global/networks/${net.name}: create a global address with purpose VPC_PEERING on that network first.`,
        'failedPrecondition',
      );
    }
    if (Number(a.prefixLength) > 24)
      throw badRequest(
        `Allocated IP range '${name}' (${addressCidr(a)}) is smaller than /24, the minimum Service Networking accepts.`,
      );
    return a;
  }

  private requireRanges(net: NetworkRef, value: unknown): string[] {
    if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) {
      throw badRequest(
        `Invalid value for field 'reservedPeeringRanges': must name at least one allocated IP range.`,
        'required',
      );
    }
    const names = [...new Set(value as string[])];
    names.forEach((n) => this.requireRange(net, n));
    return names;
  }

  private producerSubnetsIn(net: NetworkRef, rangeName: string): RemoteRoute[] {
    const a = this.ctx.store.get(globalCol(net.project, 'addresses'), rangeName);
    const range = a ? ipv4Interval(addressCidr(a)) : undefined;
    if (!range) return [];
    return this.remoteRoutes(net).filter((r) => {
      const i = ipv4Interval(r.destRange);
      return i !== undefined && i[0] >= range[0] && i[1] <= range[1];
    });
  }

  private remoteRoutes(net: NetworkRef): RemoteRoute[] {
    const network = this.ctx.store.get(globalCol(net.project, 'networks'), net.name);
    const peering = (network?.peerings as Peering[] | undefined)?.find((p) => p.name === PEERING);
    return (peering?.remoteRoutes as RemoteRoute[] | undefined) ?? [];
  }

  /** PATCH connections/-: replaces the list; refuses to drop a range in use unless forced. */
  patch(body: unknown, query: URLSearchParams): Resource {
    const mask = (query.get('updateMask') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!mask.includes('reservedPeeringRanges'))
      throw badRequest(
        `Invalid value for field 'updateMask': '${query.get('updateMask') ?? ''}'. Only 'reservedPeeringRanges' can be updated.`,
      );
    const b = (body ?? {}) as Record<string, unknown>;
    const net = this.parseNetwork(typeof b.network === 'string' ? b.network : undefined, 'connection.network');
    const current = this.ctx.store.get(COLLECTION, networkPath(net));
    if (!current)
      throw new HttpError(
        404,
        `No private connection found for network ${networkPath(net)}: create one first (connections.create).`,
      );
    const ranges = this.requireRanges(net, b.reservedPeeringRanges);
    const force = query.get('force') === 'true';
    const dropped = (current.reservedPeeringRanges as string[]).filter((r) => !ranges.includes(r));
    this.assertUnused(net, dropped, force);
    return this.operations.start({
      methodId: 'servicenetworking.services.connections.patch',
      projectNumber: net.projectNumber,
      apply: () => {
        this.assertUnused(net, dropped, force);
        if (force) this.dropProducerSubnets(net, dropped);
        return this.write(net, ranges);
      },
    });
  }

  private assertUnused(net: NetworkRef, dropped: string[], force: boolean): void {
    if (force) return;
    const users = dropped.flatMap((range) => this.probes.flatMap((p) => p(net, range)).map((u) => `${range}: ${u}`));
    if (users.length) {
      throw badRequest(
        `Cannot remove allocated IP ranges that are in use (${users.join('; ')}). Wait for or delete their users, or pass force=true to remove them anyway.`,
        'failedPrecondition',
      );
    }
  }

  private dropProducerSubnets(net: NetworkRef, dropped: string[]): void {
    const gone = new Set(dropped.flatMap((r) => this.producerSubnetsIn(net, r)).map((r) => r.destRange));
    if (!gone.size) return;
    this.ctx.store.update(globalCol(net.project, 'networks'), net.name, (n) => {
      const p = (n.peerings as Peering[]).find((x) => x.name === PEERING)!;
      p.remoteRoutes = ((p.remoteRoutes as RemoteRoute[] | undefined) ?? []).filter((r) => !gone.has(r.destRange));
    });
  }

  /** POST connections: creates the connection (and its peering); same ranges again is a no-op. */
  create(body: unknown): Resource {
    const b = (body ?? {}) as Record<string, unknown>;
    const net = this.parseNetwork(typeof b.network === 'string' ? b.network : undefined);
    const ranges = this.requireRanges(net, b.reservedPeeringRanges);
    return this.operations.start({
      methodId: 'servicenetworking.services.connections.create',
      projectNumber: net.projectNumber,
      apply: () => {
        const current = this.ctx.store.get(COLLECTION, networkPath(net));
        if (current) {
          const same =
            JSON.stringify([...(current.reservedPeeringRanges as string[])].sort()) ===
            JSON.stringify([...ranges].sort());
          if (!same)
            throw new HttpError(
              412,
              'Cannot modify allocated ranges in CreateConnection. Please use UpdateConnection.',
            );
          return asResponse(view(current));
        }
        this.ensurePeering(net);
        return this.write(net, ranges);
      },
    });
  }

  private ensurePeering(net: NetworkRef): void {
    this.ctx.store.update(globalCol(net.project, 'networks'), net.name, (n) => {
      const peerings = (n.peerings as Peering[] | undefined) ?? [];
      if (peerings.some((p) => p.name === PEERING)) return;
      n.peerings = [
        ...peerings,
        {
          name: PEERING,
          network: 'https://www.googleapis.com/compute/v1/projects/tenant-prod-123/global/networks/servicenetworking',
          state: 'ACTIVE',
          stateDetails: 'Connected.',
          autoCreateRoutes: true,
          exchangeSubnetRoutes: true,
          exportCustomRoutes: false,
          importCustomRoutes: false,
          exportSubnetRoutesWithPublicIp: false,
          importSubnetRoutesWithPublicIp: false,
          stackType: 'IPV4_ONLY',
          remoteRoutes: [],
        },
      ];
    });
  }

  private write(net: NetworkRef, ranges: string[]): Record<string, unknown> {
    const path = networkPath(net);
    const resource = {
      name: path,
      network: path,
      reservedPeeringRanges: ranges,
      peering: PEERING,
      service: `services/${SERVICE}`,
    };
    if (this.ctx.store.has(COLLECTION, path)) this.ctx.store.update(COLLECTION, path, () => resource);
    else this.ctx.store.insert(COLLECTION, resource);
    return asResponse(view(resource));
  }
}

/** Service Networking's private connections: list, create, patch. */
export function registerConnections(router: Router, sn: ServiceNetworking): void {
  const base = `/v1/services/${SERVICE}/connections`;
  router.on('GET', base, 'servicenetworking.services.connections.list', (r) => {
    const c = sn.connection(sn.parseNetwork(r.query.get('network')));
    return c ? { connections: [c] } : {};
  });
  router.on('POST', base, 'servicenetworking.services.connections.create', (r) => sn.create(r.body));
  router.on('PATCH', `${base}/{connection}`, 'servicenetworking.services.connections.patch', (r) => {
    if (r.params.connection !== '-')
      throw badRequest(
        `Invalid value for field 'name': '${r.params.connection}'. Use services/${SERVICE}/connections/-.`,
      );
    return sn.patch(r.body, r.query);
  });
}

/** An operation's `response` is an Any: the Connection with its `@type`. */
const asResponse = (connection: Record<string, unknown>) => ({
  '@type': 'type.googleapis.com/google.cloud.servicenetworking.v1.Connection',
  ...connection,
});

const networkPath = (net: NetworkRef) => `projects/${net.projectNumber}/global/networks/${net.name}`;

function view(c: Record<string, unknown>): Record<string, unknown> {
  return { network: c.network, reservedPeeringRanges: c.reservedPeeringRanges, peering: c.peering, service: c.service };
}
