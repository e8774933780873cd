/**
 * What the natRoutes scenarios share: a local Google Cloud with the sample topology, the
 * reconciler's config for it, a fast-retrying Transport, and "is the final state right?" —
 * one route per destination × eligible NAT instance, each to an eligible instance, nothing else
 * owned.
 */
import type { Emulator } from '../../emulator/server.js';
import { startSampleEmulator, type SampleEmulatorOptions } from '../../local/seed.js';
import { sampleEnv } from '../../local/stack.js';
import { SAMPLE } from '../../local/topology.js';
import { Transport } from '../../shared/gcp/transport.js';
import { loadNatRoutesConfig, type NatRoutesConfig } from '../../shared/config/nat-routes.js';
import { ownerMarker, resourcePath } from '../../shared/plan/routes.js';
import { migPath } from '../../shared/gcp/paths.js';

export const MIG = { project: SAMPLE.project, region: SAMPLE.region, name: SAMPLE.nat.mig };
export const ROUTES_COL = `projects/${SAMPLE.project}/global/routes`;

export async function natEmulator(
  options: SampleEmulatorOptions = {},
): Promise<{ emu: Emulator; cfg: NatRoutesConfig }> {
  const emu = await startSampleEmulator({
    natInstances: ['nat-a1b2', 'nat-c3d4'],
    ...options,
    settings: { operationLatencyMs: 20, instanceStepMs: 20, ...options.settings },
  });
  const cfg = loadNatRoutesConfig({
    ...sampleEnv(emu.url),
    NETREFLEX_LOG_LEVEL: 'silent',
    NETREFLEX_SETTLE_POLL_MS: '50',
    NETREFLEX_SETTLE_TIMEOUT_SECONDS: '10',
  });
  return { emu, cfg };
}

/** A Transport on the emulator that retries transient errors quickly (same policy, shorter waits). */
export const fastTransport = (emu: Emulator) =>
  new Transport({ emulatorHost: emu.url, retry: { baseMs: 5, maxMs: 40 } });

export function eligibleUrls(emu: Emulator): string[] {
  return emu.migs
    .managedInstances(MIG)
    .filter(
      (i) =>
        i.instanceStatus === 'RUNNING' &&
        i.currentAction === 'NONE' &&
        i.instanceHealth?.[0]?.detailedHealthState === 'HEALTHY',
    )
    .map((i) => resourcePath(i.instance));
}

/**
 * netreflex's traffic routes as a test judges them: the owner marker, VPC A, the configured
 * priority, untagged, an instance or load balancer next hop (hold markers and forged copies excluded).
 */
export function ownedRoutes(
  emu: Emulator,
  cfg: Pick<NatRoutesConfig, 'project' | 'region' | 'mig' | 'priority' | 'network'> = {
    project: SAMPLE.project,
    region: SAMPLE.region,
    mig: SAMPLE.nat.mig,
    priority: 900,
    network: SAMPLE.vpcA.network,
  },
) {
  return emu.store
    .list(ROUTES_COL)
    .filter(
      (r) =>
        String(r.description ?? '').startsWith(`${ownerMarker(migPath(cfg))} `) &&
        !(r.tags as string[] | undefined)?.length &&
        r.priority === cfg.priority,
    )
    .filter(
      (r) =>
        resourcePath(String(r.network)) === `projects/${cfg.project}/global/networks/${cfg.network}` &&
        (typeof r.nextHopInstance === 'string' || typeof r.nextHopIlb === 'string'),
    );
}

/** Hold markers (route-holds.ts) of the NAT MIG now in VPC A. */
export function holdMarkers(emu: Emulator) {
  return emu.store.list(ROUTES_COL).filter((r) => String(r.description ?? '').startsWith('netreflex:nat-routes-hold '));
}

/** Why the routes are not right yet, or undefined when they are (ilb mode: one route per destination to the load balancer). */
export function convergenceProblem(emu: Emulator, cfg: NatRoutesConfig, instances?: number): string | undefined {
  const eligible = eligibleUrls(emu);
  if (instances !== undefined && eligible.length !== instances)
    return `${eligible.length} eligible NAT instances, want ${instances}`;
  const routes = ownedRoutes(emu, cfg);
  const hops =
    cfg.mode === 'ilb'
      ? [`projects/${cfg.project}/regions/${cfg.region}/forwardingRules/${cfg.ilbForwardingRule}`]
      : eligible;
  const want = new Set(cfg.destinations.flatMap((d) => hops.map((i) => `${d} → ${i}|${cfg.priority}`)));
  const have = new Set(
    routes.map(
      (r) =>
        `${String(r.destRange)} → ${resourcePath(String(r.nextHopInstance ?? r.nextHopIlb))}|${String(r.priority)}`,
    ),
  );
  const missing = [...want].filter((w) => !have.has(w));
  const extra = [...have].filter((h) => !want.has(h));
  if (missing.length || extra.length || routes.length !== want.size)
    return `missing [${missing.join(', ')}], extra [${extra.join(', ')}]`;
  return undefined;
}

/** The same setup switched to ilb mode: every instance route is replaced by one route per destination to the load balancer. */
export const switchedToIlb = (cfg: NatRoutesConfig): NatRoutesConfig => ({
  ...cfg,
  mode: 'ilb',
  ilbForwardingRule: SAMPLE.nat.ilb,
});

/** Waits until every MIG instance is idle (RUNNING, action NONE). */
export async function migSettled(emu: Emulator, size: number, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const list = emu.migs.list(MIG);
    if (list.length === size && list.every((m) => m.currentAction === 'NONE' && m.health === 'HEALTHY')) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the NAT MIG did not settle at ${size} idle instances within ${timeoutMs} ms`);
}

/** Route insert/delete calls per method, from the emulator's call counter. */
export function routeCalls(emu: Emulator): { insert: number; delete: number } {
  return {
    insert: emu.router.calls.get('compute.routes.insert') ?? 0,
    delete: emu.router.calls.get('compute.routes.delete') ?? 0,
  };
}

export function callsSince(emu: Emulator, before: { insert: number; delete: number }) {
  const now = routeCalls(emu);
  return {
    insert: now.insert - before.insert,
    delete: now.delete - before.delete,
    total: now.insert - before.insert + now.delete - before.delete,
  };
}
