/**
 * The names natRoutes gives its routes and hold markers, pinned literally. A name is part of a
 * route's ownership (a route under a name netreflex would not derive for it is a conflict), so a
 * change to the naming turns every route and hold marker already deployed into a conflict nobody
 * may touch: these values must only ever change on purpose, with a migration.
 */
import { describe, expect, it } from 'vitest';
import { ALTERNATE_NAMES, candidateNames, holdName, holdNames, routeName } from '../../shared/plan/routes.js';

const NET = 'https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc-a';
const url = (name: string) =>
  `https://www.googleapis.com/compute/v1/projects/p/zones/asia-northeast1-a/instances/${name}`;
const ILB = 'https://www.googleapis.com/compute/v1/projects/p/regions/asia-northeast1/forwardingRules/nat-ilb';
const D1 = '198.51.100.10/32';
const LONG = 'nat-instance-with-a-very-long-name-0123456789';

describe('route names', () => {
  it('the first name and its alternates, as deployed', () => {
    expect(ALTERNATE_NAMES).toBe(3);
    expect(
      candidateNames('netreflex', { network: NET, destRange: D1, priority: 900, nextHopInstance: url('nat-a') }),
    ).toEqual([
      'netreflex-198-51-100-10-32-nat-a-7384c1',
      'netreflex-198-51-100-10-32-nat-a-c2e6d6',
      'netreflex-198-51-100-10-32-nat-a-13ecd4',
      'netreflex-198-51-100-10-32-nat-a-21596d',
    ]);
  });

  it('a full URL and a resource path name the same route', () => {
    expect(
      routeName('netreflex', {
        network: 'projects/p/global/networks/vpc-a',
        destRange: D1,
        priority: 900,
        nextHopInstance: 'projects/p/zones/asia-northeast1-a/instances/nat-a',
      }),
    ).toBe('netreflex-198-51-100-10-32-nat-a-7384c1');
  });

  it('every part of the identity changes the hash', () => {
    const base = { network: NET, destRange: D1, priority: 900, nextHopInstance: url('nat-a') };
    const names = [
      routeName('netreflex', base),
      routeName('netreflex', { ...base, network: NET.replace('vpc-a', 'vpc-b') }),
      routeName('netreflex', { ...base, priority: 901 }),
      routeName('netreflex', {
        ...base,
        nextHopInstance: url('nat-a').replace('asia-northeast1-a', 'asia-northeast1-b'),
      }),
    ];
    expect(new Set(names.map((n) => n.slice(-6))).size).toBe(4);
  });

  it('a load balancer next hop is named by its forwarding rule', () => {
    expect(routeName('netreflex', { network: NET, destRange: D1, priority: 900, nextHopIlb: ILB })).toBe(
      'netreflex-198-51-100-10-32-nat-ilb-031bd3',
    );
  });

  it('a route without a next hop still gets a valid name', () => {
    expect(routeName('netreflex', { network: NET, destRange: D1, priority: 900 })).toBe(
      'netreflex-198-51-100-10-32-hop-38486e',
    );
  });

  it('punctuation becomes single hyphens, never leading or trailing', () => {
    expect(
      routeName('netreflex', { network: NET, destRange: '::/0', priority: 900, nextHopInstance: url('nat-a') }),
    ).toBe('netreflex-0-nat-a-c0d432');
    expect(
      routeName('netreflex', {
        network: NET,
        destRange: '2001:db8::/32',
        priority: 900,
        nextHopInstance: url('nat-a'),
      }),
    ).toMatch(/^netreflex-2001-db8-32-nat-a-[0-9a-f]{6}$/);
  });

  it('long destinations and instance names are cut to 24 characters each and the whole to 63, without a hyphen at a cut', () => {
    // destination slug 2001-db8-abcd-1234-5678-80 is cut to 24 (its trailing hyphen dropped), the head to 55
    expect(
      routeName('netreflex', {
        network: NET,
        destRange: '2001:db8:abcd:1234:5678::/80',
        priority: 900,
        nextHopInstance: url(LONG),
      }),
    ).toBe('netreflex-2001-db8-abcd-1234-5678-nat-instance-with-a-v-b86b45');
    // the 55-character cut falls right after a hyphen of the instance name
    expect(
      routeName('netreflex', {
        network: NET,
        destRange: '2001:db8:abcd:1234:5678::/80',
        priority: 900,
        nextHopInstance: url(`${'a'.repeat(20)}-${'b'.repeat(30)}`),
      }),
    ).toBe('netreflex-2001-db8-abcd-1234-5678-aaaaaaaaaaaaaaaaaaaa-815ec9');
  });
});

describe('hold marker names', () => {
  it('one per instance and kind, as deployed; a full URL and a path agree', () => {
    expect(holdName('netreflex', 'join', url('nat-a'))).toBe('netreflex-hold-join-nat-a-bacd6c');
    expect(holdName('netreflex', 'unhealthy', url('nat-a'))).toBe('netreflex-hold-unhealthy-nat-a-662d0d');
    expect(holdName('netreflex', 'join', 'projects/p/zones/asia-northeast1-a/instances/nat-a')).toBe(
      'netreflex-hold-join-nat-a-bacd6c',
    );
  });

  it('a long prefix and instance name are cut to 55 characters before the hash, without a hyphen at the cut', () => {
    expect(holdName('nat-routes-for-vpc-a', 'unhealthy', url(LONG))).toBe(
      'nat-routes-for-vpc-a-hold-unhealthy-nat-instance-with-a-0ffaa2',
    );
    expect(holdName('nat-routes-for-vpc-a', 'unhealthy', url(`${'a'.repeat(18)}-${'b'.repeat(10)}`))).toBe(
      'nat-routes-for-vpc-a-hold-unhealthy-aaaaaaaaaaaaaaaaaa-1347d6',
    );
  });

  it('alternates for a name someone else holds: the deployed name first, then distinct names that differ only in the hash', () => {
    const names = holdNames('netreflex', 'unhealthy', url('nat-a'));
    expect(names).toHaveLength(ALTERNATE_NAMES + 1);
    expect(names[0]).toBe('netreflex-hold-unhealthy-nat-a-662d0d');
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^netreflex-hold-unhealthy-nat-a-[0-9a-f]{6}$/);
    expect(holdNames('netreflex', 'join', url('nat-a')).some((n) => names.includes(n))).toBe(false);
  });
});
