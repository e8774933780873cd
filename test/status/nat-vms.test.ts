/**
 * The NAT VMs link judges each VM by natRoutes' own eligibility, configured as natRoutes is
 * (NETREFLEX_REQUIRE_HEALTHY): with health not required natRoutes routes to a RUNNING but
 * UNHEALTHY VM, so status must not call that VM broken while it judges its routes ok.
 */
import { describe, expect, it } from 'vitest';
import { natVmsLink } from '../../shared/status/egress-links.js';
import { loadStatusConfig } from '../../shared/status/config.js';
import { planFrom } from '../../shared/nat-routes/plan.js';
import type { RoutesDryRun } from '../../shared/status/routes-link.js';
import type { Observed } from '../../shared/nat-routes/observe.js';
import type { Transport } from '../../shared/gcp/transport.js';
import type { StatusConfig } from '../../shared/status/types.js';

const ENV = {
  NETREFLEX_PROJECT: 'netreflex-demo',
  NETREFLEX_REGION: 'europe-west4',
  NETREFLEX_NETWORK: 'vpc-a',
  NETREFLEX_NAT_MIG: 'nat-mig',
  NETREFLEX_DESTINATIONS: '10.20.0.0/16',
  NETREFLEX_PEERING: 'servicenetworking-googleapis-com',
  NETREFLEX_NAT_ROUTER: 'nat-router',
  NETREFLEX_NAT_NAME: 'nat',
};

const vm = (name: string, health: string) => ({
  name,
  url: `https://www.googleapis.com/compute/v1/projects/netreflex-demo/zones/europe-west4-a/instances/${name}`,
  instanceStatus: 'RUNNING',
  currentAction: 'NONE',
  health,
});

const observed: Observed = {
  instances: [vm('nat-1', 'HEALTHY'), vm('nat-2', 'UNHEALTHY')],
  routes: [],
  gone: [],
  now: 0,
};
// The link reads nothing when natRoutes' dry run observed the MIG: a transport call would be a bug.
const noReads = new Proxy({}, { get: (_, p) => () => Promise.reject(new Error(`unexpected read ${String(p)}`)) });
/** The VMs natRoutes' plan inserts routes to, from this observation. */
const routedTo = (cfg: StatusConfig) =>
  [...new Set(planFrom(cfg.routes, observed).plan.inserts.map((r) => r.nextHopInstance?.split('/').pop()))].sort();
const dry: RoutesDryRun = { ok: false, err: new Error('stopped after the observation'), observed };

describe('the NAT VMs link', () => {
  it('NETREFLEX_REQUIRE_HEALTHY=false: an UNHEALTHY but RUNNING VM is routed by natRoutes, so the link is OK', async () => {
    const cfg = loadStatusConfig({ ...ENV, NETREFLEX_REQUIRE_HEALTHY: 'false' });
    // natRoutes' own planner, configured the same, routes to both VMs.
    expect(routedTo(cfg)).toEqual(['nat-1', 'nat-2']);
    const link = await natVmsLink(noReads as Transport, cfg, dry);
    expect(link).toMatchObject({ state: 'ok', reason: '2 running NAT VM(s)' });
    expect(link.details).toContain(
      'nat-2: RUNNING, UNHEALTHY (health not required: NETREFLEX_REQUIRE_HEALTHY=false, natRoutes routes to it)',
    );
  });

  it('health required (the default): the UNHEALTHY VM gets no routes and the link is BROKEN naming it', async () => {
    const cfg = loadStatusConfig(ENV);
    expect(routedTo(cfg)).toEqual(['nat-1']);
    const link = await natVmsLink(noReads as Transport, cfg, dry);
    expect(link).toMatchObject({
      state: 'broken',
      reason: '1 of 2 NAT VM(s) not healthy (nat-2); egress continues on the others',
    });
  });
});
