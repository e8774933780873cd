/**
 * One line per planned change, for `netreflex plan ranges`, dry-run responses and logs. Written so a
 * platform engineer can check the plan against the console before applying it.
 */
import { assertNever } from '../errors.js';
import type { RangeChange } from './ranges-types.js';

export function describeRangeChange(change: RangeChange): string {
  switch (change.kind) {
    case 'createAddress':
      return `create global address ${change.name} ${change.cidr} (purpose VPC_PEERING) on network ${change.network}`;
    case 'patchConnection':
      return `${change.create ? 'connect' : 'patch'} the Service Networking connection: reservedPeeringRanges = [${change.reservedPeeringRanges.join(', ')}] (adds ${change.added.join(', ')})`;
    case 'patchFirewall':
      return `extend firewall ${change.firewall} sourceRanges with ${change.added.join(', ')}`;
    case 'setMigMetadata':
      return `set NAT MIG metadata ${change.key}=${change.value} (NAT VMs add return routes for ${change.added.join(', ')})`;
    case 'enablePeeringExport':
      return `enable exportCustomRoutes on peering ${change.peering}`;
    default:
      return assertNever(change);
  }
}
