/** What `netreflex teardown` reads: the same variable names as the functions that created what it removes. */
import * as z from 'zod';
import { commonEnv, topologyEnv } from '../config/common.js';
import { loadEnv } from '../config/env.js';
import type { TeardownConfig } from './apply.js';

const teardownEnv = z.object({
  ...commonEnv,
  NETREFLEX_NETWORK: topologyEnv.NETREFLEX_NETWORK,
  NETREFLEX_NAT_MIG: topologyEnv.NETREFLEX_NAT_MIG,
  /** Service Networking names the connection by the project number. */
  NETREFLEX_PROJECT_NUMBER: z.string().regex(/^\d{6,20}$/, 'must be the project number (digits)'),
});

export function loadTeardownConfig(
  env: Record<string, string | undefined>,
): TeardownConfig & { emulatorHost?: string } {
  const e = loadEnv(teardownEnv, env, 'netreflex teardown');
  return {
    project: e.NETREFLEX_PROJECT,
    projectNumber: e.NETREFLEX_PROJECT_NUMBER,
    region: e.NETREFLEX_REGION,
    network: e.NETREFLEX_NETWORK,
    mig: e.NETREFLEX_NAT_MIG,
    ...(e.NETREFLEX_EMULATOR_HOST ? { emulatorHost: e.NETREFLEX_EMULATOR_HOST } : {}),
  };
}
