/**
 * The Private Service Access part of the sample topology (docs/sample-topology.md): the allocated range
 * `vertex-psa-range` 10.98.0.0/21 on vpc-a, the Service Networking connection that reserves it,
 * and the firewall rule `allow-psa-to-nat` that lets it reach the NAT VMs. The peering itself is
 * seeded with the network (seed.ts), as Compute shows it.
 */
import { computeUrl, nextId, nowIso, type Store } from '../emulator/store.js';
import { globalCol } from '../emulator/compute/context.js';
import { SAMPLE } from './topology.js';
import { PEERING, SERVICE } from '../emulator/servicenetworking/connections.js';

const P = SAMPLE.project;
const url = (path: string) => computeUrl(`projects/${P}/${path}`);

/** The network tag of the NAT VMs the PSA firewall rule targets (terraform-bootstrap `local.nat_tag`). */
export const NAT_TAG = 'netreflex-nat';

export function seedPrivateServiceAccess(store: Store): void {
  const [address, prefixLength] = SAMPLE.psa.range.split('/');
  store.insert(globalCol(P, 'addresses'), {
    kind: 'compute#address', id: nextId(), creationTimestamp: nowIso(), name: SAMPLE.psa.address, address, prefixLength: Number(prefixLength),
    status: 'RESERVED', purpose: 'VPC_PEERING', addressType: 'INTERNAL', network: url(`global/networks/${SAMPLE.vpcA.network}`), ipVersion: 'IPV4',
    labelFingerprint: '42WmSpB8rSM=', selfLink: url(`global/addresses/${SAMPLE.psa.address}`),
  });
  const network = `projects/${SAMPLE.projectNumber}/global/networks/${SAMPLE.vpcA.network}`;
  store.insert(`services/${SERVICE}/connections`, { name: network, network, reservedPeeringRanges: [SAMPLE.psa.address], peering: PEERING, service: `services/${SERVICE}` });
  store.insert(globalCol(P, 'firewalls'), {
    kind: 'compute#firewall', id: nextId(), creationTimestamp: nowIso(), name: SAMPLE.firewall.psaToNat,
    description: 'Vertex AI nodes in the PSA ranges reach the NAT VMs; netreflex peeringRanges adds every range it allocates.',
    network: url(`global/networks/${SAMPLE.vpcA.network}`), priority: 1000, direction: 'INGRESS', sourceRanges: [SAMPLE.psa.range], targetTags: [NAT_TAG],
    allowed: [{ IPProtocol: 'all' }], disabled: false, logConfig: { enable: false }, selfLink: url(`global/firewalls/${SAMPLE.firewall.psaToNat}`),
  });
}
