/**
 * Compute Engine checks a permission on the resource that permission is about, which is not always
 * the resource the call acts on: inserting a route or patching a firewall rule needs
 * compute.networks.updatePolicy on the network ("Required 'compute.networks.updatePolicy'
 * permission for 'projects/p/global/networks/default'", the error a firewall insert without it
 * meets), a route to a VM needs compute.instances.use on that VM (to a load balancer
 * compute.forwardingRules.use on its forwarding rule), an address reserved in a network
 * compute.networks.use on the network (permissions.ts says when these apply). So a condition on resource.name sees the network or the VM
 * there, as in Google. Every other permission stays on the call's resource.
 */
import { computePath, type Resource } from '../store.js';
import type { Request } from '../http.js';

type Lookup = (path: string) => Resource | undefined;

/** The field of the request (or of the stored resource) naming what `collection` permissions are checked on. */
const FIELDS: Record<string, string[]> = {
  networks: ['network'],
  instances: ['nextHopInstance'],
  subnetworks: ['subnetwork'],
  forwardingRules: ['nextHopIlb'],
};

export function targetOf(permission: string, resource: string, req: Request, lookup: Lookup): string {
  const m = /^compute\.(networks|instances|subnetworks|forwardingRules)\.(use|updatePolicy)$/.exec(permission);
  if (!m) return resource;
  const collection = m[1]!;
  if (new RegExp(`/${collection}/[^/]+$`).test(resource)) return resource;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const stored = lookup(resource);
  for (const field of FIELDS[collection]!) {
    const named = body[field] ?? stored?.[field];
    if (typeof named !== 'string' || !named) continue;
    // A partial URL (`global/networks/vpc-a`, which Compute accepts) is in the call's project.
    const path = computePath(named);
    return path.startsWith('projects/') ? path : `${resource.split('/').slice(0, 2).join('/')}/${path}`;
  }
  return resource;
}
