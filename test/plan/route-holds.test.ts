/**
 * Damping decided instance by instance (admit): each state with when it may change, which hold
 * marker belongs to which decision, and how Compute URLs are compared.
 */
import { describe, expect, it } from 'vitest';
import {
  admit,
  isRunningIdle,
  resourcePath,
  type AdmissionInput,
  type Hold,
  type HoldKind,
} from '../../shared/plan/route-holds.js';
import type { NatInstance, RouteSpec } from '../../shared/plan/routes.js';

const T0 = Date.UTC(2026, 0, 1);
const url = (name: string) =>
  `https://www.googleapis.com/compute/v1/projects/p/zones/asia-northeast1-a/instances/${name}`;
const path = (name: string) => `projects/p/zones/asia-northeast1-a/instances/${name}`;
const healthy = (name: string): NatInstance => ({
  name,
  url: url(name),
  instanceStatus: 'RUNNING',
  currentAction: 'NONE',
  health: 'HEALTHY',
});
const sick = (name: string): NatInstance => ({ ...healthy(name), health: 'UNHEALTHY' });
const marker = (kind: HoldKind, instanceUrl: string): RouteSpec => ({
  name: `hold-${kind}-${instanceUrl.split('/').pop()}`,
  network: 'n',
  destRange: '192.0.2.0/32',
  priority: 65535,
  description: kind,
});
const hold = (kind: HoldKind, name: string, since: number): Hold => ({
  kind,
  instance: path(name),
  since,
  route: { name: `hold-${kind}-${name}`, network: 'n', destRange: '192.0.2.0/32', priority: 65535 },
});

function run(over: Partial<AdmissionInput>) {
  const a = admit({
    instances: [],
    routed: new Set(),
    holds: [],
    now: T0,
    times: { joinMs: 20_000, unhealthyMs: 30_000 },
    requireHealthy: true,
    marker,
    ...over,
  });
  return { ...a, state: Object.fromEntries(a.state) };
}

describe('admit', () => {
  it('a routed instance whose health flips leaves at once without an unhealthy hold, and after it with one', () => {
    const flipped = { instances: [sick('a'), healthy('b')], routed: new Set([path('a'), path('b')]) };
    expect(run({ ...flipped, times: { joinMs: 0, unhealthyMs: 0 } })).toMatchObject({
      state: { [path('a')]: 'out', [path('b')]: 'routed' },
      holdInserts: [],
      pending: [],
    });
    const expired = run({ ...flipped, holds: [hold('unhealthy', 'a', T0 - 30_000)] });
    expect(expired).toMatchObject({ state: { [path('a')]: 'out' }, holdInserts: [], pending: [] });
    expect(expired.holdDeletes.map((r) => r.name)).toEqual(['hold-unhealthy-a']);
  });

  it('an unhealthy hold is told apart from a join hold of the same instance', () => {
    const a = run({
      instances: [sick('a'), healthy('b')],
      routed: new Set([path('a'), path('b')]),
      holds: [hold('join', 'a', T0 - 100_000)],
    });
    expect(a.state[path('a')]).toBe('leaving');
    expect(a.holdInserts.map((r) => r.name)).toEqual(['hold-unhealthy-a']);
    expect(a.holdDeletes.map((r) => r.name)).toEqual(['hold-join-a']);
    expect(a.pending).toEqual([{ instance: path('a'), kind: 'unhealthy', at: T0 + 30_000 }]);
  });

  it('a new instance joins at once without a join hold; with one it is joining until since + joinMs', () => {
    const base = { instances: [healthy('a'), healthy('c')], routed: new Set([path('a')]) };
    expect(run({ ...base, times: { joinMs: 0, unhealthyMs: 30_000 } })).toMatchObject({
      state: { [path('c')]: 'routed' },
      holdInserts: [],
      pending: [],
    });
    const joining = run({ ...base, holds: [hold('join', 'c', T0 - 5_000)] });
    expect(joining.state[path('c')]).toBe('joining');
    expect(joining.pending).toEqual([{ instance: path('c'), kind: 'join', at: T0 + 15_000 }]);
    expect(joining.holdDeletes).toEqual([]);
  });

  it('once the join hold is over the instance is routed, its marker kept, and nothing is pending', () => {
    const a = run({
      instances: [healthy('a'), healthy('c')],
      routed: new Set([path('a')]),
      holds: [hold('join', 'c', T0 - 20_000)],
    });
    expect(a).toMatchObject({ state: { [path('c')]: 'routed' }, holdInserts: [], holdDeletes: [], pending: [] });
  });

  it('with no routed instance eligible, a joining instance joins at once: routed, nothing pending', () => {
    const a = run({
      instances: [sick('a'), healthy('c')],
      routed: new Set([path('a')]),
      holds: [hold('join', 'c', T0 - 5_000)],
    });
    expect(a.state[path('c')]).toBe('routed');
    expect(a.pending).toEqual([{ instance: path('a'), kind: 'unhealthy', at: T0 + 30_000 }]);
    expect([...a.admitted]).toEqual([path('c')]);
  });
});

describe('isRunningIdle and resourcePath', () => {
  it('no current action is no action', () => {
    expect(isRunningIdle({ name: 'a', url: url('a'), instanceStatus: 'RUNNING' })).toBe(true);
  });

  it('full URLs (http or https, v1 or beta) and paths with or without a leading slash compare equal', () => {
    for (const u of [
      url('a'),
      url('a').replace('https:', 'http:'),
      url('a').replace('/v1/', '/beta/'),
      `/${path('a')}`,
      path('a'),
    ])
      expect(resourcePath(u)).toBe(path('a'));
  });
});
