/** Compute Engine VM instances: read one by its URL (the next hop of a route). */
import type { Transport } from './transport.js';
import { resourcePath } from './paths.js';

export interface Instance {
  name: string;
  selfLink: string;
  status?: string;
  creationTimestamp?: string;
}

/** `instances.get` for an instance URL or path (`projects/p/zones/z/instances/n`); 404 when it is gone. */
export const getInstanceByUrl = (t: Transport, url: string) =>
  t.request<Instance>({ service: 'compute', method: 'GET', path: `/compute/v1/${resourcePath(url)}` });
