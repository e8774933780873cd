/**
 * The netreflex command line: the local environment (`up`), and the reconcilers run by hand
 * (`plan <target>` shows what would change, `apply <target>` changes it) against a real project
 * with Application Default Credentials, or the local one when NETREFLEX_EMULATOR_HOST is set.
 */
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, SafetyError, errorMessage } from '../shared/errors.js';
import { EnvConfigError } from '../shared/config/env.js';
import { TARGETS } from './targets/index.js';
import { cliEnv } from './env.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('netreflex')
  .description('Keeps the fixed-IP egress path of Vertex AI Pipelines and its Cloud Armor allowlists correct.')
  .version(version, '-V, --version', 'print the netreflex version')
  .showHelpAfterError();

/**
 * A bad environment, worded for a shell: the problems, and — when NETREFLEX_EMULATOR_HOST is not
 * set, the usual cause next to `npm start` — how to point the CLI at the local Google Cloud.
 */
function environmentMessage(err: EnvConfigError, env: NodeJS.ProcessEnv = process.env): string {
  const who = err.who.startsWith('netreflex') ? err.who : `netreflex (${err.who})`;
  const lines = [`${who}: the environment does not configure it:`, ...err.problems.map((p) => `  - ${p}`)];
  if (!env.NETREFLEX_EMULATOR_HOST) {
    lines.push(
      '',
      'Against the local Google Cloud (npm start): export NETREFLEX_EMULATOR_HOST=http://127.0.0.1:8090 (127.0.0.1:8090 works too);',
      'the sample topology then fills every variable left unset.',
      'Against a real project: set the variables above (README, "Configuration") and log in with gcloud auth application-default login.',
    );
  }
  return lines.join('\n');
}

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return n;
};

async function runTarget(
  mode: 'plan' | 'apply',
  name: string,
  options: { json?: boolean } & Record<string, unknown>,
): Promise<number> {
  const entry = TARGETS[name];
  if (!entry) throw new ConfigError(`unknown target "${name}"; use one of: ${Object.keys(TARGETS).join(', ')}`);
  const target = await entry.load();
  const { json, ...flags } = options;
  const result = await target[mode]({ json: json === true, env: await cliEnv(), flags });
  console.log(result.output);
  return result.exitCode;
}

for (const mode of ['plan', 'apply'] as const) {
  program
    .command(`${mode} <target>`)
    .description(
      mode === 'plan'
        ? `show what netreflex would change (targets: ${Object.keys(TARGETS).join(', ')})`
        : 'make the changes, make-before-break',
    )
    .addHelpText(
      'after',
      `\nTargets:\n${Object.entries(TARGETS)
        .map(([name, t]) => `  ${name.padEnd(10)} ${t.description}`)
        .join('\n')}`,
    )
    .option('--json', 'machine-readable output')
    .option('--jobs <n>', 'ranges: parallel pipeline jobs', int('--jobs'))
    .option('--nodes-per-job <n>', 'ranges: nodes per job', int('--nodes-per-job'))
    .option('--object <path>', 'allowlist: a local file instead of the bucket object')
    .action(async (target: string, options: Record<string, unknown>) => {
      process.exitCode = await runTarget(mode, target, options);
    });
}

program
  .command('validate <file>')
  .description('check an allowlist file (YAML or JSON) before uploading it; every problem with its line')
  .option('--json', 'machine-readable output')
  .action(async (file: string, options: { json?: boolean }) => {
    const { validateCommand } = await import('./commands/validate.js');
    const result = await validateCommand(file, { json: options.json === true, env: await cliEnv() });
    console.log(result.output);
    process.exitCode = result.exitCode;
  });

