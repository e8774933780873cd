/**
 * Runs a teardown plan against the project: routes first (nothing depends on them), then the
 * connection drops netreflex's ranges, then the ranges are released — each step waited on, every
 * step reported; a failed step does not stop the independent ones. Then the project is observed
 * again: an empty plan is the verification.
 */
import type { Transport } from '../gcp/transport.js';
import { deleteRoute, listRoutes } from '../gcp/routes.js';
import { deleteGlobalAddress, listGlobalAddresses } from '../gcp/addresses.js';
import { consumerNetwork, getConnection, patchReservedRanges } from '../gcp/servicenetworking.js';
import { getNetwork } from '../gcp/networks.js';
import { migPath } from '../gcp/paths.js';
import { errorMessage, isTransient, unlessNotFound } from '../errors.js';
import { isEmptyTeardown, planTeardown, type TeardownPlan } from './plan.js';

export interface TeardownConfig {
  project: string;
  projectNumber: string;
  region: string;
  network: string;
  mig: string;
}

export interface TeardownStep {
  what: string;
  ok: boolean;
  error?: string;
  transient?: boolean;
}

export interface TeardownReport {
  plan: TeardownPlan;
  applied: boolean;
  steps: TeardownStep[];
  /** What is still there after the teardown (empty when it verified). */
  remaining?: TeardownPlan;
}

/** The connection of the network, or null when there is none — or no network any more. */
async function connectionOf(t: Transport, cfg: TeardownConfig) {
  if (!(await unlessNotFound(getNetwork(t, cfg.project, cfg.network)))) return null;
  return getConnection(t, consumerNetwork(cfg.projectNumber, cfg.network));
}

async function observeTeardown(t: Transport, cfg: TeardownConfig): Promise<TeardownPlan> {
  const [routes, addresses, connection] = await Promise.all([
    listRoutes(t, cfg.project),
    listGlobalAddresses(t, cfg.project),
    connectionOf(t, cfg),
  ]);
  return planTeardown({
    owner: migPath(cfg),
    network: cfg.network,
    routes,
    addresses,
    connection,
  });
}

async function step(what: string, run: () => Promise<void>): Promise<TeardownStep> {
  try {
    await run();
    return { what, ok: true };
  } catch (err) {
    return { what, ok: false, error: errorMessage(err), transient: isTransient(err) };
  }
}

export async function teardown(
  t: Transport,
  cfg: TeardownConfig,
  options: { apply: boolean; force?: boolean },
): Promise<TeardownReport> {
  const plan = await observeTeardown(t, cfg);
  if (!options.apply || isEmptyTeardown(plan)) return { plan, applied: false, steps: [] };
  const steps: TeardownStep[] = [];
  for (const name of plan.routes)
    steps.push(await step(`delete route ${name}`, () => deleteRoute(t, cfg.project, name)));
  let released = true;
  if (plan.connectionRanges?.length) {
    const s = await step(`drop ${plan.released.join(', ')} from the Service Networking connection`, () =>
      patchReservedRanges(t, consumerNetwork(cfg.projectNumber, cfg.network), plan.connectionRanges!, {
        force: options.force === true,
      }),
    );
    steps.push(s);
    released = s.ok;
  }
  // A range still held by the connection must not be released under it.
  if (released)
    for (const name of plan.addresses)
      steps.push(await step(`release range ${name}`, () => deleteGlobalAddress(t, cfg.project, name)));
  return { plan, applied: true, steps, remaining: await observeTeardown(t, cfg) };
}
