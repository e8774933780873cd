/** planTeardown: what netreflex may remove is exactly what its functions made on this network. */
import { describe, expect, it } from 'vitest';
import { planTeardown, type TeardownObservation } from '../../shared/teardown/plan.js';
import { ownerMarker } from '../../shared/plan/routes.js';

const OWNER = 'projects/p/regions/r/instanceGroupManagers/nat-mig';
const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-a';
const OTHER = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-b';
const route = (name: string, description: string | undefined, network = NET) => ({
  name,
  network,
  destRange: '198.51.100.10/32',
  priority: 900,
  ...(description === undefined ? {} : { description }),
});
const range = (name: string, description?: string, network = NET) => ({
  name,
  address: '10.99.0.0',
  prefixLength: 16,
  purpose: 'VPC_PEERING',
  network,
  ...(description === undefined ? {} : { description }),
});

const obs = (o: Partial<TeardownObservation>): TeardownObservation => ({
  owner: OWNER,
  network: 'vpc-a',
  routes: [],
  addresses: [],
  connection: null,
  ...o,
});

describe('planTeardown', () => {
  it('takes natRoutes’ routes of this MIG on this network, and nothing else', () => {
    const plan = planTeardown(
      obs({
        routes: [
          route('netreflex-a', `${ownerMarker(OWNER)} dest=198.51.100.10/32`),
          route('netreflex-other-mig', `${ownerMarker('projects/p/regions/r/instanceGroupManagers/other')} dest=x`),
          route('hand-made', 'made by hand'),
          route('netreflex-b-on-vpc-b', `${ownerMarker(OWNER)} dest=x`, OTHER),
          route('default-route-vpc-a', undefined),
        ],
      }),
    );
    expect(plan.routes).toEqual(['netreflex-a']);
    expect(plan.foreign).toEqual(['route hand-made', 'route netreflex-other-mig']);
  });

  it('takes peeringRanges’ ranges (name and description), drops them from the connection, keeps Terraform’s', () => {
    const plan = planTeardown(
      obs({
        addresses: [
          range('netreflex-psa-10-99-0-0-16', 'netreflex peeringRanges: PSA range'),
          range('vertex-psa-range', 'Terraform'),
          range('netreflex-psa-squatted', 'someone else'),
          range('netreflex-psa-10-100-0-0-16', 'netreflex peeringRanges: x', OTHER),
        ],
        connection: {
          network: 'projects/1/global/networks/vpc-a',
          reservedPeeringRanges: ['vertex-psa-range', 'netreflex-psa-10-99-0-0-16'],
        },
      }),
    );
    expect(plan.addresses).toEqual(['netreflex-psa-10-99-0-0-16']);
    expect(plan.released).toEqual(['netreflex-psa-10-99-0-0-16']);
    expect(plan.connectionRanges).toEqual(['vertex-psa-range']);
  });

  it('an empty project plans nothing, and a connection left alone is not patched', () => {
    const plan = planTeardown(obs({ connection: { network: 'n', reservedPeeringRanges: ['vertex-psa-range'] } }));
    expect(plan).toEqual({ routes: [], released: [], addresses: [], foreign: [] });
  });
});
