/**
 * `netreflex status`: the whole egress path of the configured setup in one view — PSA ranges and
 * capacity → peering export → routes and their next hops → NAT VMs → Cloud NAT IPs → the Cloud
 * Armor allowlists that must hold them — each link OK, BROKEN or UNKNOWN (could not be checked),
 * every BROKEN and UNKNOWN link with its fix. Against a real project with ADC, or the local one
 * when NETREFLEX_EMULATOR_HOST is set.
 *
 * Exit codes (a monitor can page on them): 0 every link OK, 1 some link BROKEN, 2 bad
 * configuration, 3 nothing BROKEN but some link UNKNOWN — never 0 while any link is unseen. A check
 * that stops on an unexpected error (an answer it cannot read, a bug) judged nothing: every link
 * UNKNOWN, exit 3, the report (with `error`) still printed, and `--watch` checks again.
 */
import { errorMessage } from '../../shared/errors.js';
import { Transport } from '../../shared/gcp/transport.js';
import { collectStatus } from '../../shared/status/collect.js';
import { loadStatusConfig } from '../../shared/status/config.js';
import { renderStatus } from '../../shared/status/render.js';
import { EXIT_CODES, LINK_IDS, type LinkId, type StatusConfig, type StatusReport } from '../../shared/status/types.js';

export interface StatusOptions {
  json?: boolean;
  jobs?: number;
  nodesPerJob?: number;
  /** How long one read may wait for its answer (default 20 s); past it, and one retry, the link is UNKNOWN. */
  timeoutSeconds?: number;
}

/** Google's list and get calls answer in well under a second; 20 s is a hung API or network. */
export const DEFAULT_TIMEOUT_SECONDS = 20;

export interface StatusResult {
  exitCode: number;
  output: string;
  report: StatusReport;
}

/**
 * What `--json` prints: the report, when it was taken, and the exit code it implies; `error` names
 * what stopped a check that could not finish (then every link is UNKNOWN).
 */
export type StatusJson = StatusReport & { checkedAt: string; exitCode: number; error?: string };

/** How collectStatus names its links (test/e2e/status.test.ts compares them with a real report). */
export const LINK_TITLES: Readonly<Record<LinkId, string>> = {
  'psa-ranges': 'PSA ranges and capacity',
  'peering-export': 'Peering export',
  routes: 'Routes to the destinations',
  'nat-vms': 'NAT VMs',
  'nat-ips': 'Cloud NAT IPs',
  allowlists: 'Allowlists (Cloud Armor)',
};

/**
 * The report of a check that stopped on an unexpected error: nothing was judged, so every link is
 * UNKNOWN — not BROKEN (a page for a path nobody saw broken) and never OK — with the error and a fix.
 */
export function unfinishedReport(cfg: StatusConfig, err: unknown): StatusReport & { error: string } {
  const error = `${err instanceof Error ? err.name : 'Error'}: ${errorMessage(err)}`;
  return {
    project: cfg.project,
    region: cfg.region,
    network: cfg.network,
    state: 'unknown',
    ok: false,
    error,
    links: LINK_IDS.map((id) => ({
      id,
      title: LINK_TITLES[id],
      state: 'unknown' as const,
      reason: `not checked: netreflex status stopped on an unexpected error (${error})`,
      fix: 'run netreflex status again; if the error stays, an API answered what netreflex cannot read, or netreflex has a bug: report the error with `netreflex --version`',
      details: [],
    })),
  };
}

/** What gathers the report; the real one unless a test stands in an answer netreflex cannot read. */
export type Collect = typeof collectStatus;

function checker(
  env: Record<string, string | undefined>,
  opts: StatusOptions,
  collect: Collect,
): { cfg: StatusConfig; check: () => Promise<StatusResult> } {
  const cfg = loadStatusConfig(env, opts);
  // Every read is bounded, so a hung API (a connection accepted, never answered) is UNKNOWN, not a
  // status that never answers or a --watch frame that stays OK while nothing is checked.
  const transport = new Transport({
    emulatorHost: cfg.emulatorHost,
    region: cfg.region,
    retry: { attempts: 2 },
    timeoutMs: (opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
  });
  const check = async (): Promise<StatusResult> => {
    let report: StatusReport;
    let error: string | undefined;
    try {
      report = await collect(transport, cfg);
    } catch (err) {
      ({ error, ...report } = unfinishedReport(cfg, err));
    }
    const checkedAt = new Date().toISOString();
    const exitCode = EXIT_CODES[report.state];
    const json: StatusJson = { ...report, checkedAt, exitCode, ...(error ? { error } : {}) };
    return { exitCode, report, output: opts.json ? JSON.stringify(json, null, 2) : renderStatus(report, checkedAt) };
  };
  return { cfg, check };
}

export async function statusCommand(
  env: Record<string, string | undefined>,
  opts: StatusOptions = {},
  collect: Collect = collectStatus,
): Promise<StatusResult> {
  return checker(env, opts, collect).check();
}

export interface WatchOptions extends StatusOptions {
  intervalSeconds: number;
  /** Stops the watch (Ctrl-C); the last check's exit code is returned. */
  signal: AbortSignal;
  write: (text: string) => void;
  /** Redraw in place (a terminal) instead of appending frames (a pipe or a log). */
  tty: boolean;
}

const CLEAR = '\x1b[H\x1b[2J';

/**
 * `netreflex status --watch`: the same check every `intervalSeconds` until stopped, for a
 * terminal that stays open. A terminal is redrawn in place; a pipe gets one frame after another
 * (with `--json`, one JSON object a line).
 */
export async function watchStatus(
  env: Record<string, string | undefined>,
  opts: WatchOptions,
  collect: Collect = collectStatus,
): Promise<number> {
  const { check } = checker(env, opts, collect);
  let exitCode = EXIT_CODES.unknown;
  while (!opts.signal.aborted) {
    const result = await check();
    exitCode = result.exitCode;
    if (opts.json) opts.write(`${JSON.stringify(JSON.parse(result.output))}\n`);
    else
      opts.write(
        `${opts.tty ? CLEAR : ''}${result.output}\n\nchecking again every ${opts.intervalSeconds} s; Ctrl-C stops\n${opts.tty ? '' : '\n'}`,
      );
    await pause(opts.intervalSeconds * 1000, opts.signal);
  }
  return exitCode;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