program
  .command('status')
  .description(
    'the whole egress path, link by link: PSA ranges → peering export → routes → NAT VMs → Cloud NAT IPs → allowlists; exit 0 OK, 1 BROKEN, 3 UNKNOWN',
  )
  .option('--json', 'machine-readable output (with --watch: one JSON object a line)')
  .option('--jobs <n>', 'also check the PSA ranges hold this many concurrent jobs', int('--jobs'))
  .option('--nodes-per-job <n>', 'nodes per job for the capacity check (default 8)', int('--nodes-per-job'))
  .option('--watch [seconds]', 'check again every N seconds (default 30) until Ctrl-C', int('--watch'))
  .option(
    '--timeout <seconds>',
    'how long one read may wait for an answer before its link is UNKNOWN (default 20)',
    int('--timeout'),
  )
  .action(
    async (options: {
      json?: boolean;
      jobs?: number;
      nodesPerJob?: number;
      watch?: number | true;
      timeout?: number;
    }) => {
      const { statusCommand, watchStatus } = await import('./commands/status.js');
      const { watch, timeout, ...rest } = options;
      if (timeout !== undefined && timeout < 1) throw new ConfigError('--timeout takes a number of seconds ≥ 1');
      const opts = { ...rest, timeoutSeconds: timeout };
      if (watch === undefined) {
        const result = await statusCommand(await cliEnv(), opts);
        console.log(result.output);
        process.exitCode = result.exitCode;
        return;
      }
      const intervalSeconds = watch === true ? 30 : watch;
      if (intervalSeconds < 1) throw new ConfigError('--watch takes a number of seconds ≥ 1');
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      process.exitCode = await watchStatus(await cliEnv(), {
        ...opts,
        intervalSeconds,
        signal: stop.signal,
        write: (t) => process.stdout.write(t),
        tty: process.stdout.isTTY === true,
      });
    },
  );

program
  .command('teardown')
  .description(
    'remove the routes and PSA ranges netreflex created (so terraform destroy can delete the network); shows them without --yes',
  )
  .option('--yes', 'remove them')
  .option('--force', 'drop PSA ranges from the connection even while a producer (a Vertex job) still uses them')
  .option('--json', 'machine-readable output')
  .action(async (options: { yes?: boolean; force?: boolean; json?: boolean }) => {
    const { teardownCommand } = await import('./commands/teardown.js');
    const result = await teardownCommand(await cliEnv(), options);
    console.log(result.output);
    process.exitCode = result.exitCode;
  });

program
  .command('build')
  .description('bundle the functions for deployment into dist/functions (npm run build, gcp-build)')
  .action(async () => {
    const { buildFunctions } = await import('./build.js');
    console.log(`netreflex: built ${await buildFunctions()}`);
  });

program
  .command('up')
  .description('run netreflex locally: the local Google Cloud with the sample topology and every function (npm start)')
  .option(
    '--port <port>',
    'emulator port (functions take the next ones)',
    int('--port'),
    Number(process.env.NETREFLEX_PORT ?? 8090),
  )
  .option('--tick-seconds <s>', 'safety-net sync interval', int('--tick-seconds'), 60)
  .option('--operation-latency-ms <ms>', 'how long Compute operations run', int('--operation-latency-ms'), 300)
  .option('--instance-step-ms <ms>', 'time between MIG instance lifecycle steps', int('--instance-step-ms'), 1500)
  .option(
    '--autoheal-seconds <s>',
    'MIG autoheal delay after an instance stops (0 = off)',
    int('--autoheal-seconds'),
    120,
  )
  .option(
    '--route-mode <mode>',
    "natRoutes' NETREFLEX_ROUTE_MODE: instance (routes to each NAT VM) or ilb (routes to the internal load balancer nat-ilb)",
    process.env.NETREFLEX_ROUTE_MODE ?? 'instance',
  )
  .action(
    async (options: {
      port: number;
      tickSeconds: number;
      operationLatencyMs: number;
      instanceStepMs: number;
      autohealSeconds: number;
      routeMode: string;
    }) => {
      const { up } = await import('./up.js');
      await up(options);
    },
  );

program
  .command('bench [modules...]')
  .description(
    'measure netreflex against same-run baselines (npm run bench); prints a table, writes bench/results/*.json',
  )
  .option('--runs <n>', 'samples per figure (medians are reported)', int('--runs'), 5)
  .action(async (modules: string[], options: { runs: number }) => {
    const { runBench } = await import('../bench/run.js');
    const { text, file, report } = await runBench({ only: modules, runs: options.runs });
    console.log(`${text}\n\nwritten to ${file}`);
    process.exitCode = report.failed.length ? 1 : 0;
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof EnvConfigError) {
    console.error(environmentMessage(err));
    process.exitCode = 2;
  } else if (err instanceof ConfigError || err instanceof SafetyError) {
    console.error(`netreflex: ${err.message}`);
    process.exitCode = 2;
  } else {
    console.error(`netreflex: ${errorMessage(err)}`);
    process.exitCode = 1;
  }
}
