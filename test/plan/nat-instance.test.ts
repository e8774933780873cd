/**
 * How natRoutes reads its MIG (shared/plan/routes.ts `natInstanceOf`) and the wire paths it names
 * the MIG, its instance group and its load balancer by (shared/gcp/paths.ts).
 */
import { describe, expect, it } from 'vitest';
import { natInstanceOf } from '../../shared/plan/routes.js';
import { forwardingRuleUrl, migGroupPath, migPath } from '../../shared/gcp/paths.js';

const URL = 'https://www.googleapis.com/compute/v1/projects/p/zones/asia-northeast1-a/instances/nat-a-x1';

describe('natInstanceOf', () => {
  it('a managed instance with a health check: its name, URL, status, action and the first check’s health', () => {
    expect(
      natInstanceOf({
        instance: URL,
        name: 'nat-a',
        id: '42',
        instanceStatus: 'RUNNING',
        currentAction: 'NONE',
        instanceHealth: [
          { healthCheck: 'hc-1', detailedHealthState: 'HEALTHY' },
          { healthCheck: 'hc-2', detailedHealthState: 'UNHEALTHY' },
        ],
      }),
    ).toStrictEqual({ name: 'nat-a', url: URL, instanceStatus: 'RUNNING', currentAction: 'NONE', health: 'HEALTHY' });
  });

  it('without a name the URL’s last segment is its name; no health check, no health', () => {
    expect(natInstanceOf({ instance: URL })).toStrictEqual({
      name: 'nat-a-x1',
      url: URL,
      instanceStatus: undefined,
      currentAction: undefined,
      health: undefined,
    });
    expect(natInstanceOf({ instance: URL, instanceHealth: [] }).health).toBeUndefined();
    expect(natInstanceOf({ instance: URL, instanceHealth: [{ healthCheck: 'hc' }] }).health).toBeUndefined();
  });
});

describe('natRoutes’ wire paths', () => {
  const cfg = { project: 'p', region: 'asia-northeast1', mig: 'nat-mig' };

  it('the MIG, as route markers name their owner', () => {
    expect(migPath(cfg)).toBe('projects/p/regions/asia-northeast1/instanceGroupManagers/nat-mig');
  });

  it('the MIG’s instance group, as a backend service lists it', () => {
    expect(migGroupPath(cfg)).toBe('projects/p/regions/asia-northeast1/instanceGroups/nat-mig');
  });

  it('a forwarding rule, as a route names its next-hop load balancer', () => {
    expect(forwardingRuleUrl('p', 'asia-northeast1', 'nat-ilb')).toBe(
      'https://www.googleapis.com/compute/v1/projects/p/regions/asia-northeast1/forwardingRules/nat-ilb',
    );
  });
});
