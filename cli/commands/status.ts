/**
 * `netreflex status`: the whole egress path of the configured setup in one view — PSA ranges and
 * capacity → peering export → routes and their next hops → NAT VMs → Cloud NAT IPs → the Cloud
 * Armor allowlists that must hold them — each link OK, BROKEN with the reason, or SKIP when it
 * could not be checked. Against a real project with ADC, or the local one when
 * NETREFLEX_EMULATOR_HOST is set.
 *
 * Exit codes: 0 no link broken, 1 some link broken, 2 bad configuration.
 */
import { Transport } from '../../shared/gcp/transport.js';
import { collectStatus } from '../../shared/status/collect.js';
import { loadStatusConfig } from '../../shared/status/config.js';
import { renderStatus } from '../../shared/status/render.js';

export interface StatusOptions {
  json?: boolean;
  jobs?: number;
  nodesPerJob?: number;
}

export async function statusCommand(env: Record<string, string | undefined>, opts: StatusOptions = {}): Promise<{ exitCode: number; output: string }> {
  const cfg = loadStatusConfig(env, opts);
  const transport = new Transport({ emulatorHost: cfg.emulatorHost, region: cfg.region, retry: { attempts: 2 } });
  const report = await collectStatus(transport, cfg);
  return { exitCode: report.ok ? 0 : 1, output: opts.json ? JSON.stringify(report, null, 2) : renderStatus(report) };
}
