/** One line per planned range change, for each kind and with several ranges added at once. */
import { describe, expect, it } from 'vitest';
import { describeRangeChange } from '../../shared/plan/ranges-describe.js';

describe('describeRangeChange', () => {
  it('an existing connection is patched; several ranges are listed', () => {
    expect(
      describeRangeChange({
        kind: 'patchConnection',
        create: false,
        reservedPeeringRanges: ['a', 'b', 'c'],
        added: ['b', 'c'],
      }),
    ).toBe('patch the Service Networking connection: reservedPeeringRanges = [a, b, c] (adds b, c)');
  });

  it('the firewall and the metadata list every range they add', () => {
    expect(
      describeRangeChange({
        kind: 'patchFirewall',
        firewall: 'fw',
        sourceRanges: ['10.0.0.0/8', '10.99.0.0/16', '10.98.8.0/21'],
        added: ['10.99.0.0/16', '10.98.8.0/21'],
      }),
    ).toBe('extend firewall fw sourceRanges with 10.99.0.0/16, 10.98.8.0/21');
    expect(
      describeRangeChange({
        kind: 'setMigMetadata',
        key: 'k',
        value: '10.99.0.0/16,10.98.8.0/21',
        ranges: ['10.99.0.0/16', '10.98.8.0/21'],
        added: ['10.99.0.0/16', '10.98.8.0/21'],
      }),
    ).toBe(
      'set NAT MIG metadata k=10.99.0.0/16,10.98.8.0/21 (NAT VMs add return routes for 10.99.0.0/16, 10.98.8.0/21)',
    );
  });
});
