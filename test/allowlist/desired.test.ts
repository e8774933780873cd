/** The desired state of one policy: which lists, which ranges, what expired, and what is refused before planning. */
import { describe, expect, it } from 'vitest';
import type { Allowlist, AllowlistEntry } from '../../shared/allowlist/model.js';
import { AllowlistSafetyError } from '../../shared/allowlist/errors.js';
import { desiredAllowlist } from '../../shared/plan/allowlist-desired.js';
import { SAFETY } from './helpers.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const PAST = new Date('2025-01-01T00:00:00Z');
const KEY = 'cloudNat:asia-northeast1/nat-router/nat-egress';
const nat: AllowlistEntry = {
  kind: 'cloudNat',
  cloudNat: { router: 'nat-router', nat: 'nat-egress', region: 'asia-northeast1' },
  key: KEY,
  description: 'pipelines',
  where: 'f.yaml:5:9',
  path: 'lists.pipelines.entries[0]',
};
const staticEntry = (cidr: string, extra: Partial<AllowlistEntry> = {}): AllowlistEntry =>
  ({ kind: 'static', input: cidr, cidrs: [cidr], description: cidr, where: 'f.yaml:9:9', ...extra }) as AllowlistEntry;

function allowlistOf(lists: { name: string; policies?: string[]; entries: AllowlistEntry[] }[]): Allowlist {
  return {
    version: 1,
    source: 'f.yaml',
    mode: 'sync',
    priorities: { from: 1000, to: 1999 },
    safety: SAFETY,
    lists: lists.map((l) => ({ name: l.name, policies: l.policies ?? ['p'], preview: false, entries: l.entries })),
  };
}

function refusal(fn: () => unknown): AllowlistSafetyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AllowlistSafetyError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('desiredAllowlist', () => {
  it('takes only the lists that target the policy', () => {
    const want = desiredAllowlist(
      allowlistOf([
        { name: 'mine', entries: [staticEntry('192.0.2.0/28')] },
        { name: 'theirs', policies: ['other'], entries: [staticEntry('198.51.100.0/28')] },
      ]),
      { policy: 'p', now: NOW },
    );
    expect(want.lists).toEqual([{ name: 'mine', preview: false, cidrs: ['192.0.2.0/28'] }]);
    expect([want.expired, want.expiredCidrs, want.expiredEntries]).toEqual([[], [], 0]);
  });

  it('resolves Cloud NAT sources, trimming what the API gives', () => {
    const want = desiredAllowlist(allowlistOf([{ name: 'pipelines', entries: [nat] }]), {
      policy: 'p',
      now: NOW,
      resolved: new Map([[KEY, [' 203.0.113.5 ']]]),
    });
    expect(want.lists[0]!.cidrs).toEqual(['203.0.113.5/32']);
  });

  it('records an expired Cloud NAT entry by its router and NAT, with the addresses it had when they are known', () => {
    const expiredNat = { ...nat, expires: PAST };
    const want = desiredAllowlist(
      allowlistOf([{ name: 'pipelines', entries: [expiredNat, staticEntry('192.0.2.1/32')] }]),
      { policy: 'p', now: NOW, resolved: new Map([[KEY, [' 203.0.113.5 ', 'garbage']]]) },
    );
    expect(want.expired).toEqual([
      {
        list: 'pipelines',
        entry: 'cloudNat nat-router/nat-egress',
        description: 'pipelines',
        expires: '2025-01-01T00:00:00.000Z',
        cidrs: ['203.0.113.5/32'],
        where: 'f.yaml:5:9',
        path: 'lists.pipelines.entries[0]',
      },
    ]);
    expect(
      desiredAllowlist(allowlistOf([{ name: 'pipelines', entries: [expiredNat] }]), { policy: 'p', now: NOW })
        .expired[0]!.cidrs,
    ).toEqual([]);
  });

  it('says which source could not be resolved, and why', () => {
    const noRegion: AllowlistEntry = {
      ...nat,
      cloudNat: { router: 'r', nat: 'n' },
      key: 'cloudNat:/r/n',
    } as AllowlistEntry;
    const err = refusal(() =>
      desiredAllowlist(allowlistOf([{ name: 'pipelines', entries: [nat, noRegion] }]), {
        policy: 'p',
        now: NOW,
        resolved: new Map([
          [KEY, ['not-an-ip']],
          ['cloudNat:/r/n', []],
        ]),
      }),
    );
    expect(err.refusal).toBe('unresolved-source');
    expect(err.message.split('\n')).toEqual([
      'Some symbolic sources have no addresses; nothing was planned (a sync would remove their callers):',
      '  - Cloud NAT nat-egress on router nat-router in asia-northeast1 (f.yaml:5:9) resolved to "not-an-ip", which is not an IP address',
      '  - Cloud NAT n on router r (f.yaml:5:9) resolved to no IPs: give it MANUAL_ONLY static IPs',
    ]);
    expect(
      refusal(() => desiredAllowlist(allowlistOf([{ name: 'pipelines', entries: [nat] }]), { policy: 'p', now: NOW }))
        .details,
    ).toEqual([
      'Cloud NAT nat-egress on router nat-router in asia-northeast1 (f.yaml:5:9) resolved to nothing: resolve every source before planning',
    ]);
  });

  it('refuses a wide entry (a programmatic config or a resolved source) once, with its own reason', () => {
    const err = refusal(() =>
      desiredAllowlist(allowlistOf([{ name: 'l', entries: [staticEntry('10.0.0.0/8')] }]), { policy: 'p', now: NOW }),
    );
    expect(err.refusal).toBe('world-open');
    expect(err.message.split('\n')).toEqual([
      'The allowlist opens too much; nothing was planned:',
      '  - 10.0.0.0/8 is wider than the minimum prefix /16 for IPv4; lower safety.minPrefixLength.ipv4 or set safety.allowWorldOpen: true if that is really meant',
    ]);
    const wideNat = refusal(() =>
      desiredAllowlist(allowlistOf([{ name: 'pipelines', entries: [nat] }]), {
        policy: 'p',
        now: NOW,
        resolved: new Map([[KEY, ['::ffff:0:0/96']]]),
      }),
    );
    expect(wideNat.details).toEqual([
      '::ffff:0:0/96 reaches IPv4 through IPv4-mapped addresses (::ffff:0:0/96) and is judged as IPv4: 0.0.0.0/0 opens the endpoint to the whole IPv4 internet; set safety.allowWorldOpen: true if that is really meant',
    ]);
  });
});
