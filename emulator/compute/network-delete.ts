/**
 * `networks.delete` (https://cloud.google.com/compute/docs/reference/rest/v1/networks/delete): a
 * VPC network can be deleted only once nothing uses it. The delete's operation ends in error
 * `RESOURCE_IN_USE_BY_ANOTHER_RESOURCE` (HTTP 400) naming one user: "The network resource
 * 'projects/p/global/networks/n' is already being used by 'projects/p/global/routes/r'" — what
 * `terraform destroy` reports as "Error waiting for Deleting Network: …" when routes or Private
 * Service Access ranges created outside Terraform still point at the network. Users checked here: custom routes, firewall rules, subnetworks,
 * global addresses (PSA ranges), regional addresses, forwarding rules and instances' NICs. Peerings
 * do not block: deleting a network removes its peerings (the peer's side turns INACTIVE,
 * https://cloud.google.com/vpc/docs/using-vpc-peering#deleting_a_peering_connection), which is also how
 * an abandoned Service Networking connection goes away.
 */
import { HttpError } from '../errors.js';
import type { Router } from '../http.js';
import { computePath, computeUrl, type Resource } from '../store.js';
import { collectionsOf, globalCol, type ComputeContext } from './context.js';
import type { Instance } from './types.js';
import { getNetwork } from './networks.js';

const onNetwork = (value: unknown, path: string) => typeof value === 'string' && computePath(value) === path;

/** The first resource that still uses `network`, as Google names it. */
function firstUser(ctx: ComputeContext, project: string, networkPath: string): string | undefined {
  const scan = (pattern: RegExp, uses: (r: Resource) => boolean) => {
    for (const col of ctx.store.collectionsMatching(pattern)) {
      const hit = ctx.store.list(col).find(uses);
      if (hit) return `${col}/${hit.name}`;
    }
    return undefined;
  };
  const scanInstances = (uses: (r: Instance) => boolean) => {
    for (const col of collectionsOf(ctx.store, 'zone', 'instances', project)) {
      const hit = ctx.store.list(col).find(uses);
      if (hit) return `${col}/${hit.name}`;
    }
    return undefined;
  };
  const p = project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (
    scan(
      new RegExp(`^projects/${p}/global/routes$`),
      (r) => onNetwork(r.network, networkPath) && !String(r.name).startsWith('default-route-'),
    ) ??
    scan(new RegExp(`^projects/${p}/global/firewalls$`), (r) => onNetwork(r.network, networkPath)) ??
    scan(new RegExp(`^projects/${p}/regions/[^/]+/subnetworks$`), (r) => onNetwork(r.network, networkPath)) ??
    scan(new RegExp(`^projects/${p}/global/addresses$`), (r) => onNetwork(r.network, networkPath)) ??
    scan(new RegExp(`^projects/${p}/regions/[^/]+/addresses$`), (r) => onNetwork(r.network, networkPath)) ??
    scan(new RegExp(`^projects/${p}/regions/[^/]+/forwardingRules$`), (r) => onNetwork(r.network, networkPath)) ??
    scanInstances((r) => (r.networkInterfaces ?? []).some((n) => onNetwork(n.network, networkPath)))
  );
}

function deleteNetwork(ctx: ComputeContext, project: string, name: string): Resource {
  const network = getNetwork(ctx, project, name);
  const path = `${globalCol(project, 'networks')}/${name}`;
  return ctx.operations.start({
    project,
    scope: { kind: 'global' },
    methodId: 'compute.networks.delete',
    operationType: 'delete',
    targetLink: String(network.selfLink ?? computeUrl(path)),
    apply: () => {
      const user = firstUser(ctx, project, path);
      if (user) {
        const message = `The network resource '${path}' is already being used by '${user}'`;
        throw Object.assign(new HttpError(400, message, 'resourceInUseByAnotherResource'), {
          operationError: { code: 'RESOURCE_IN_USE_BY_ANOTHER_RESOURCE', message },
        });
      }
      ctx.store.remove(globalCol(project, 'networks'), name);
    },
  });
}

export function registerNetworkDelete(router: Router, ctx: ComputeContext): void {
  router.on('DELETE', '/compute/v1/projects/{project}/global/networks/{network}', 'compute.networks.delete', (r) =>
    deleteNetwork(ctx, r.params.project!, r.params.network!),
  );
}
